"""Turning findings, metrics and peer facts into exception cases.

:func:`plan_openings` decides which cases to open (one per ``(type, assignee,
subject)``, none where an unresolved case with that key exists);
:func:`open_case` opens one, with deadlines from the rule set's SLA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from governance._cases import CASE_ID_TAG, EVENT_OPENED, ExceptionCase, digest
from governance._errors import GovernanceError
from governance._findings import Finding
from governance._health import PartnerHealth
from governance._ruleset import RuleSet
from governance._vocab import ExceptionType

__all__ = [
    "CLEARABLE_TYPES",
    "OPENING_WINDOW",
    "Opening",
    "PeerFacts",
    "cleared_cases",
    "open_case",
    "plan_openings",
]

#: The metrics window whose figures open exceptions (the most responsive one).
OPENING_WINDOW: Final = "hour"
#: Safety-stock fact values (from verified zk band statements).
BELOW: Final = "below"
AT_OR_ABOVE: Final = "at_or_above"
#: Subjects of feed-level cases.
FEED: Final = "feed"
CLOCK: Final = "clock"
CHECKPOINT: Final = "checkpoint"
#: Types whose condition the metrics and facts re-evaluate: a case of these
#: types is cleared when its condition no longer holds. The others (document
#: discrepancies, split views, failed proofs) need a party to resolve them.
CLEARABLE_TYPES: Final = frozenset(
    {
        ExceptionType.STALE_FEED,
        ExceptionType.MISSING_FIELDS,
        ExceptionType.RULE_VIOLATION,
        ExceptionType.STALE_CHECKPOINT,
        ExceptionType.LOW_WITNESSES,
        ExceptionType.BELOW_SAFETY_STOCK,
    }
)


@dataclass(frozen=True)
class PeerFacts:
    """What a node verified about a peer's log (filled by the node from zk/ledger).

    ``safety_stock`` maps ``sku@location`` to ``below`` or ``at_or_above`` (the
    verified fact, never the quantity); ``failed_proofs`` and ``split_views``
    hold ids of the entries or checkpoint pairs that failed.
    """

    partner: str
    safety_stock: Mapping[str, str] = field(default_factory=dict)
    failed_proofs: tuple[str, ...] = ()
    split_views: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "safety_stock", MappingProxyType(dict(self.safety_stock)))
        bad = {v for v in self.safety_stock.values() if v not in {BELOW, AT_OR_ABOVE}}
        if bad:
            raise GovernanceError(f"safety-stock facts must be {BELOW!r} or {AT_OR_ABOVE!r}")


@dataclass(frozen=True)
class Opening:
    """A case to open: its kind, who must act, about what, and why."""

    type: ExceptionType
    assignee: str
    subject: str
    summary: str
    evidence: tuple[dict[str, Any], ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type.value, self.assignee, self.subject)


def _from_findings(partner: str, findings: Sequence[Finding], *, documents: bool) -> list[Opening]:
    grouped: dict[tuple[ExceptionType, str], list[Finding]] = {}
    for f in findings:
        if f.exception_type is None:
            continue
        if f.exception_type is ExceptionType.CLOCK_SKEW:
            subject = CLOCK
        elif documents:
            subject = f.subject
        else:
            continue  # record-level gaps open cases through the metrics, not one by one
        grouped.setdefault((f.exception_type, subject), []).append(f)
    out = []
    for (kind, subject), group in grouped.items():
        fields = sorted({f.field for f in group})
        out.append(
            Opening(
                kind,
                partner,
                subject,
                f"{len(group)} finding(s) on {', '.join(fields)}",
                tuple(f.to_dict() for f in group),
            )
        )
    return out


def _from_health(h: PartnerHealth, rules: RuleSet) -> list[Opening]:
    out: list[Opening] = []
    w = h.windows[OPENING_WINDOW]
    ref = {"window": OPENING_WINDOW, "start": w.start, "end": w.end, "rule_set": h.rule_set}
    if h.stale:
        age = (
            "no record yet" if h.feed_age_ms is None else f"newest as-of is {h.feed_age_ms} ms old"
        )
        out.append(
            Opening(
                ExceptionType.STALE_FEED,
                h.partner,
                FEED,
                f"{age}; expected within {h.freshness_max_age_ms} ms",
                ({**ref, "feed_age_ms": h.feed_age_ms},),
            )
        )
    rate = w.missing_field_rate
    missing = rate is not None and rate > rules.thresholds.missing_field_rate
    if rate is not None and missing:
        out.append(
            Opening(
                ExceptionType.MISSING_FIELDS,
                h.partner,
                FEED,
                f"missing-field rate {rate:.2%} above {rules.thresholds.missing_field_rate:.2%}",
                ({**ref, "missing_by_field": dict(w.missing_by_field)},),
            )
        )
    violations = w.rule_violation_rate
    band = rules.band("rule_violation_rate")
    # Missing fields are violations too; their own case takes precedence.
    alert = violations is not None and band.status(violations) == "alert"
    if alert and not missing:
        out.append(
            Opening(
                ExceptionType.RULE_VIOLATION,
                h.partner,
                FEED,
                f"rule-violation rate {violations:.2%}",
                ({**ref, "violations": w.violations},),
            )
        )
    if w.clock_skew_records:
        out.append(
            Opening(
                ExceptionType.CLOCK_SKEW,
                h.partner,
                CLOCK,
                f"{w.clock_skew_records} record(s) dated after the network's time",
                ({**ref},),
            )
        )
    if w.verification_failures:
        out.append(
            Opening(
                ExceptionType.FAILED_PROOF,
                h.partner,
                FEED,
                f"{w.verification_failures} verification failure(s)",
                ({**ref},),
            )
        )
    cp_band = rules.band("checkpoint_age_ms")
    if h.checkpoint_age_ms is not None and cp_band.status(h.checkpoint_age_ms) == "alert":
        out.append(
            Opening(
                ExceptionType.STALE_CHECKPOINT,
                h.partner,
                CHECKPOINT,
                f"last verified checkpoint is {h.checkpoint_age_ms} ms old",
                ({**ref, "last_checkpoint_at": h.last_checkpoint_at},),
            )
        )
    if h.witnesses is not None and h.witnesses < rules.thresholds.min_witnesses:
        out.append(
            Opening(
                ExceptionType.LOW_WITNESSES,
                h.partner,
                CHECKPOINT,
                f"{h.witnesses} witness(es), {rules.thresholds.min_witnesses} required",
                ({**ref, "witnesses": h.witnesses},),
            )
        )
    return out


def _from_facts(facts: PeerFacts) -> list[Opening]:
    out = [
        Opening(
            ExceptionType.BELOW_SAFETY_STOCK,
            facts.partner,
            subject,
            f"{subject}: proven below safety stock",
            ({"fact": BELOW, "subject": subject},),
        )
        for subject, fact in sorted(facts.safety_stock.items())
        if fact == BELOW
    ]
    out += [
        Opening(
            ExceptionType.FAILED_PROOF,
            facts.partner,
            f"entry:{ref}",
            f"proof in {ref} failed verification",
            ({"entry": ref},),
        )
        for ref in sorted(set(facts.failed_proofs))
    ]
    if facts.split_views:
        refs = sorted(set(facts.split_views))
        out.append(
            Opening(
                ExceptionType.SPLIT_VIEW,
                facts.partner,
                CHECKPOINT,
                f"{len(refs)} inconsistent checkpoint pair(s)",
                tuple({"evidence": r} for r in refs),
            )
        )
    return out


def plan_openings(
    *,
    rules: RuleSet,
    record_findings: Mapping[str, Sequence[Finding]] | None = None,
    document_findings: Mapping[str, Sequence[Finding]] | None = None,
    health: Iterable[PartnerHealth] = (),
    facts: Iterable[PeerFacts] = (),
    open_cases: Iterable[ExceptionCase] = (),
) -> tuple[Opening, ...]:
    """The cases to open now, deduplicated per ``(type, assignee, subject)``.

    ``record_findings`` / ``document_findings`` map the responsible partner to
    the findings on its records / documents. Record findings open only
    ``clock_skew`` (one per partner); missing fields and violations on records
    open through the metrics in ``health`` (window :data:`OPENING_WINDOW`).
    Keys of unresolved ``open_cases`` are skipped; the first opening per key wins.
    """
    candidates: list[Opening] = []
    for partner, found in sorted((record_findings or {}).items()):
        candidates += _from_findings(partner, found, documents=False)
    for partner, found in sorted((document_findings or {}).items()):
        candidates += _from_findings(partner, found, documents=True)
    for h in health:
        candidates += _from_health(h, rules)
    for f in facts:
        candidates += _from_facts(f)
    seen = {c.key for c in open_cases if c.is_open}
    out = []
    for opening in candidates:
        if opening.key not in seen:
            seen.add(opening.key)
            out.append(opening)
    return tuple(out)


def open_case(
    opening: Opening, rules: RuleSet, *, now: int, raised_by: str
) -> tuple[ExceptionCase, dict[str, Any]]:
    """Open a case at ``now`` with deadlines from ``rules``; returns it and its event."""
    if isinstance(now, bool) or not isinstance(now, int) or now < 0:
        raise GovernanceError(f"now must be UTC milliseconds ≥ 0, got {now!r}")
    if not raised_by:
        raise GovernanceError("a case needs the node that raises it")
    sla = rules.sla_for(opening.type.value)
    case_id = (
        "exc-"
        + digest(
            [CASE_ID_TAG, opening.type.value, opening.assignee, opening.subject, now, raised_by]
        ).removeprefix("sha256:")[:32]
    )
    case = ExceptionCase(
        id=case_id,
        type=opening.type,
        subject=opening.subject,
        assignee=opening.assignee,
        raised_by=raised_by,
        opened_at=now,
        respond_by=now + sla.respond_within_ms,
        resolve_by=None if sla.resolve_within_ms is None else now + sla.resolve_within_ms,
        rule_set=rules.ref,
        summary=opening.summary,
        evidence=opening.evidence,
    )
    body = {
        "case_id": case.id,
        "type": case.type.value,
        "subject": case.subject,
        "assignee": case.assignee,
        "raised_by": raised_by,
        "at": now,
        "respond_by": case.respond_by,
        "resolve_by": case.resolve_by,
        "rule_set": case.rule_set,
        "summary_digest": digest(case.summary),
        "evidence_digest": digest(list(case.evidence)),
    }
    return case, {"kind": EVENT_OPENED, "body": body}


def cleared_cases(
    cases: Iterable[ExceptionCase],
    *,
    rules: RuleSet,
    health: Iterable[PartnerHealth],
    facts: Iterable[PeerFacts] = (),
) -> tuple[ExceptionCase, ...]:
    """Unresolved cases of :data:`CLEARABLE_TYPES` whose condition has gone.

    Only partners present in ``health`` (and, for safety stock, in ``facts``)
    are judged; the caller resolves the returned cases (e.g. with resolution
    "condition cleared"), which records the transition as usual.
    """
    health = list(health)
    facts = list(facts)
    judged = {h.partner for h in health}
    fact_partners = {f.partner for f in facts}
    still = {o.key for o in plan_openings(rules=rules, health=health, facts=facts)}
    out = []
    for case in cases:
        if not case.is_open or case.type not in CLEARABLE_TYPES or case.key in still:
            continue
        source = fact_partners if case.type is ExceptionType.BELOW_SAFETY_STOCK else judged
        if case.assignee in source:
            out.append(case)
    return tuple(out)
