"""One call per inbound record: check it, then count it in the partner's metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance._checks import check_record
from governance._errors import TimestampError
from governance._findings import Finding
from governance._metrics import PartnerMetrics
from governance._partner import PartnerProfile
from governance._ruleset import RuleSet
from governance._timestamps import parse_timestamp

__all__ = ["ingest_record", "record_as_of"]


def record_as_of(record: Mapping[str, Any], partner: PartnerProfile) -> int | None:
    """The record's as-of time in UTC ms, or ``None`` if absent or unreadable."""
    value = record.get("as_of") if isinstance(record, Mapping) else None
    if value is None:
        return None
    try:
        return parse_timestamp(value, zone=partner.tz)
    except TimestampError:
        return None


def ingest_record(
    metrics: PartnerMetrics,
    record: Mapping[str, Any],
    rules: RuleSet,
    *,
    now: int,
    partner: PartnerProfile,
    ledger_index: int | None = None,
    mapping_profile: str | None = None,
) -> tuple[Finding, ...]:
    """Check ``record`` received at ``now`` and record its metrics; returns the findings."""
    findings = check_record(record, rules, now=now, partner=partner)
    metrics.observe_record(
        received_at=now,
        as_of=record_as_of(record, partner),
        findings=findings,
        rules=rules,
        ledger_index=ledger_index,
        mapping_profile=mapping_profile,
    )
    return findings
