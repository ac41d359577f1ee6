"""Checks across two documents: receipt against despatch, capacity against demand.

Both compare plain canonical documents (see the rule set's document rules) and
return findings that open ``receipt_mismatch``, ``late_delivery`` and
``capacity_gap`` exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance._errors import GovernanceError, TimestampError
from governance._findings import Finding, RuleId, make_finding
from governance._partner import PartnerProfile
from governance._quantities import quantity_value
from governance._ruleset import RuleSet
from governance._timestamps import format_display, parse_timestamp
from governance._vocab import ExceptionType, Severity

__all__ = ["compare_capacity", "compare_receipt"]


def _lines(document: Mapping[str, Any], what: str) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        raise GovernanceError(f"the {what} must be a mapping")
    lines = document.get("lines")
    if not isinstance(lines, list | tuple) or not all(isinstance(x, Mapping) for x in lines):
        raise GovernanceError(f"the {what} has no list of line objects; check it first")
    return list(lines)


def _totals(
    lines: list[Mapping[str, Any]], key_fields: tuple[str, ...], qty: str, what: str
) -> dict[tuple[str, ...], float]:
    totals: dict[tuple[str, ...], float] = {}
    for i, line in enumerate(lines):
        key = tuple(str(line.get(k, "")) for k in key_fields)
        value = quantity_value(line.get(qty))
        if value is None:
            raise GovernanceError(f"{what} line {i}: {qty} is not a number; check it first")
        totals[key] = totals.get(key, 0.0) + value
    return totals


def compare_receipt(
    despatch: Mapping[str, Any],
    receipt: Mapping[str, Any],
    rules: RuleSet,
    *,
    partner: PartnerProfile,
) -> tuple[Finding, ...]:
    """Received ≠ despatched (per sku and lot) and late arrival, as findings.

    ``partner`` is the despatching party, whose zone reads offset-less times.
    A line's difference counts when it exceeds the rule set's receipt tolerance
    (a fraction of the despatched quantity). Raises :class:`GovernanceError` if
    the documents do not belong together or were not checked first.
    """
    number = despatch.get("despatch_number")
    if receipt.get("despatch_number") != number:
        raise GovernanceError(
            f"receipt is for despatch {receipt.get('despatch_number')!r}, not {number!r}"
        )
    subject = f"despatch_advice:{number}"
    keys = ("sku", "lot")
    shipped = _totals(_lines(despatch, "despatch advice"), keys, "quantity_shipped", "despatch")
    received = _totals(_lines(receipt, "goods receipt"), keys, "quantity_received", "receipt")
    out: list[Finding] = []
    for key in sorted(set(shipped) | set(received)):
        sent, got = shipped.get(key, 0.0), received.get(key, 0.0)
        if abs(got - sent) > rules.receipt_tolerance * sent:
            label = key[0] + (f" lot {key[1]}" if key[1] else "")
            out.append(
                make_finding(
                    rules,
                    RuleId.RECEIPT_MISMATCH,
                    Severity.ERROR,
                    "lines[].quantity_received",
                    f"{label}: received {got:g}, despatched {sent:g}",
                    subject=f"{subject}/{key[0]}",
                    exception_type=ExceptionType.RECEIPT_MISMATCH,
                )
            )
    try:
        expected = parse_timestamp(despatch.get("expected_arrival"), zone=partner.tz)
        arrived = parse_timestamp(receipt.get("received_at"), zone=partner.tz)
    except TimestampError as exc:
        raise GovernanceError(f"cannot compare arrival times: {exc}") from None
    late_by = arrived - expected
    if late_by > rules.late_delivery_tolerance_ms:
        off = rules.timestamps.display_offset_minutes
        out.append(
            make_finding(
                rules,
                RuleId.LATE_DELIVERY,
                Severity.WARNING,
                "received_at",
                f"received {format_display(arrived, offset_minutes=off)}, expected by "
                f"{format_display(expected, offset_minutes=off)} ({late_by} ms late)",
                subject=subject,
                exception_type=ExceptionType.LATE_DELIVERY,
            )
        )
    return tuple(out)


def compare_capacity(
    forecast: Mapping[str, Any], capacity: Mapping[str, Any], rules: RuleSet
) -> tuple[Finding, ...]:
    """Weeks where forecast demand exceeds the supplier's capacity, per sku."""
    demand = _totals(
        _lines(forecast, "demand forecast"), ("sku", "week"), "forecast_qty", "forecast"
    )
    supply = _totals(_lines(capacity, "capacity"), ("sku", "week"), "capacity_qty", "capacity")
    out: list[Finding] = []
    for key in sorted(demand):
        need, can = demand[key], supply.get(key, 0.0)
        if need > can:
            out.append(
                make_finding(
                    rules,
                    RuleId.CAPACITY_GAP,
                    Severity.WARNING,
                    "lines[].capacity_qty",
                    f"{key[0]} week {key[1]}: demand {need:g} above capacity {can:g}",
                    subject=f"capacity:{key[0]}/{key[1]}",
                    exception_type=ExceptionType.CAPACITY_GAP,
                )
            )
    return tuple(out)
