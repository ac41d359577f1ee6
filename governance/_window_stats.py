"""The figures of one window (or one bucket), computed from its summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from governance._bucket import MetricBucket
from governance._histogram import BlockIndex, quantiles
from governance._lineage import Lineage

__all__ = ["WindowStats", "figures_of", "stats_of"]


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@dataclass(frozen=True)
class WindowStats:
    """Data-quality figures of one partner over ``[start, end]`` (UTC ms).

    Rates are shares in [0, 1], ``None`` when there was nothing to count.
    ``latency_p50_ms`` / ``latency_p95_ms`` are nearest-rank percentiles within
    0.39 % (exact below 256 ms); ``latency_max_ms`` is exact.
    """

    partner: str
    window: str
    start: int
    end: int
    records: int
    latency_samples: int
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    latency_max_ms: int | None
    latency_mean_ms: float | None
    latency_rate: float | None
    late_records: int
    missing_field_rate: float | None
    missing_by_field: Mapping[str, float]
    mapping_coverage: float | None
    rule_violation_rate: float | None
    violations: int
    clock_skew_records: int
    verification_failures: int
    checkpoints: int
    lineage: Lineage

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "lineage"}
        out["missing_by_field"] = dict(self.missing_by_field)
        out["lineage"] = self.lineage.to_dict()
        return out


def stats_of(
    partner: str,
    window: str,
    b: MetricBucket,
    *,
    start: int,
    end: int,
    extremes: MetricBucket | None = None,
    keys: Sequence[int] | None = None,
) -> WindowStats:
    """Figures from a summary: counts from ``b``, extremes and sets from ``extremes``
    (default: ``b`` itself)."""
    x = b if extremes is None else extremes
    low, high = x.latency_min or 0, x.latency_max or 0
    n = b.latency_count
    p50, p95 = quantiles(b.latency_bins, n, ((50, 100), (95, 100)), low=low, high=high, keys=keys)
    return WindowStats(
        partner=partner,
        window=window,
        start=start,
        end=end,
        records=b.records,
        latency_samples=n,
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        latency_max_ms=x.latency_max if n else None,
        latency_mean_ms=None if n == 0 else b.latency_sum / n,
        latency_rate=_rate(b.late, n),
        late_records=b.late,
        missing_field_rate=_rate(b.missing_total, b.fields_checked),
        missing_by_field=MappingProxyType(
            {k: v / b.records for k, v in sorted(b.missing.items()) if b.records}
        ),
        mapping_coverage=_rate(b.mapping_mapped, b.mapping_total),
        rule_violation_rate=_rate(b.violations, b.records),
        violations=b.violations,
        clock_skew_records=b.clock_skew,
        verification_failures=b.verification_failures,
        checkpoints=b.checkpoints,
        lineage=Lineage(
            partner=partner,
            start=start,
            end=end,
            ledger_first=x.first_ledger_index,
            ledger_last=x.last_ledger_index,
            mapping_profiles=tuple(sorted(x.mapping_profiles)),
            fields=tuple(sorted(b.missing)),
        ),
    )


def figures_of(
    partner: str,
    window: str,
    b: MetricBucket,
    *,
    start: int,
    end: int,
    extremes: MetricBucket | None = None,
    keys: Sequence[int] | None = None,
    blocks: BlockIndex | None = None,
) -> dict[str, Any]:
    """``stats_of(...).to_dict()`` built directly (no intermediate objects): the
    health API's path, where every partner's changed windows are rebuilt.
    ``blocks`` (with ``keys``): the histogram's block index, for faster quantiles."""
    x = b if extremes is None else extremes
    n = b.latency_count
    records = b.records
    low, high = x.latency_min or 0, x.latency_max or 0
    if blocks is not None and keys is not None:
        p50, p95 = blocks.quantiles(
            b.latency_bins, keys, n, ((50, 100), (95, 100)), low=low, high=high
        )
    else:
        p50, p95 = quantiles(
            b.latency_bins, n, ((50, 100), (95, 100)), low=low, high=high, keys=keys
        )
    missing = b.missing
    first = x.first_ledger_index
    return {
        "partner": partner,
        "window": window,
        "start": start,
        "end": end,
        "records": records,
        "latency_samples": n,
        "latency_p50_ms": p50,
        "latency_p95_ms": p95,
        "latency_max_ms": x.latency_max if n else None,
        "latency_mean_ms": None if n == 0 else b.latency_sum / n,
        "latency_rate": None if n == 0 else b.late / n,
        "late_records": b.late,
        "missing_field_rate": None if b.fields_checked == 0 else b.missing_total / b.fields_checked,
        "missing_by_field": {k: missing[k] / records for k in sorted(missing)} if records else {},
        "mapping_coverage": None if b.mapping_total == 0 else b.mapping_mapped / b.mapping_total,
        "rule_violation_rate": None if records == 0 else b.violations / records,
        "violations": b.violations,
        "clock_skew_records": b.clock_skew,
        "verification_failures": b.verification_failures,
        "checkpoints": b.checkpoints,
        "lineage": {
            "partner": partner,
            "start": start,
            "end": end,
            "ledger_entries": None
            if first is None
            else {"first": first, "last": x.last_ledger_index},
            "mapping_profiles": sorted(x.mapping_profiles),
            "fields": sorted(missing),
            "exception_ids": [],
            "record_ids": [],
            "source_fields": [],
        },
    }
