"""Health of every partner's feed: windows plus freshness, checkpoint and witnesses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from governance._errors import MetricsStateError
from governance._jsonread import Reader
from governance._metrics import PartnerMetrics
from governance._ruleset import RuleSet
from governance._window_stats import WindowStats
from governance._windows import WINDOWS

__all__ = [
    "NETWORK_METRICS_FORMAT",
    "NetworkMetrics",
    "PartnerHealth",
    "partner_health",
    "partner_health_dict",
]

NETWORK_METRICS_FORMAT: Final = "scnode-governance-network-metrics/v1"
_R = Reader(MetricsStateError)


@dataclass(frozen=True)
class PartnerHealth:
    """Everything the health API and the dashboard know about one partner at ``now``.

    ``feed_age_ms`` is ``now − newest as-of``; the feed is ``stale`` when that
    exceeds the partner's freshness expectation, or when no record ever came.
    """

    partner: str
    now: int
    rule_set: str
    windows: Mapping[str, WindowStats]
    last_as_of: int | None
    last_received_at: int | None
    feed_age_ms: int | None
    freshness_max_age_ms: int
    stale: bool
    last_checkpoint_at: int | None
    checkpoint_age_ms: int | None
    witnesses: int | None

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "windows"}
        out["windows"] = {k: w.to_dict() for k, w in self.windows.items()}
        return out


def partner_health(metrics: PartnerMetrics, *, now: int, rules: RuleSet) -> PartnerHealth:
    """Health of one partner at ``now`` under ``rules``."""
    windows = {name: metrics.window(name, now=now) for name in WINDOWS}
    now = max(now, metrics.watermark)
    max_age = rules.freshness.max_age_for(metrics.partner)
    as_of, checkpoint = metrics.last_as_of, metrics.last_checkpoint_at
    age = None if as_of is None else max(0, now - as_of)
    return PartnerHealth(
        partner=metrics.partner,
        now=now,
        rule_set=rules.ref,
        windows=MappingProxyType(windows),
        last_as_of=as_of,
        last_received_at=metrics.last_received_at,
        feed_age_ms=age,
        freshness_max_age_ms=max_age,
        stale=age is None or age > max_age,
        last_checkpoint_at=checkpoint,
        checkpoint_age_ms=None if checkpoint is None else max(0, now - checkpoint),
        witnesses=metrics.witnesses,
    )


def partner_health_dict(
    metrics: PartnerMetrics,
    *,
    now: int,
    rules: RuleSet,
    windows: Iterable[str] = WINDOWS,
) -> dict[str, Any]:
    """``partner_health(metrics, now=now, rules=rules).to_dict()`` limited to
    ``windows``, built from the windows' cached JSON forms (the health API's path)."""
    figures = {name: metrics.window_dict(name, now=now) for name in windows}
    now = max(now, metrics.watermark)
    max_age = rules.freshness.max_age_for(metrics.partner)
    as_of, checkpoint = metrics.last_as_of, metrics.last_checkpoint_at
    age = None if as_of is None else max(0, now - as_of)
    return {
        "partner": metrics.partner,
        "now": now,
        "rule_set": rules.ref,
        "last_as_of": as_of,
        "last_received_at": metrics.last_received_at,
        "feed_age_ms": age,
        "freshness_max_age_ms": max_age,
        "stale": age is None or age > max_age,
        "last_checkpoint_at": checkpoint,
        "checkpoint_age_ms": None if checkpoint is None else max(0, now - checkpoint),
        "witnesses": metrics.witnesses,
        "windows": figures,
    }


class NetworkMetrics:
    """The metrics of every partner a node watches, keyed by node id."""

    def __init__(self, partners: Iterable[PartnerMetrics] = ()) -> None:
        self._partners: dict[str, PartnerMetrics] = {}
        for p in partners:
            if p.partner in self._partners:
                raise MetricsStateError(f"partner {p.partner!r} appears twice")
            self._partners[p.partner] = p

    def partner(self, node_id: str) -> PartnerMetrics:
        """The metrics of ``node_id``, created empty on first use."""
        found = self._partners.get(node_id)
        if found is None:
            found = self._partners[node_id] = PartnerMetrics(node_id)
        return found

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._partners

    def partners(self) -> tuple[str, ...]:
        return tuple(sorted(self._partners))

    def health(
        self, *, now: int, rules: RuleSet, partners: Iterable[str] | None = None
    ) -> tuple[PartnerHealth, ...]:
        """Health of the given partners (default: all), sorted by node id."""
        ids = self.partners() if partners is None else sorted(set(partners))
        return tuple(partner_health(self.partner(i), now=now, rules=rules) for i in ids)

    def health_dicts(
        self,
        *,
        now: int,
        rules: RuleSet,
        partners: Iterable[str] | None = None,
        windows: Iterable[str] = WINDOWS,
    ) -> list[dict[str, Any]]:
        """:meth:`health` as JSON-ready dicts (see :func:`partner_health_dict`)."""
        ids = self.partners() if partners is None else sorted(set(partners))
        names = tuple(windows)
        return [
            partner_health_dict(self.partner(i), now=now, rules=rules, windows=names) for i in ids
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": NETWORK_METRICS_FORMAT,
            "partners": [self._partners[p].to_dict() for p in self.partners()],
        }

    @classmethod
    def from_dict(cls, data: Any) -> NetworkMetrics:
        o = _R.obj(data, "network", keys=("format", "partners"))
        if o.get("format") != NETWORK_METRICS_FORMAT:
            raise MetricsStateError(f"network: expected format {NETWORK_METRICS_FORMAT!r}")
        rows = _R.items(_R.field(o, "partners", "network"), "network.partners")
        return cls(PartnerMetrics.from_dict(row) for row in rows)
