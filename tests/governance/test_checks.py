"""Rule checks on inventory positions and partner documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import (
    ExceptionType,
    Finding,
    GovernanceError,
    PartnerProfile,
    RuleId,
    Severity,
    check_document,
    check_record,
    default_rule_set,
    rule_set_from_dict,
    rule_set_to_dict,
)

RULES = default_rule_set()
NOW = 1_769_909_400_123  # 2026-02-01T09:30:00.123+08:00
MIN = 60_000
PARTNER = PartnerProfile("module-maker")


def position(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sku": "CHIP-7",
        "location": "SZ-01",
        "lot": "L42",
        "as_of": NOW - 2 * MIN,
        "quantities": {
            "on_hand": 100,
            "available": 60,
            "reserved": 20,
            "in_inspection": 10,
            "blocked": 5,
            "damaged": 5,
            "in_transit": 30,
        },
    }
    record.update(changes)
    return record


def rules_of(findings: tuple[Finding, ...]) -> list[tuple[str, str]]:
    return sorted((f.rule_id, f.field) for f in findings)


def test_clean_record_has_no_findings() -> None:
    assert check_record(position(), RULES, now=NOW, partner=PARTNER) == ()
    no_lot = position()
    del no_lot["lot"]
    assert check_record(no_lot, RULES, now=NOW, partner=PARTNER) == ()


def test_findings_cite_rule_and_version() -> None:
    record = position()
    del record["sku"]
    (finding,) = check_record(record, RULES, now=NOW, partner=PARTNER)
    assert finding.rule_id == RuleId.REQUIRED_FIELD
    assert finding.rule_set == "scnode-network-default"
    assert finding.rule_version == 1
    assert finding.severity is Severity.ERROR
    assert finding.field == "sku"
    assert finding.subject == "?@SZ-01#L42"
    assert finding.exception_type is ExceptionType.MISSING_FIELDS
    assert finding.to_dict()["severity"] == "error"
    d = rule_set_to_dict(RULES)
    d["version"] = 2
    (again,) = check_record(record, rule_set_from_dict(d), now=NOW, partner=PARTNER)
    assert again.rule_version == 2


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_missing_fields_include_nulls_and_blanks(blank: object) -> None:
    q = dict(position()["quantities"])
    del q["in_transit"]
    record = position(location=blank, quantities=q)
    assert rules_of(check_record(record, RULES, now=NOW, partner=PARTNER)) == [
        (RuleId.REQUIRED_FIELD, "location"),
        (RuleId.REQUIRED_FIELD, "quantities.in_transit"),
    ]


def test_missing_quantities_object_reports_each_shared_state() -> None:
    record = position()
    del record["quantities"]
    fields = [f.field for f in check_record(record, RULES, now=NOW, partner=PARTNER)]
    assert fields == ["quantities.available", "quantities.in_transit", "quantities.in_inspection"]


@pytest.mark.parametrize(
    ("quantities", "expected"),
    [
        (
            {"available": 1, "in_transit": 0, "in_inspection": 0, "stock": 3},
            (RuleId.UNKNOWN_BUCKET, "quantities.stock"),
        ),
        (
            {"available": "12", "in_transit": 0, "in_inspection": 0},
            (RuleId.QUANTITY_NUMBER, "quantities.available"),
        ),
        (
            {"available": True, "in_transit": 0, "in_inspection": 0},
            (RuleId.QUANTITY_NUMBER, "quantities.available"),
        ),
        (
            {"available": float("nan"), "in_transit": 0, "in_inspection": 0},
            (RuleId.QUANTITY_NUMBER, "quantities.available"),
        ),
        (
            {"available": 5, "in_transit": -1, "in_inspection": 0},
            (RuleId.QUANTITY_NEGATIVE, "quantities.in_transit"),
        ),
        # on_hand must equal the sum of the five location buckets when all are given…
        (
            {
                "on_hand": 99,
                "available": 60,
                "reserved": 20,
                "in_inspection": 10,
                "blocked": 5,
                "damaged": 5,
                "in_transit": 0,
            },
            (RuleId.ON_HAND_BALANCE, "quantities.on_hand"),
        ),
        (
            {
                "on_hand": 101,
                "available": 60,
                "reserved": 20,
                "in_inspection": 10,
                "blocked": 5,
                "damaged": 5,
                "in_transit": 0,
            },
            (RuleId.ON_HAND_BALANCE, "quantities.on_hand"),
        ),
        # …and be at least the sum of those given.
        (
            {"on_hand": 50, "available": 60, "in_inspection": 0, "in_transit": 0},
            (RuleId.ON_HAND_BALANCE, "quantities.on_hand"),
        ),
    ],
)
def test_quantity_rules(quantities: dict[str, Any], expected: tuple[str, str]) -> None:
    findings = check_record(position(quantities=quantities), RULES, now=NOW, partner=PARTNER)
    assert rules_of(findings) == [expected]
    assert findings[0].severity is Severity.ERROR


def test_balance_holds_for_partial_buckets_and_fractions() -> None:
    q: dict[str, float] = {"on_hand": 70, "available": 60, "in_inspection": 10, "in_transit": 0}
    assert check_record(position(quantities=q), RULES, now=NOW, partner=PARTNER) == ()
    q = {
        "on_hand": 0.3,
        "available": 0.1,
        "reserved": 0.2,
        "in_inspection": 0,
        "blocked": 0,
        "damaged": 0,
        "in_transit": 0,
    }
    assert check_record(position(quantities=q), RULES, now=NOW, partner=PARTNER) == ()


def test_clock_skew_beyond_tolerance_is_a_finding() -> None:
    tolerance = RULES.timestamps.clock_skew_tolerance_ms
    assert check_record(position(as_of=NOW + tolerance), RULES, now=NOW, partner=PARTNER) == ()
    (finding,) = check_record(position(as_of=NOW + tolerance + 1), RULES, now=NOW, partner=PARTNER)
    assert finding.rule_id == RuleId.CLOCK_SKEW
    assert finding.exception_type is ExceptionType.CLOCK_SKEW
    assert "2026-02-01T09:35:00.124+08:00" in finding.message
    assert "2026-02-01T09:30:00.123+08:00" in finding.message


def test_as_of_strings_follow_the_timestamp_standard() -> None:
    ok = position(as_of="2026-02-01T09:28:00.123+08:00")
    assert check_record(ok, RULES, now=NOW, partner=PARTNER) == ()
    naive = position(as_of="2026-02-01T09:28:00.123")
    (finding,) = check_record(naive, RULES, now=NOW, partner=PARTNER)
    assert finding.rule_id == RuleId.TIMESTAMP_FORMAT
    assert "no UTC offset" in finding.message
    shanghai = PartnerProfile("module-maker", "Asia/Shanghai")
    assert check_record(naive, RULES, now=NOW, partner=shanghai) == ()
    (bad,) = check_record(position(as_of="2026-02-30T00:00Z"), RULES, now=NOW, partner=PARTNER)
    assert bad.rule_id == RuleId.TIMESTAMP_FORMAT


def test_old_as_of_is_a_warning_per_partner_freshness() -> None:
    max_age = RULES.freshness.max_age_for(PARTNER.node_id)
    assert check_record(position(as_of=NOW - max_age), RULES, now=NOW, partner=PARTNER) == ()
    (finding,) = check_record(position(as_of=NOW - max_age - 1), RULES, now=NOW, partner=PARTNER)
    assert (finding.rule_id, finding.severity) == (RuleId.RECORD_AGE, Severity.WARNING)
    d = rule_set_to_dict(RULES)
    d["freshness"]["overrides"] = {"module-maker": 2 * max_age}
    relaxed = rule_set_from_dict(d)
    assert check_record(position(as_of=NOW - max_age - 1), relaxed, now=NOW, partner=PARTNER) == ()


def test_identity_fields_must_be_strings() -> None:
    findings = check_record(position(sku=12345, lot=7), RULES, now=NOW, partner=PARTNER)
    assert rules_of(findings) == [(RuleId.FIELD_TYPE, "lot"), (RuleId.FIELD_TYPE, "sku")]


def test_misuse_raises() -> None:
    with pytest.raises(GovernanceError, match="mapping"):
        check_record([1, 2], RULES, now=NOW, partner=PARTNER)  # type: ignore[arg-type]
    d = rule_set_to_dict(RULES)
    d["records"] = {}
    with pytest.raises(GovernanceError, match="no inventory_position rule"):
        check_record(position(), rule_set_from_dict(d), now=NOW, partner=PARTNER)


def po(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "purchase_order",
        "po_number": "PO-1",
        "buyer": "phone-maker",
        "supplier": "module-maker",
        "issued_at": "2026-02-01T08:00:00.000+08:00",
        "lines": [
            {"sku": "MOD-1", "quantity_ordered": 500, "uom": "EA"},
            {"sku": "MOD-2", "quantity_ordered": 20, "uom": "EA"},
        ],
    }
    doc.update(changes)
    return doc


def test_clean_documents() -> None:
    assert check_document(po(), RULES, now=NOW, partner=PARTNER) == ()
    ack = {"po_number": "PO-1", "status": "accepted", "issued_at": NOW}
    assert check_document(ack, RULES, now=NOW, partner=PARTNER, document_type="order_ack") == ()


def test_document_line_fields_and_types() -> None:
    lines = [
        {"sku": "MOD-1", "quantity_ordered": -5, "uom": "EA"},
        {"quantity_ordered": "x", "uom": ""},
    ]
    findings = check_document(po(lines=lines), RULES, now=NOW, partner=PARTNER)
    assert rules_of(findings) == [
        (RuleId.QUANTITY_NEGATIVE, "lines[0].quantity_ordered"),
        (RuleId.QUANTITY_NUMBER, "lines[1].quantity_ordered"),
        (RuleId.REQUIRED_FIELD, "lines[1].sku"),
        (RuleId.REQUIRED_FIELD, "lines[1].uom"),
    ]
    assert findings[0].subject == "purchase_order:PO-1"
    assert rules_of(check_document(po(lines="MOD-1"), RULES, now=NOW, partner=PARTNER)) == [
        (RuleId.FIELD_TYPE, "lines")
    ]
    assert rules_of(check_document(po(lines=[]), RULES, now=NOW, partner=PARTNER)) == []
    assert rules_of(check_document(po(lines=None), RULES, now=NOW, partner=PARTNER)) == [
        (RuleId.REQUIRED_FIELD, "lines")
    ]


def test_document_timestamps() -> None:
    naive = check_document(po(issued_at="2026-02-01T08:00:00"), RULES, now=NOW, partner=PARTNER)
    assert rules_of(naive) == [(RuleId.TIMESTAMP_FORMAT, "issued_at")]
    skewed = check_document(po(issued_at=NOW + 3_600_000), RULES, now=NOW, partner=PARTNER)
    assert rules_of(skewed) == [(RuleId.CLOCK_SKEW, "issued_at")]
    assert skewed[0].exception_type is ExceptionType.CLOCK_SKEW


def test_unknown_document_type() -> None:
    (finding,) = check_document({"type": "invoice"}, RULES, now=NOW, partner=PARTNER)
    assert finding.rule_id == RuleId.DOCUMENT_TYPE
    assert "purchase_order" in finding.message


@given(
    st.dictionaries(
        st.sampled_from(["sku", "location", "lot", "as_of", "quantities", "x"]),
        st.none()
        | st.integers()
        | st.text(max_size=6)
        | st.floats()
        | st.dictionaries(
            st.text(max_size=12),
            st.none() | st.integers() | st.floats() | st.text(max_size=3),
            max_size=4,
        ),
        max_size=6,
    )
)
def test_checks_never_raise_on_bad_data(record: Mapping[str, Any]) -> None:
    for f in check_record(record, RULES, now=NOW, partner=PARTNER):
        assert f.rule_version == RULES.version
        assert f.message


_values = st.none() | st.integers() | st.text(max_size=6) | st.floats() | st.booleans()


@given(
    st.sampled_from(
        ["purchase_order", "order_ack", "despatch_advice", "goods_receipt", "capacity", "x"]
    ),
    st.dictionaries(
        st.sampled_from(["po_number", "issued_at", "lines", "supplier", "shipped_at", "type"]),
        _values
        | st.lists(
            st.dictionaries(
                st.sampled_from(["sku", "quantity_ordered", "uom", "week"]), _values, max_size=3
            ),
            max_size=3,
        ),
        max_size=6,
    ),
)
def test_document_checks_never_raise_on_bad_data(kind: str, document: Mapping[str, Any]) -> None:
    for f in check_document(document, RULES, now=NOW, partner=PARTNER, document_type=kind):
        assert f.rule_version == RULES.version
        assert f.message
