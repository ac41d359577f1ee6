"""Transformer: partner rows + profile → canonical records, with lineage and units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semantic_mapping import (
    MappingProfile,
    Transformer,
    TransformError,
    Vocabulary,
    load_vocabulary,
    new_profile,
)

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8))


@cache
def vocabulary() -> Vocabulary:
    return load_vocabulary()


def approve(profile: MappingProfile, **fields: str) -> MappingProfile:
    for name, concept in fields.items():
        profile = profile.approve_field(
            vocabulary(), source_field=name, concept=concept, approved_by="alice", now=NOW
        )
    return profile


def kingdee_profile() -> MappingProfile:
    profile = new_profile("kingdee-a", base_unit="PCS", timezone="+08:00")
    profile = approve(
        profile,
        物料编码="sku",
        仓库="location",
        批号="lot",
        更新时间="timestamp",
        单位="uom",
        可用量="available",
        在途数量="in_transit",
        冻结数量="blocked",
        税码="none",
    )
    return profile.set_unit(unit="箱", factor=Decimal(24), now=NOW)


ROW = {
    "物料编码": "M-100",
    "仓库": "WH01",
    "批号": "L2026",
    "更新时间": "2026-11-20 08:00:00",
    "单位": "箱",
    "可用量": "1,200",
    "在途数量": "３",
    "冻结数量": "",
    "税码": "J1",
    "颜色": "red",
}


def test_row_becomes_a_canonical_record() -> None:
    record = Transformer(vocabulary(), kingdee_profile()).transform(ROW)
    assert (record.sku, record.location, record.lot) == ("M-100", "WH01", "L2026")
    assert record.as_of == datetime(2026, 11, 20, 8, 0, tzinfo=CST)
    assert record.uom == "PCS"
    assert record.quantities == {"available": Decimal(28800), "in_transit": Decimal(72)}
    assert record.unmapped == ("颜色",)
    assert record.ignored == ("税码",)


def test_lineage_names_field_concept_profile_version_and_conversion() -> None:
    record = Transformer(vocabulary(), kingdee_profile()).transform(ROW)
    by_field = {x.source_field: x for x in record.lineage}
    assert by_field["可用量"].concept == "available"
    assert by_field["可用量"].profile == "kingdee-a"
    assert by_field["可用量"].profile_version == 6  # the sixth approval
    assert "×24 (箱 → PCS)" in by_field["可用量"].note
    assert by_field["物料编码"].profile_version == 1
    # every field is accounted for exactly once: lineage, unmapped or ignored
    accounted = [x.source_field for x in record.lineage] + [*record.unmapped, *record.ignored]
    assert sorted(accounted) == sorted(k for k in ROW if k != "冻结数量")


def test_status_column_with_value_map_and_status_matcher() -> None:
    profile = approve(
        new_profile("qimen-wms"), itemCode="sku", inventoryType="stock_status", quantity="quantity"
    )
    profile = profile.approve_value(
        vocabulary(),
        source_field="inventoryType",
        source_value="JS",
        concept="blocked",
        approved_by="bob",
        now=NOW,
    )
    transformer = Transformer(vocabulary(), profile)

    def bucket(code: str) -> dict[str, Decimal]:
        row = {"itemCode": "A", "inventoryType": code, "quantity": 5}
        return dict(transformer.transform(row).quantities)

    assert bucket("ZP") == {"available": Decimal(5)}
    assert bucket("CC") == {"damaged": Decimal(5)}
    assert bucket("ZT") == {"in_transit": Decimal(5)}
    assert bucket("JS") == {"blocked": Decimal(5)}  # the approved value map wins
    assert bucket("urn:epcglobal:cbv:disp:returned") == {"in_inspection": Decimal(5)}
    with pytest.raises(TransformError, match="approve a value map"):
        bucket("QQ")
    record = transformer.transform({"itemCode": "A", "inventoryType": "ZP", "quantity": 5})
    note = next(x.note for x in record.lineage if x.source_field == "quantity")
    assert "value 'ZP' → available" in note


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"物料编码": ""}, "no sku"),
        ({"可用量": "12 boxes"}, "not a number"),
        ({"可用量": "1e5"}, "not a number"),
        ({"更新时间": "yesterday"}, "not a date"),
        ({"单位": "桶"}, "no conversion"),
    ],
)
def test_bad_values_raise(change: dict[str, str], message: str) -> None:
    with pytest.raises(TransformError, match=message):
        Transformer(vocabulary(), kingdee_profile()).transform({**ROW, **change})


def test_generic_quantity_needs_a_status() -> None:
    profile = approve(new_profile("s"), sku="sku", qty="quantity")
    with pytest.raises(TransformError, match="stock-status"):
        Transformer(vocabulary(), profile).transform({"sku": "A", "qty": 1})


def test_conflicting_identity_fields_raise() -> None:
    profile = approve(new_profile("s"), a="sku", b="sku")
    with pytest.raises(TransformError, match="different sku"):
        Transformer(vocabulary(), profile).transform({"a": "X", "b": "Y"})


def test_transform_all_reports_the_record_number() -> None:
    transformer = Transformer(vocabulary(), kingdee_profile())
    with pytest.raises(TransformError, match="record 2:"):
        transformer.transform_all([ROW, {**ROW, "可用量": "many"}])


def test_two_fields_of_one_bucket_add_up() -> None:
    profile = approve(new_profile("sap"), MATNR="sku", INSME="in_inspection", RETME="in_inspection")
    record = Transformer(vocabulary(), profile).transform(
        {"MATNR": "1", "INSME": "2.5", "RETME": "1.5"}
    )
    assert record.quantities == {"in_inspection": Decimal(4)}


def test_json_record_values_and_output_json() -> None:
    profile = approve(new_profile("shop"), sku="sku", available="available", updated="timestamp")
    record = Transformer(vocabulary(), profile).transform(
        {"sku": "A", "available": 7, "updated": "2026-11-20T08:00:00Z", "extra": None}
    )
    out = record.to_json()
    assert out["quantities"] == {"available": "7"}
    assert out["as_of"] == "2026-11-20T08:00:00+00:00"
    assert out["unmapped"] == ["extra"]


@given(
    st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.integers(), st.text(max_size=12)))
)
def test_arbitrary_records_give_a_record_or_transform_error(record: dict[str, object]) -> None:
    try:
        out = Transformer(vocabulary(), kingdee_profile()).transform(record)
    except TransformError:
        return
    assert set(out.unmapped) <= set(record)


def test_full_width_field_names_match_their_approval() -> None:
    profile = approve(new_profile("s"), **{"物料编码": "sku", "可用数量(件)": "available"})
    record = Transformer(vocabulary(), profile).transform({"物料编码 ": "A", "可用数量（件）": "3"})
    assert record.quantities == {"available": Decimal(3)}
    assert record.unmapped == ()
