"""One time bucket of a partner's data-quality metrics (a mergeable summary).

Additive parts (counts, the latency histogram, missing counts per field) add and
subtract exactly, so window totals are kept incrementally. Extremes and sets
(latency min/max, newest times, ledger index range, mapping profile versions)
are folded over a window's buckets when it is queried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from governance._errors import MetricsStateError
from governance._histogram import add_bins, bin_of
from governance._jsonread import Reader

__all__ = ["BUCKET_FORMAT", "MetricBucket"]

BUCKET_FORMAT: Final = "scnode-governance-bucket/v1"
_R = Reader(MetricsStateError)

_COUNTERS: Final = (
    "records",
    "latency_count",
    "latency_sum",
    "late",
    "clock_skew",
    "violations",
    "fields_checked",
    "missing_total",
    "mapping_total",
    "mapping_mapped",
    "verification_failures",
    "checkpoints",
)
_EXTREMES: Final = (
    "latency_min",
    "latency_max",
    "last_as_of",
    "last_received_at",
    "first_ledger_index",
    "last_ledger_index",
    "last_checkpoint_at",
    "last_checkpoint_witnesses",
)


@dataclass
class MetricBucket:
    """Mutable summary of one bucket; ``start`` is UTC ms, aligned to its size."""

    start: int
    records: int = 0
    latency_count: int = 0
    latency_sum: int = 0
    late: int = 0
    clock_skew: int = 0
    violations: int = 0
    fields_checked: int = 0
    missing_total: int = 0
    mapping_total: int = 0
    mapping_mapped: int = 0
    verification_failures: int = 0
    checkpoints: int = 0
    latency_bins: dict[int, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    latency_min: int | None = None
    latency_max: int | None = None
    last_as_of: int | None = None
    last_received_at: int | None = None
    first_ledger_index: int | None = None
    last_ledger_index: int | None = None
    last_checkpoint_at: int | None = None
    last_checkpoint_witnesses: int | None = None
    mapping_profiles: set[str] = field(default_factory=set)

    # -- additive parts -------------------------------------------------------

    def add_counts(
        self, other: MetricBucket, sign: int = 1, *, keys: list[int] | None = None
    ) -> None:
        """``self += sign * other`` for the additive parts only (``keys``: see
        :func:`governance._histogram.add_bins`)."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + sign * getattr(other, name))
        add_bins(self.latency_bins, other.latency_bins, sign, keys)
        for key, n in other.missing.items():
            total = self.missing.get(key, 0) + sign * n
            if total:
                self.missing[key] = total
            else:
                self.missing.pop(key, None)

    def record_latency(self, latency: int) -> None:
        index = bin_of(latency)
        self.latency_bins[index] = self.latency_bins.get(index, 0) + 1
        self.latency_count += 1
        self.latency_sum += latency
        self.latency_min = latency if self.latency_min is None else min(self.latency_min, latency)
        self.latency_max = latency if self.latency_max is None else max(self.latency_max, latency)

    def record_missing(self, fields: tuple[str, ...]) -> None:
        for name in fields:
            self.missing[name] = self.missing.get(name, 0) + 1
        self.missing_total += len(fields)

    # -- serialisation -------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; integer keys of the histogram become strings."""
        out: dict[str, Any] = {"format": BUCKET_FORMAT, "start": self.start}
        out.update({name: getattr(self, name) for name in _COUNTERS + _EXTREMES})
        out["latency_bins"] = {str(k): v for k, v in sorted(self.latency_bins.items())}
        out["missing"] = dict(sorted(self.missing.items()))
        out["mapping_profiles"] = sorted(self.mapping_profiles)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> MetricBucket:
        """Read back a stored bucket; raises :class:`MetricsStateError`."""
        keys = ("format", "start", "latency_bins", "missing", "mapping_profiles")
        o = _R.obj(data, "bucket", keys=keys + _COUNTERS + _EXTREMES)
        if o.get("format") != BUCKET_FORMAT:
            raise MetricsStateError(f"bucket: expected format {BUCKET_FORMAT!r}")
        bucket = cls(start=_R.integer(_R.field(o, "start", "bucket"), "bucket.start", minimum=0))
        for name in _COUNTERS:
            setattr(bucket, name, _R.integer(o.get(name, 0), f"bucket.{name}", minimum=0))
        for name in _EXTREMES:
            value = o.get(name)
            if value is not None:
                setattr(bucket, name, _R.integer(value, f"bucket.{name}", minimum=0))
        bins = _R.obj(o.get("latency_bins", {}), "bucket.latency_bins")
        for key, n in bins.items():
            if not key.isascii() or not key.isdigit():
                raise MetricsStateError(f"bucket.latency_bins: bad bin {key!r}")
            bucket.latency_bins[int(key)] = _R.integer(n, f"bucket.latency_bins.{key}", minimum=1)
        missing = _R.obj(o.get("missing", {}), "bucket.missing")
        bucket.missing = {
            k: _R.integer(v, f"bucket.missing.{k}", minimum=1) for k, v in missing.items()
        }
        bucket.mapping_profiles = set(
            _R.strings(o.get("mapping_profiles", []), "bucket.mapping_profiles")
        )
        if sum(bucket.latency_bins.values()) != bucket.latency_count:
            raise MetricsStateError("bucket: histogram does not add up to latency_count")
        if sum(bucket.missing.values()) != bucket.missing_total:
            raise MetricsStateError("bucket: missing counts do not add up to missing_total")
        return bucket


def newest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


def oldest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def fold_extremes(into: MetricBucket, other: MetricBucket) -> None:
    """Merge the non-additive parts of ``other`` into ``into``."""
    into.latency_min = oldest(into.latency_min, other.latency_min)
    into.latency_max = newest(into.latency_max, other.latency_max)
    into.last_as_of = newest(into.last_as_of, other.last_as_of)
    into.last_received_at = newest(into.last_received_at, other.last_received_at)
    into.first_ledger_index = oldest(into.first_ledger_index, other.first_ledger_index)
    into.last_ledger_index = newest(into.last_ledger_index, other.last_ledger_index)
    if other.last_checkpoint_at is not None and (
        into.last_checkpoint_at is None or other.last_checkpoint_at >= into.last_checkpoint_at
    ):
        into.last_checkpoint_at = other.last_checkpoint_at
        into.last_checkpoint_witnesses = other.last_checkpoint_witnesses
    into.mapping_profiles |= other.mapping_profiles
