"""Receipt against despatch; demand against capacity."""

from __future__ import annotations

from typing import Any

import pytest

from governance import (
    ExceptionType,
    GovernanceError,
    PartnerProfile,
    RuleId,
    compare_capacity,
    compare_receipt,
    default_rule_set,
    rule_set_from_dict,
    rule_set_to_dict,
)

RULES = default_rule_set()
SUPPLIER = PartnerProfile("module-maker", "Asia/Shanghai")
HOUR = 3_600_000


def despatch() -> dict[str, Any]:
    return {
        "despatch_number": "D-9",
        "po_number": "PO-1",
        "shipped_at": "2026-02-01T08:00:00.000+08:00",
        "expected_arrival": "2026-02-02T08:00:00.000+08:00",
        "lines": [
            {"sku": "MOD-1", "lot": "A", "quantity_shipped": 300},
            {"sku": "MOD-1", "lot": "A", "quantity_shipped": 200},
            {"sku": "MOD-2", "quantity_shipped": 20},
        ],
    }


def receipt(
    received_at: str = "2026-02-02T08:30:00", got: dict[str, float] | None = None
) -> dict[str, Any]:
    got = {"MOD-1": 500.0, "MOD-2": 20.0} | (got or {})
    return {
        "receipt_number": "R-1",
        "despatch_number": "D-9",
        "po_number": "PO-1",
        "received_at": received_at,
        "lines": [
            {"sku": "MOD-1", "lot": "A", "quantity_received": got["MOD-1"]},
            {"sku": "MOD-2", "quantity_received": got["MOD-2"]},
        ],
    }


def test_matching_receipt_on_time() -> None:
    assert compare_receipt(despatch(), receipt(), RULES, partner=SUPPLIER) == ()


def test_receipt_mismatch_per_sku_and_lot() -> None:
    (finding,) = compare_receipt(despatch(), receipt(got={"MOD-1": 490}), RULES, partner=SUPPLIER)
    assert finding.rule_id == RuleId.RECEIPT_MISMATCH
    assert finding.exception_type is ExceptionType.RECEIPT_MISMATCH
    assert finding.message == "MOD-1 lot A: received 490, despatched 500"
    assert finding.subject == "despatch_advice:D-9/MOD-1"


def test_receipt_tolerance_from_rules() -> None:
    d = rule_set_to_dict(RULES)
    d["document_tolerances"]["receipt_quantity"] = 0.02
    tolerant = rule_set_from_dict(d)
    assert (
        compare_receipt(despatch(), receipt(got={"MOD-1": 490}), tolerant, partner=SUPPLIER) == ()
    )
    assert (
        len(compare_receipt(despatch(), receipt(got={"MOD-1": 489}), tolerant, partner=SUPPLIER))
        == 1
    )


def test_late_delivery_after_tolerance() -> None:
    tolerance = RULES.late_delivery_tolerance_ms
    assert tolerance == HOUR
    on_edge = receipt(received_at="2026-02-02T09:00:00.000+08:00")
    assert compare_receipt(despatch(), on_edge, RULES, partner=SUPPLIER) == ()
    late = receipt(received_at="2026-02-02T09:00:00.001+08:00")
    (finding,) = compare_receipt(despatch(), late, RULES, partner=SUPPLIER)
    assert finding.exception_type is ExceptionType.LATE_DELIVERY
    assert f"({HOUR + 1} ms late)" in finding.message


def test_receipt_for_another_despatch_is_refused() -> None:
    other = receipt() | {"despatch_number": "D-10"}
    with pytest.raises(GovernanceError, match="not 'D-9'"):
        compare_receipt(despatch(), other, RULES, partner=SUPPLIER)
    broken = receipt() | {"lines": "x"}
    with pytest.raises(GovernanceError, match="check it first"):
        compare_receipt(despatch(), broken, RULES, partner=SUPPLIER)
    naive = receipt(received_at="2026-02-02T08:30:00")
    with pytest.raises(GovernanceError, match="no UTC offset"):
        compare_receipt(despatch(), naive, RULES, partner=PartnerProfile("module-maker"))


def test_capacity_gap_per_sku_and_week() -> None:
    forecast = {
        "lines": [
            {"sku": "MOD-1", "week": "2026-W10", "forecast_qty": 1000},
            {"sku": "MOD-1", "week": "2026-W11", "forecast_qty": 1000},
            {"sku": "MOD-2", "week": "2026-W10", "forecast_qty": 5},
        ]
    }
    capacity = {
        "lines": [
            {"sku": "MOD-1", "week": "2026-W10", "capacity_qty": 1000},
            {"sku": "MOD-1", "week": "2026-W11", "capacity_qty": 800},
        ]
    }
    findings = compare_capacity(forecast, capacity, RULES)
    assert [(f.subject, f.message) for f in findings] == [
        ("capacity:MOD-1/2026-W11", "MOD-1 week 2026-W11: demand 1000 above capacity 800"),
        ("capacity:MOD-2/2026-W10", "MOD-2 week 2026-W10: demand 5 above capacity 0"),
    ]
    assert {f.exception_type for f in findings} == {ExceptionType.CAPACITY_GAP}
