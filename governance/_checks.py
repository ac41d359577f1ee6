"""Rule checks on inbound inventory positions and partner documents.

Checks never raise on bad data: every problem becomes a :class:`Finding` citing
the rule and the rule set version. They raise only when the caller misuses
them (a rule set without the record rule, a non-mapping record).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance._errors import GovernanceError, TimestampError
from governance._fields import MISSING, is_missing, resolve
from governance._findings import Finding, RuleId, make_finding
from governance._partner import PartnerProfile
from governance._quantities import check_quantities, quantity_value
from governance._ruleset import RuleSet
from governance._timestamps import format_display, parse_timestamp
from governance._vocab import (
    RECORD_TYPE_INVENTORY_POSITION,
    ExceptionType,
    Severity,
)

__all__ = ["check_document", "check_record", "record_subject"]

_E, _W = Severity.ERROR, Severity.WARNING


def record_subject(record: Mapping[str, Any]) -> str:
    """``sku@location`` (``#lot`` appended when present): the subject of findings."""
    sku, location, lot = (record.get(k) for k in ("sku", "location", "lot"))
    subject = (
        f"{sku if isinstance(sku, str) else '?'}@{location if isinstance(location, str) else '?'}"
    )
    return f"{subject}#{lot}" if isinstance(lot, str) and lot else subject


def _require_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise GovernanceError(f"{what} must be a mapping, not {type(value).__name__}")
    return value


def _required(
    data: Mapping[str, Any], fields: tuple[str, ...], rules: RuleSet, subject: str
) -> list[Finding]:
    out: list[Finding] = []
    for path in fields:
        for concrete, value in resolve(data, path):
            if is_missing(value):
                out.append(
                    make_finding(
                        rules,
                        RuleId.REQUIRED_FIELD,
                        _E,
                        concrete if "[" in concrete else path,
                        f"required field {concrete!r} is missing",
                        subject=subject,
                        exception_type=ExceptionType.MISSING_FIELDS,
                    )
                )
        if "[]" in path:
            container = path.split("[]", 1)[0]
            for concrete, value in resolve(data, container):
                if not is_missing(value) and not isinstance(value, list | tuple):
                    out.append(
                        make_finding(
                            rules,
                            RuleId.FIELD_TYPE,
                            _E,
                            concrete,
                            f"{concrete!r} must be a list",
                            subject=subject,
                        )
                    )
    return _dedupe(out)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        if (f.rule_id, f.field) not in seen:
            seen.add((f.rule_id, f.field))
            out.append(f)
    return out


def _timestamp(
    value: Any, field: str, rules: RuleSet, *, now: int, partner: PartnerProfile, subject: str
) -> list[Finding]:
    if is_missing(value):
        return []
    try:
        ms = parse_timestamp(value, zone=partner.tz)
    except TimestampError as exc:
        return [make_finding(rules, RuleId.TIMESTAMP_FORMAT, _E, field, str(exc), subject=subject)]
    tolerance = rules.timestamps.clock_skew_tolerance_ms
    if ms > now + tolerance:
        off = rules.timestamps.display_offset_minutes
        return [
            make_finding(
                rules,
                RuleId.CLOCK_SKEW,
                _E,
                field,
                f"{field} {format_display(ms, offset_minutes=off)} is {ms - now} ms after the "
                f"network's time {format_display(now, offset_minutes=off)} "
                f"(tolerance {tolerance} ms)",
                subject=subject,
                exception_type=ExceptionType.CLOCK_SKEW,
            )
        ]
    return []


def check_record(
    record: Mapping[str, Any], rules: RuleSet, *, now: int, partner: PartnerProfile
) -> tuple[Finding, ...]:
    """Check one canonical inventory position; returns its findings (empty = clean).

    The record is a mapping: ``sku``, ``location``, optional ``lot``, ``as_of``
    (UTC ms, or a partner timestamp read under the standard) and ``quantities``
    (bucket → number). ``now`` is the time of receipt at the network (UTC ms).
    """
    record = _require_mapping(record, "an inventory position")
    try:
        rule = rules.records[RECORD_TYPE_INVENTORY_POSITION]
    except KeyError:
        raise GovernanceError(f"rule set {rules.ref} has no inventory_position rule") from None
    subject = record_subject(record)
    out = _required(record, rule.required_fields, rules, subject)
    for key in ("sku", "location", "lot"):
        value = record.get(key)
        if not is_missing(value) and not isinstance(value, str):
            out.append(
                make_finding(
                    rules, RuleId.FIELD_TYPE, _E, key, f"{key} must be a string", subject=subject
                )
            )
    out += check_quantities(record, rules, subject)
    as_of_findings = _timestamp(
        record.get("as_of", MISSING), "as_of", rules, now=now, partner=partner, subject=subject
    )
    out += as_of_findings
    if not as_of_findings and not is_missing(record.get("as_of", MISSING)):
        as_of = parse_timestamp(record["as_of"], zone=partner.tz)
        max_age = rules.freshness.max_age_for(partner.node_id)
        if now - as_of > max_age:
            out.append(
                make_finding(
                    rules,
                    RuleId.RECORD_AGE,
                    _W,
                    "as_of",
                    f"as_of is {now - as_of} ms old at receipt; "
                    f"{partner.node_id} is expected within {max_age} ms",
                    subject=subject,
                )
            )
    return tuple(out)


def check_document(
    document: Mapping[str, Any],
    rules: RuleSet,
    *,
    now: int,
    partner: PartnerProfile,
    document_type: str | None = None,
) -> tuple[Finding, ...]:
    """Check one partner document (type from ``document_type`` or its ``type`` key)."""
    document = _require_mapping(document, "a document")
    kind = document_type if document_type is not None else document.get("type")
    subject = f"{kind}:{_document_number(document)}"
    if not isinstance(kind, str) or kind not in rules.documents:
        known = ", ".join(sorted(rules.documents))
        return (
            make_finding(
                rules,
                RuleId.DOCUMENT_TYPE,
                _E,
                "type",
                f"unknown document type {kind!r}; rule set {rules.ref} knows {known}",
                subject=subject,
            ),
        )
    rule = rules.documents[kind]
    out = _required(document, rule.required_fields, rules, subject)
    for path in rule.timestamp_fields:
        for concrete, value in resolve(document, path):
            out += _timestamp(value, concrete, rules, now=now, partner=partner, subject=subject)
    for path in rule.required_fields:
        leaf = path.rsplit(".", 1)[-1]
        if not (leaf.startswith("quantity_") or leaf.endswith("_qty")):
            continue
        for concrete, value in resolve(document, path):
            if is_missing(value):
                continue
            number = quantity_value(value)
            if number is None:
                out.append(
                    make_finding(
                        rules,
                        RuleId.QUANTITY_NUMBER,
                        _E,
                        concrete,
                        f"{concrete} must be a finite number, got {value!r}",
                        subject=subject,
                    )
                )
            elif number < 0:
                out.append(
                    make_finding(
                        rules,
                        RuleId.QUANTITY_NEGATIVE,
                        _E,
                        concrete,
                        f"{concrete} is negative ({number:g})",
                        subject=subject,
                    )
                )
    return tuple(out)


def _document_number(document: Mapping[str, Any]) -> str:
    for key in ("receipt_number", "despatch_number", "forecast_id", "capacity_id", "po_number"):
        value = document.get(key)
        if isinstance(value, str) and value:
            return value
    return "?"
