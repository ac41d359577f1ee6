"""One test per normalisation step, then the combined readings of `analyse`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semantic_mapping._normalise import (
    analyse,
    compact,
    expand_abbreviations,
    nfkc,
    normalise_key,
    quantity_core,
    split_words,
    strip_erp_prefix,
    strip_unit_suffix,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＱＯＨ", "QOH"),
        ("可用数量（件）", "可用数量(件)"),
        ("Ａｖａｉｌ　Ｑｔｙ", "Avail Qty"),
        ("ｑｔｙ１", "qty1"),
    ],
)
def test_nfkc_full_width_to_half_width(raw: str, expected: str) -> None:
    assert nfkc(raw) == expected


@pytest.mark.parametrize(
    ("raw", "body", "suffix", "is_unit"),
    [
        ("可用数量(件)", "可用数量", "件", True),
        ("On Hand (PCS)", "On Hand", "PCS", True),
        ("Weight [kg]", "Weight", "kg", True),
        ("库存金额【元】", "库存金额", "元", True),
        ("库存量(基本单位)", "库存量", "基本单位", False),
        ("Available/EA", "Available", "EA", True),
        ("Available-Stock", "Available-Stock", None, False),
        ("LABST", "LABST", None, False),
    ],
)
def test_strip_unit_suffix(raw: str, body: str, suffix: str | None, is_unit: bool) -> None:
    assert strip_unit_suffix(raw) == (body, suffix, is_unit)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("qty_available", ["qty", "available"]),
        ("AvailPhysical", ["avail", "physical"]),
        ("FBaseAVBQty", ["f", "base", "avb", "qty"]),
        ("afn-fulfillable-quantity", ["afn", "fulfillable", "quantity"]),
        ("Qty in Transit", ["qty", "in", "transit"]),
        ("QtyOnHand", ["qty", "on", "hand"]),
        ("LABST", ["labst"]),
        ("sku编码", ["sku", "编码"]),
        ("可用数量、锁定", ["可用数量", "锁定"]),
        ("Batch No.", ["batch", "no"]),
        ("", []),
    ],
)
def test_split_words_case_camel_snake_kebab_spaces_cjk(raw: str, words: list[str]) -> None:
    assert split_words(raw) == words


def test_expand_abbreviations_records_each_expansion() -> None:
    words, expanded = expand_abbreviations(["qoh", "wh", "avail", "po", "uom", "lot"])
    assert words == [
        "quantity", "on", "hand", "warehouse", "available", "purchase", "order", "unit", "of",
        "measure", "lot",
    ]  # fmt: skip
    assert ("qoh", "quantity on hand") in expanded
    assert len(expanded) == 5


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("FBaseQty", ("BaseQty", "F")),
        ("cInvCode", ("InvCode", "c")),
        ("iQuantity", ("Quantity", "i")),
        ("dVDate", ("VDate", "d")),
        ("Facility", None),
        ("FIFO", None),
        ("LABST", None),
        ("ItemId", None),
    ],
)
def test_strip_erp_prefix(raw: str, expected: tuple[str, str] | None) -> None:
    assert strip_erp_prefix(raw) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("quantity in transit", ("in transit", "quantity")),
        ("blocked stock", ("blocked", "stock")),
        ("冻结数量", ("冻结", "数量")),
        ("在途库存", ("在途", "库存")),
        ("quantity", None),
        ("item code", None),
        ("数量", None),
    ],
)
def test_quantity_core(key: str, expected: tuple[str, str] | None) -> None:
    assert quantity_core(key) == expected


def test_compact_and_normalise_key() -> None:
    assert compact("Qty-On_Hand (PCS)") == "qtyonhandpcs"
    assert compact("ＬＡＢＳＴ") == "labst"
    assert normalise_key("Qty_OnHand") == "quantity on hand"
    assert normalise_key("WH Loc") == "warehouse location"


def test_analyse_records_steps_for_explanations() -> None:
    analysis = analyse("可用数量（件）")
    assert analysis.unit == "件"
    assert analysis.hint == "quantity"
    first = analysis.variants[0]
    assert first.key == "可用数量"
    assert "NFKC (full-width → half-width)" in first.steps
    assert "removed unit suffix '(件)'" in first.steps
    core = [v for v in analysis.variants if v.core]
    assert [v.key for v in core] == ["可用"]
    assert core[0].penalty > first.penalty


@pytest.mark.parametrize(("raw", "key"), [("SLoc", "storage location"), ("BUn", "base unit")])
def test_mixed_case_abbreviation_is_read_whole(raw: str, key: str) -> None:
    analysis = analyse(raw)
    assert key in [v.key for v in analysis.variants]
    assert any(f"read '{raw}' as" in " ".join(v.steps) for v in analysis.variants)


def test_analyse_prefix_reading_carries_type_hint() -> None:
    analysis = analyse("dMdate")
    assert analysis.hint == "date"
    assert any("removed ERP prefix 'd'" in v.steps for v in analysis.variants)
    money = analyse("库存金额(元)")
    assert money.hint == "money"


@given(st.text(max_size=80))
def test_analyse_never_raises(text: str) -> None:
    analysis = analyse(text)
    for variant in analysis.variants:
        assert variant.key == variant.key.strip()
        assert 0.0 <= variant.penalty < 1.0
