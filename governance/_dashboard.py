"""View models of the health dashboard: one row per partner, coloured cells.

Pure functions from metrics, exception cases and verified peer facts to plain
values the node renders (HTML, JSON). Colours come from the rule set's bands:
``ok`` / ``warn`` / ``alert``, or ``none`` where there is no data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from governance._cases import ExceptionCase
from governance._display import NO_DATA, duration, percent
from governance._facts import AT_OR_ABOVE, BELOW, PeerFacts
from governance._health import NetworkMetrics, PartnerHealth
from governance._labels import LABELS
from governance._lineage import Lineage
from governance._ruleset import RuleSet
from governance._timestamps import format_display
from governance._view_models import Cell, DashboardRow, DashboardView, Series
from governance._window_stats import WindowStats

__all__ = ["SPARK_BUCKET", "SPARK_KEYS", "dashboard_view", "network_dashboard"]

_RANK: Final = {"none": 0, "ok": 1, "warn": 2, "alert": 3}
#: Sparklines: bucket level and the figures drawn from each bucket.
SPARK_BUCKET: Final = "hour"
SPARK_KEYS: Final = ("records", "latency_p95_ms", "missing_field_rate")


def _banded(
    rules: RuleSet,
    key: str,
    value: float | None,
    text: str,
    lineage: Lineage | None,
    *,
    band: str = "",
) -> Cell:
    status = "none" if value is None else rules.band(band or key).status(value)
    return Cell(key, value, text, status, lineage)


def _cells(
    h: PartnerHealth,
    w: WindowStats,
    *,
    cases: Sequence[ExceptionCase],
    facts: PeerFacts | None,
    rules: RuleSet,
    now: int,
) -> tuple[Cell, ...]:
    lin = w.lineage
    feed_ratio = None if h.feed_age_ms is None else h.feed_age_ms / h.freshness_max_age_ms
    ages = rules.band("feed_age_ratio")
    feed_status = "alert" if h.feed_age_ms is None else ages.status(feed_ratio or 0.0)
    case_ids = tuple(c.id for c in cases)
    open_cases = [c for c in cases if c.is_open]
    breached = [c for c in cases if c.breached(now)]
    below = sorted(s for s, f in (facts.safety_stock.items() if facts else ()) if f == BELOW)
    known = len(facts.safety_stock) if facts else 0
    stock_status = "none" if not known else "alert" if below else "ok"
    stock_text = NO_DATA if not known else f"{len(below)}/{known}"
    (bzh, ben), (azh, aen) = LABELS["page"][BELOW], LABELS["page"][AT_OR_ABOVE]
    rest = known - len(below)
    stock_label = (f"{len(below)} {bzh} / {rest} {azh}", f"{len(below)} {ben} / {rest} {aen}")
    return (
        _banded(rules, "latency_p50_ms", w.latency_p50_ms, duration(w.latency_p50_ms), lin),
        _banded(rules, "latency_p95_ms", w.latency_p95_ms, duration(w.latency_p95_ms), lin),
        _banded(rules, "latency_rate", w.latency_rate, percent(w.latency_rate), lin),
        _banded(
            rules, "missing_field_rate", w.missing_field_rate, percent(w.missing_field_rate), lin
        ),
        _banded(rules, "mapping_coverage", w.mapping_coverage, percent(w.mapping_coverage), lin),
        _banded(
            rules, "rule_violation_rate", w.rule_violation_rate, percent(w.rule_violation_rate), lin
        ),
        Cell(
            "feed_age_ms",
            None if h.feed_age_ms is None else float(h.feed_age_ms),
            duration(h.feed_age_ms),
            feed_status,
            replace(lin, start=h.last_as_of or lin.start),
        ),
        _banded(
            rules,
            "checkpoint_age_ms",
            None if h.checkpoint_age_ms is None else float(h.checkpoint_age_ms),
            duration(h.checkpoint_age_ms),
            None,
        ),
        _banded(
            rules,
            "witnesses",
            None if h.witnesses is None else float(h.witnesses),
            NO_DATA if h.witnesses is None else str(h.witnesses),
            None,
        ),
        _banded(
            rules,
            "verification_failures",
            float(w.verification_failures),
            str(w.verification_failures),
            lin,
        ),
        Cell(
            "safety_stock",
            float(len(below)) if known else None,
            stock_text,
            stock_status,
            Lineage(h.partner, w.start, w.end, fields=tuple(below)),
            stock_label if known else None,
        ),
        _banded(
            rules,
            "open_exceptions",
            float(len(open_cases)),
            str(len(open_cases)),
            Lineage(h.partner, w.start, w.end, exception_ids=tuple(c.id for c in open_cases)),
        ),
        replace(
            _banded(
                rules,
                "sla",
                float(len(breached)),
                str(len(breached)),
                Lineage(h.partner, w.start, w.end, exception_ids=case_ids),
                band="sla_breaches",
            ),
            label=LABELS["sla"]["breached" if breached else "ok"],
        ),
    )


def _fields(w: WindowStats, rules: RuleSet) -> tuple[Cell, ...]:
    band = rules.band("missing_field_rate")
    return tuple(
        Cell(
            f"missing:{name}",
            rate,
            percent(rate),
            band.status(rate),
            replace(w.lineage, fields=(name,)),
        )
        for name, rate in sorted(w.missing_by_field.items())
    )


def _case_row(c: ExceptionCase, now: int, offset: int) -> dict[str, Any]:
    zh, en = LABELS["exception_type"][c.type.value]
    deadline = c.next_deadline()
    return {
        "id": c.id,
        "type": c.type.value,
        "label": {"zh": zh, "en": en},
        "subject": c.subject,
        "state": c.state.value,
        "sla_state": c.sla_state(now),
        "deadline": deadline,
        "deadline_display": NO_DATA
        if deadline is None
        else format_display(deadline, offset_minutes=offset),
        "opened_at_display": format_display(c.opened_at, offset_minutes=offset),
    }


def _series(points: Sequence[WindowStats]) -> tuple[Series, ...]:
    starts = tuple(p.start for p in points)
    out = []
    for key in SPARK_KEYS:
        values = tuple(None if getattr(p, key) is None else float(getattr(p, key)) for p in points)
        out.append(Series(key, SPARK_BUCKET, starts, values))
    return tuple(out)


def dashboard_view(
    *,
    health: Iterable[PartnerHealth],
    rules: RuleSet,
    now: int,
    cases: Iterable[ExceptionCase] = (),
    facts: Iterable[PeerFacts] = (),
    series: Mapping[str, Sequence[WindowStats]] | None = None,
    window: str = "day",
) -> DashboardView:
    """The dashboard at ``now``: one row per partner in ``health``, worst first.

    ``cases`` are the exception cases (any state; resolved ones count only in
    SLA history); ``facts`` the verified peer facts; ``series`` per partner the
    per-bucket stats for sparklines (see :meth:`PartnerMetrics.series`).
    """
    by_partner: dict[str, list[ExceptionCase]] = {}
    for c in cases:
        by_partner.setdefault(c.assignee, []).append(c)
    fact_of = {f.partner: f for f in facts}
    offset = rules.timestamps.display_offset_minutes
    rows = []
    for h in health:
        w = h.windows[window]
        mine = by_partner.get(h.partner, [])
        cells = _cells(h, w, cases=mine, facts=fact_of.get(h.partner), rules=rules, now=now)
        status = max((c.status for c in cells), key=_RANK.__getitem__)
        rows.append(
            DashboardRow(
                partner=h.partner,
                status=status,
                cells=cells,
                fields=_fields(w, rules),
                exceptions=tuple(_case_row(c, now, offset) for c in mine if c.is_open),
                sparklines=_series((series or {}).get(h.partner, ())),
            )
        )
    rows.sort(key=lambda r: (-_RANK[r.status], r.partner))
    return DashboardView(
        now, format_display(now, offset_minutes=offset), window, rules.ref, tuple(rows)
    )


def network_dashboard(
    network: NetworkMetrics,
    *,
    rules: RuleSet,
    now: int,
    cases: Iterable[ExceptionCase] = (),
    facts: Iterable[PeerFacts] = (),
    window: str = "day",
) -> DashboardView:
    """:func:`dashboard_view` over every partner of ``network``, with sparklines."""
    health = network.health(now=now, rules=rules)
    series = {p: network.partner(p).series(SPARK_BUCKET, now=now) for p in network.partners()}
    return dashboard_view(
        health=health, rules=rules, now=now, cases=cases, facts=facts, series=series, window=window
    )
