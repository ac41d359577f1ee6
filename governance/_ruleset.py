"""The network's rule set as typed, frozen values.

A :class:`RuleSet` is data agreed by the network: it is published as a ledger
entry (see :func:`governance.rule_set_entry`) so that any party can show which
rules were in force when a finding was made. Constructors enforce the
invariants; :mod:`governance._ruleset_json` reads and writes the JSON form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, TypeVar

from governance._errors import RuleSetError
from governance._vocab import BUCKETS, DOCUMENT_TYPES, SHARED_STATES, ExceptionType

__all__ = [
    "BAND_NAMES",
    "DEFAULT_RESPONSE_MS",
    "Band",
    "DocumentRule",
    "FreshnessPolicy",
    "RecordRule",
    "RuleSet",
    "SlaPolicy",
    "StateDefinition",
    "Thresholds",
    "TimestampStandard",
]

#: Default exception response time: two hours, in milliseconds (issue 7).
DEFAULT_RESPONSE_MS: Final = 2 * 60 * 60 * 1000
#: The dashboard bands every rule set defines (see ``docs/governance.md``).
BAND_NAMES: Final = (
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_rate",
    "missing_field_rate",
    "mapping_coverage",
    "rule_violation_rate",
    "feed_age_ratio",
    "checkpoint_age_ms",
    "witnesses",
    "verification_failures",
    "open_exceptions",
    "sla_breaches",
)


K = TypeVar("K")
V = TypeVar("V")


def _frozen_map(items: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(items))


@dataclass(frozen=True)
class StateDefinition:
    """One quantity bucket of the vocabulary, as the network defines it."""

    id: str
    zh: str
    en: str
    definition: str
    shared: bool
    cbv_dispositions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.id not in BUCKETS:
            raise RuleSetError(f"state {self.id!r} is not a bucket of the vocabulary")
        if not self.zh or not self.en:
            raise RuleSetError(f"state {self.id!r} needs both a zh and an en name")


@dataclass(frozen=True)
class TimestampStandard:
    """How times travel (UTC milliseconds) and how they are shown (UTC+8)."""

    display_offset_minutes: int
    clock_skew_tolerance_ms: int
    require_offset: bool = True

    def __post_init__(self) -> None:
        if not -14 * 60 <= self.display_offset_minutes <= 14 * 60:
            raise RuleSetError("display offset must lie within ±14 hours")
        if self.clock_skew_tolerance_ms < 0:
            raise RuleSetError("clock-skew tolerance must not be negative")


@dataclass(frozen=True)
class RecordRule:
    """Required fields of a record type; dotted paths such as ``quantities.available``."""

    record_type: str
    required_fields: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(set(self.required_fields)) != len(self.required_fields):
            raise RuleSetError(f"record type {self.record_type!r} lists a field twice")


@dataclass(frozen=True)
class DocumentRule:
    """Required fields and timestamp fields of a partner document type.

    A path ``lines[].sku`` means: every element of the list ``lines`` has ``sku``.
    """

    document_type: str
    required_fields: tuple[str, ...]
    timestamp_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.document_type not in DOCUMENT_TYPES:
            raise RuleSetError(f"unknown document type {self.document_type!r}")
        if len(set(self.required_fields)) != len(self.required_fields):
            raise RuleSetError(f"document type {self.document_type!r} lists a field twice")


@dataclass(frozen=True)
class FreshnessPolicy:
    """How old a partner's newest record may be before its feed is stale."""

    default_max_age_ms: int
    overrides: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", _frozen_map(self.overrides))
        for partner, age in [("default", self.default_max_age_ms), *self.overrides.items()]:
            if age <= 0:
                raise RuleSetError(f"freshness for {partner!r} must be positive")

    def max_age_for(self, partner: str) -> int:
        return self.overrides.get(partner, self.default_max_age_ms)


@dataclass(frozen=True)
class Band:
    """Thresholds of a dashboard cell: ``ok`` / ``warn`` / ``alert``.

    With ``higher_is_worse`` a value at or above ``alert`` is an alert; otherwise
    (coverage, witnesses) a value at or below ``alert`` is.
    """

    warn: float
    alert: float
    higher_is_worse: bool = True

    def __post_init__(self) -> None:
        if self.higher_is_worse and self.warn > self.alert:
            raise RuleSetError("warn must not exceed alert when higher is worse")
        if not self.higher_is_worse and self.warn < self.alert:
            raise RuleSetError("warn must not be below alert when lower is worse")

    def status(self, value: float) -> str:
        if self.higher_is_worse:
            if value >= self.alert:
                return "alert"
            return "warn" if value >= self.warn else "ok"
        if value <= self.alert:
            return "alert"
        return "warn" if value <= self.warn else "ok"


@dataclass(frozen=True)
class Thresholds:
    """Thresholds for metrics, exception opening and the dashboard's colours."""

    latency_ms: int
    missing_field_rate: float
    min_witnesses: int
    bands: Mapping[str, Band]

    def __post_init__(self) -> None:
        object.__setattr__(self, "bands", _frozen_map(self.bands))
        if self.latency_ms <= 0:
            raise RuleSetError("latency threshold must be positive")
        if not 0.0 <= self.missing_field_rate <= 1.0:
            raise RuleSetError("missing-field threshold must be a rate in [0, 1]")
        if self.min_witnesses < 0:
            raise RuleSetError("minimum witness count must not be negative")
        missing = [name for name in BAND_NAMES if name not in self.bands]
        if missing:
            raise RuleSetError(f"bands missing for {', '.join(missing)}")
        unknown = sorted(set(self.bands) - set(BAND_NAMES))
        if unknown:
            raise RuleSetError(f"unknown band(s) {', '.join(unknown)}")


@dataclass(frozen=True)
class SlaPolicy:
    """Response (and optional resolution) time of one exception type."""

    respond_within_ms: int
    resolve_within_ms: int | None = None

    def __post_init__(self) -> None:
        if self.respond_within_ms <= 0:
            raise RuleSetError("an SLA response time must be positive")
        if self.resolve_within_ms is not None and self.resolve_within_ms < self.respond_within_ms:
            raise RuleSetError("an SLA resolution time must not be shorter than its response time")


@dataclass(frozen=True)
class RuleSet:
    """A versioned, dated set of network rules."""

    id: str
    version: int
    effective_from: int
    states: tuple[StateDefinition, ...]
    timestamps: TimestampStandard
    records: Mapping[str, RecordRule]
    documents: Mapping[str, DocumentRule]
    freshness: FreshnessPolicy
    thresholds: Thresholds
    sla_default: SlaPolicy
    sla_overrides: Mapping[str, SlaPolicy] = field(default_factory=dict)
    late_delivery_tolerance_ms: int = 0
    receipt_tolerance: float = 0.0

    def __post_init__(self) -> None:
        for name in ("records", "documents", "sla_overrides"):
            object.__setattr__(self, name, _frozen_map(getattr(self, name)))
        if not self.id:
            raise RuleSetError("a rule set needs an id")
        if self.version < 1:
            raise RuleSetError("a rule set version starts at 1")
        if self.effective_from < 0:
            raise RuleSetError("effective-from must be a UTC millisecond time ≥ 0")
        ids = [s.id for s in self.states]
        if len(set(ids)) != len(ids):
            raise RuleSetError("a state is defined twice")
        missing = [s for s in SHARED_STATES if s not in ids]
        if missing:
            raise RuleSetError(f"the shared states must be defined: missing {', '.join(missing)}")
        for s in self.states:
            if s.shared != (s.id in SHARED_STATES):
                raise RuleSetError(f"state {s.id!r}: only 在途, 在检 and 可售 are shared states")
        for type_ in self.sla_overrides:
            if type_ not in set(ExceptionType):
                raise RuleSetError(f"SLA for unknown exception type {type_!r}")
        if self.late_delivery_tolerance_ms < 0:
            raise RuleSetError("late-delivery tolerance must not be negative")
        if not 0.0 <= self.receipt_tolerance < 1.0:
            raise RuleSetError("receipt tolerance must be a fraction in [0, 1)")

    @property
    def ref(self) -> str:
        """``id@version``, the short citation used in findings and events."""
        return f"{self.id}@{self.version}"

    def state(self, bucket: str) -> StateDefinition:
        for s in self.states:
            if s.id == bucket:
                return s
        raise RuleSetError(f"state {bucket!r} is not defined by rule set {self.ref}")

    def sla_for(self, exception_type: str) -> SlaPolicy:
        return self.sla_overrides.get(exception_type, self.sla_default)

    def band(self, metric: str) -> Band:
        try:
            return self.thresholds.bands[metric]
        except KeyError:
            raise RuleSetError(f"rule set {self.ref} has no band for {metric!r}") from None
