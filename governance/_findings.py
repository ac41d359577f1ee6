"""Findings: what a rule check says about one record or document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from governance._errors import GovernanceError
from governance._ruleset import RuleSet
from governance._vocab import ExceptionType, Severity

__all__ = ["Finding", "RuleId", "make_finding"]


class RuleId:
    """Identifiers of the checks; a finding cites one with the rule set's version."""

    REQUIRED_FIELD: Final = "required_field"
    FIELD_TYPE: Final = "field.type"
    TIMESTAMP_FORMAT: Final = "timestamp.format"
    CLOCK_SKEW: Final = "timestamp.clock_skew"
    RECORD_AGE: Final = "freshness.record_age"
    UNKNOWN_BUCKET: Final = "state.unknown_bucket"
    QUANTITY_NUMBER: Final = "quantity.number"
    QUANTITY_NEGATIVE: Final = "quantity.non_negative"
    ON_HAND_BALANCE: Final = "state.on_hand_balance"
    DOCUMENT_TYPE: Final = "document.type"
    RECEIPT_MISMATCH: Final = "document.receipt_mismatch"
    LATE_DELIVERY: Final = "document.late_delivery"
    CAPACITY_GAP: Final = "document.capacity_gap"


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one field of one record or document."""

    rule_id: str
    rule_set: str
    rule_version: int
    severity: Severity
    field: str
    message: str
    subject: str
    exception_type: ExceptionType | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.severity, Severity):
            raise GovernanceError(f"unknown severity {self.severity!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for API responses and ledger bodies."""
        return {
            "rule_id": self.rule_id,
            "rule_set": self.rule_set,
            "rule_version": self.rule_version,
            "severity": self.severity.value,
            "field": self.field,
            "message": self.message,
            "subject": self.subject,
            "exception_type": None if self.exception_type is None else self.exception_type.value,
        }


def make_finding(
    rules: RuleSet,
    rule_id: str,
    severity: Severity,
    field: str,
    message: str,
    *,
    subject: str,
    exception_type: ExceptionType | None = None,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        rule_set=rules.id,
        rule_version=rules.version,
        severity=severity,
        field=field,
        message=message,
        subject=subject,
        exception_type=exception_type,
    )
