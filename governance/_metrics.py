"""Data-quality metrics of one partner's feed, kept incrementally.

Every observation lands in three buckets (minute, hour, day) and in the three
running window totals, so an update costs O(1) and a window query reads a total
instead of merging buckets. See :mod:`governance._windows` for the windows and
:mod:`governance._histogram` for the latency percentiles' error bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, Final

from governance._bucket import MetricBucket, fold_extremes
from governance._errors import MetricsStateError
from governance._findings import Finding, RuleId
from governance._histogram import BlockIndex
from governance._jsonread import Reader
from governance._ruleset import RuleSet
from governance._vocab import RECORD_TYPE_INVENTORY_POSITION, Severity
from governance._window_stats import WindowStats, figures_of, stats_of
from governance._windows import LEVELS, Level, level_for

__all__ = ["METRICS_FORMAT", "PartnerMetrics"]

METRICS_FORMAT: Final = "scnode-governance-metrics/v1"
_R = Reader(MetricsStateError)


class _Tier:
    """The live buckets of one level and their running total."""

    __slots__ = (
        "blocks",
        "buckets",
        "cached",
        "cached_dict",
        "cutoff",
        "extremes",
        "keys",
        "level",
        "total",
    )

    def __init__(self, level: Level) -> None:
        self.level = level
        self.buckets: dict[int, MetricBucket] = {}
        self.total = MetricBucket(start=0)  # additive parts, kept by add / subtract
        self.keys: list[int] = []  # the total's histogram bins, sorted
        self.blocks = BlockIndex()  # the total's counts per block of bins
        self.extremes = MetricBucket(start=0)  # folded on add, rebuilt on expiry
        self.cutoff = 0
        self.cached: WindowStats | None = None  # figures until the next change
        self.cached_dict: dict[str, Any] | None = None  # their JSON form, idem

    def stats(self, partner: str, now: int) -> WindowStats:
        """The window's figures at ``now``, recomputed only after a change."""
        cached = self.cached
        if cached is None:
            cached = self.cached = stats_of(
                partner,
                self.level.window,
                self.total,
                start=self.cutoff,
                end=now,
                extremes=self.extremes,
                keys=self.keys,
            )
        if cached.end == now:
            return cached
        return replace(cached, end=now, lineage=replace(cached.lineage, end=now))

    def figures(self, partner: str, now: int) -> dict[str, Any]:
        """``stats(partner, now).to_dict()``, from a JSON form kept until the next
        change: a query copies two small dicts instead of building the figures."""
        template = self.cached_dict
        if template is None:
            template = self.cached_dict = figures_of(
                partner,
                self.level.window,
                self.total,
                start=self.cutoff,
                end=now,
                extremes=self.extremes,
                keys=self.keys,
                blocks=self.blocks,
            )
        out = template.copy()
        out["end"] = now
        lineage = out["lineage"] = template["lineage"].copy()
        lineage["end"] = now
        return out

    def changed(self) -> None:
        self.cached = None
        self.cached_dict = None

    def advance(self, now: int) -> None:
        cutoff = self.level.window_start(now)
        if cutoff <= self.cutoff:
            return
        self.cutoff = cutoff
        self.changed()
        expired = [s for s in self.buckets if s < cutoff]
        for start in expired:
            gone = self.buckets.pop(start)
            self.total.add_counts(gone, -1, keys=self.keys)
            self.blocks.add(gone.latency_bins, -1)
        if expired:
            self.extremes = MetricBucket(start=0)
            for bucket in self.buckets.values():
                fold_extremes(self.extremes, bucket)

    def add(self, at: int, delta: MetricBucket) -> None:
        start = self.level.align(at)
        if start < self.cutoff:
            return  # already outside this window
        bucket = self.buckets.get(start)
        if bucket is None:
            bucket = self.buckets[start] = MetricBucket(start=start)
        bucket.add_counts(delta)
        fold_extremes(bucket, delta)
        self.total.add_counts(delta, keys=self.keys)
        self.blocks.add(delta.latency_bins)
        fold_extremes(self.extremes, delta)
        self.changed()

    def adopt(self, bucket: MetricBucket) -> None:
        """Take a stored bucket back (see :meth:`PartnerMetrics.from_dict`)."""
        self.buckets[bucket.start] = bucket
        self.total.add_counts(bucket, keys=self.keys)
        self.blocks.add(bucket.latency_bins)
        fold_extremes(self.extremes, bucket)
        self.changed()


class PartnerMetrics:
    """The metrics of one partner (node). Mutable; every call passes the time.

    Times go forward: an observation or query at ``t`` first expires buckets
    that left their window at ``t``. Observations older than a window are
    counted only in the longer windows still covering them. A query with a
    ``now`` earlier than the newest observation answers as of that observation.
    """

    def __init__(self, partner: str) -> None:
        if not isinstance(partner, str) or not partner:
            raise MetricsStateError("metrics need a non-empty partner id")
        self.partner = partner
        self.watermark = 0
        self._tiers = tuple(_Tier(level) for level in LEVELS)
        # Not windowed: the newest facts ever seen, for freshness beyond 30 days.
        self.state = MetricBucket(start=0)

    # -- observations --------------------------------------------------------

    def _advance(self, now: int) -> int:
        if isinstance(now, bool) or not isinstance(now, int) or now < 0:
            raise MetricsStateError(f"time must be UTC milliseconds ≥ 0, got {now!r}")
        if now > self.watermark:
            self.watermark = now
            for tier in self._tiers:
                tier.advance(now)
        return self.watermark

    def _land(self, at: int, delta: MetricBucket) -> None:
        self._advance(at)
        for tier in self._tiers:
            tier.add(at, delta)
        fold_extremes(self.state, delta)

    def observe_record(
        self,
        *,
        received_at: int,
        as_of: int | None,
        findings: Sequence[Finding],
        rules: RuleSet,
        ledger_index: int | None = None,
        mapping_profile: str | None = None,
    ) -> None:
        """Count one inbound inventory position and the findings its check produced.

        ``as_of`` is the record's parsed as-of time (``None`` if it had none or it
        did not parse: no latency sample). Latency is ``received_at − as_of``,
        floored at 0 (a skewed clock is counted separately).
        """
        rule = rules.records.get(RECORD_TYPE_INVENTORY_POSITION)
        if rule is None:
            raise MetricsStateError(f"rule set {rules.ref} has no inventory_position rule")
        d = MetricBucket(start=0, records=1)
        d.fields_checked = len(rule.required_fields)
        missing = tuple(sorted({f.field for f in findings if f.rule_id == RuleId.REQUIRED_FIELD}))
        d.record_missing(missing)
        d.violations = int(any(f.severity is Severity.ERROR for f in findings))
        d.clock_skew = int(any(f.rule_id == RuleId.CLOCK_SKEW for f in findings))
        if as_of is not None:
            latency = max(0, received_at - as_of)
            d.record_latency(latency)
            d.late = int(latency > rules.thresholds.latency_ms)
            d.last_as_of = as_of
        d.last_received_at = received_at
        if ledger_index is not None:
            d.first_ledger_index = d.last_ledger_index = ledger_index
        if mapping_profile is not None:
            d.mapping_profiles.add(mapping_profile)
        self._land(received_at, d)

    def observe_mapping(
        self, *, at: int, mapped: int, total: int, mapping_profile: str | None = None
    ) -> None:
        """One inbound export: ``mapped`` of its ``total`` source fields had a mapping."""
        if not 0 <= mapped <= total:
            raise MetricsStateError(f"mapped fields {mapped} must lie in 0…{total}")
        d = MetricBucket(start=0, mapping_total=total, mapping_mapped=mapped)
        if mapping_profile is not None:
            d.mapping_profiles.add(mapping_profile)
        self._land(at, d)

    def observe_checkpoint(self, *, at: int, witnesses: int) -> None:
        """A checkpoint of this partner verified at ``at``, with its witness count."""
        if witnesses < 0:
            raise MetricsStateError("witness count must not be negative")
        d = MetricBucket(start=0, checkpoints=1)
        d.last_checkpoint_at, d.last_checkpoint_witnesses = at, witnesses
        self._land(at, d)

    def observe_feed(self, *, at: int, as_of: int) -> None:
        """This node verified, at ``at``, facts of this partner as of ``as_of``
        (read from its node, not received as records): the feed's freshness
        moves, no record is counted."""
        if isinstance(as_of, bool) or not isinstance(as_of, int) or as_of < 0:
            raise MetricsStateError(f"as-of must be UTC milliseconds ≥ 0, got {as_of!r}")
        d = MetricBucket(start=0)
        d.last_as_of, d.last_received_at = as_of, at
        self._land(at, d)

    def observe_verification_failure(self, *, at: int) -> None:
        """A proof, signature or consistency check of this partner's data failed."""
        self._land(at, MetricBucket(start=0, verification_failures=1))

    # -- queries -------------------------------------------------------------

    def window(self, name: str, *, now: int) -> WindowStats:
        """Figures of one window (``hour``, ``day``, ``30d``) at ``now``."""
        level = level_for(name)
        now = self._advance(now)
        return self._tiers[LEVELS.index(level)].stats(self.partner, now)

    def window_dict(self, name: str, *, now: int) -> dict[str, Any]:
        """``window(name, now=now).to_dict()``, served from a cached JSON form (the
        health API's path: a fresh dict per call, nested lists shared: read only)."""
        level = level_for(name)
        now = self._advance(now)
        return self._tiers[LEVELS.index(level)].figures(self.partner, now)

    def series(self, bucket: str, *, now: int) -> tuple[WindowStats, ...]:
        """One :class:`WindowStats` per bucket of a level, oldest first, gaps included."""
        level = level_for(bucket, bucket=True)
        now = self._advance(now)
        tier = self._tiers[LEVELS.index(level)]
        out = []
        for i in range(level.slots):
            start = tier.cutoff + i * level.size_ms
            b = tier.buckets.get(start) or MetricBucket(start=start)
            end = min(start + level.size_ms, now)
            out.append(stats_of(self.partner, level.bucket, b, start=start, end=end))
        return tuple(out)

    @property
    def last_as_of(self) -> int | None:
        return self.state.last_as_of

    @property
    def last_received_at(self) -> int | None:
        return self.state.last_received_at

    @property
    def last_checkpoint_at(self) -> int | None:
        return self.state.last_checkpoint_at

    @property
    def witnesses(self) -> int | None:
        return self.state.last_checkpoint_witnesses

    # -- storage -------------------------------------------------------------

    def buckets(self) -> Iterable[tuple[str, MetricBucket]]:
        """``(bucket level, bucket)`` pairs: what the node stores, one row each."""
        for tier in self._tiers:
            for start in sorted(tier.buckets):
                yield tier.level.bucket, tier.buckets[start]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": METRICS_FORMAT,
            "partner": self.partner,
            "watermark": self.watermark,
            "state": self.state.to_dict(),
            "buckets": [{"level": lv, **b.to_dict()} for lv, b in self.buckets()],
        }

    @classmethod
    def from_dict(cls, data: Any) -> PartnerMetrics:
        """Rebuild from :meth:`to_dict` output; raises :class:`MetricsStateError`."""
        o = _R.obj(data, "metrics", keys=("format", "partner", "watermark", "state", "buckets"))
        if o.get("format") != METRICS_FORMAT:
            raise MetricsStateError(f"metrics: expected format {METRICS_FORMAT!r}")
        out = cls(_R.string(_R.field(o, "partner", "metrics"), "metrics.partner"))
        watermark = _R.integer(_R.field(o, "watermark", "metrics"), "metrics.watermark", minimum=0)
        out._advance(watermark)
        out.state = MetricBucket.from_dict(_R.field(o, "state", "metrics"))
        for i, raw in enumerate(_R.items(_R.field(o, "buckets", "metrics"), "metrics.buckets")):
            row = dict(_R.obj(raw, f"metrics.buckets[{i}]"))
            level = level_for(
                _R.string(row.pop("level", None), f"metrics.buckets[{i}].level"), bucket=True
            )
            bucket = MetricBucket.from_dict(row)
            tier = out._tiers[LEVELS.index(level)]
            if level.align(bucket.start) != bucket.start:
                raise MetricsStateError(
                    f"metrics.buckets[{i}]: start not aligned to a {level.bucket}"
                )
            if bucket.start in tier.buckets:
                raise MetricsStateError(f"metrics.buckets[{i}]: {level.bucket} stored twice")
            if bucket.start < tier.cutoff:
                continue  # expired: outside every window it served
            if bucket.start > watermark:
                raise MetricsStateError(f"metrics.buckets[{i}]: bucket after the watermark")
            tier.adopt(bucket)
        return out
