"""The document concepts added to the canonical vocabulary for importing partners'
document exports: new ids only, no label shared with the inventory vocabulary,
and the mapping plan from an approved profile, the matcher and hand-named columns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from node.documents import (
    DocumentFormatError,
    DocumentType,
    ImportMappingError,
    document_vocabulary,
    plan_mapping,
)
from node.documents._import import _when
from semantic_mapping import load_vocabulary, new_profile

NOW = datetime(2026, 11, 22, tzinfo=UTC)
#: the ids docs/vocabulary.md fixes as a contract (documents and identity)
CONTRACT = ("po_number", "receipt_number", "quantity_ordered", "quantity_received", "sku", "lot")
ADDED = {
    "despatch_number",
    "quantity_shipped",
    "shipped_at",
    "expected_arrival",
    "received_at",
    "issued_at",
    "requested_date",
    "quantity_accepted",
    "quantity_rejected",
    "reason",
}


def test_the_extension_adds_concepts_and_renames_none() -> None:
    base, merged = load_vocabulary(), document_vocabulary()
    assert set(merged.concepts) - set(base.concepts) == ADDED
    for concept in base.concepts:
        assert merged[concept].labels == base[concept].labels
    for concept in CONTRACT:
        assert concept in merged


def test_no_label_is_shared_with_the_inventory_vocabulary() -> None:
    base, merged = load_vocabulary(), document_vocabulary()
    taken = {label.text.casefold() for c in base.concepts.values() for label in c.labels}
    for concept in ADDED:
        shared = [x.text for x in merged[concept].labels if x.text.casefold() in taken]
        assert shared == [], concept


def test_an_approved_profile_names_columns_the_matcher_would_not_place() -> None:
    vocabulary = document_vocabulary()
    profile = new_profile("partner-x")
    for column, concept in (("Bestellnr", "po_number"), ("Artikel", "sku"), ("Anz", "quantity")):
        profile = profile.approve_field(
            vocabulary, source_field=column, concept=concept, approved_by="qa", now=NOW
        )
    rows = [{"Bestellnr": "B-1", "Artikel": "A", "Anz": "3"}]
    plan = plan_mapping(rows, now=NOW, profile=profile, document_type=DocumentType.PURCHASE_ORDER)
    assert [(c.column, c.concept) for c in plan.fields] == [
        ("Bestellnr", "po_number"),
        ("Artikel", "sku"),
        ("Anz", "quantity_ordered"),  # a generic quantity is the order's quantity
    ]
    assert [c.how for c in plan.fields] == [f"profile partner-x@{n}" for n in (1, 2, 3)]
    with pytest.raises(ImportMappingError, match="type cannot be told"):
        plan_mapping([{"Bestellnr": "B-1", "Artikel": "A"}], now=NOW, profile=profile)


def test_generic_columns_read_in_each_document_type() -> None:
    rows = [{"PO": "P", "SKU": "A", "Qty": "2", "Date": "2026-03-01"}]
    expect = {
        DocumentType.PURCHASE_ORDER: ("quantity_ordered", "issued_at"),
        DocumentType.DESPATCH_ADVICE: ("quantity_shipped", "shipped_at"),
        DocumentType.GOODS_RECEIPT: ("quantity_received", "received_at"),
    }
    for kind, (quantity, date) in expect.items():
        given = {"Despatch": "despatch_number", "Receipt": "receipt_number"}
        extra = {"Despatch": "D", "Receipt": "R"}
        plan = plan_mapping([{**rows[0], **extra}], now=NOW, document_type=kind, given=given)
        concepts = {c.column: c.concept for c in plan.fields}
        assert (concepts["Qty"], concepts["Date"]) == (quantity, date)


def test_dates_from_exports() -> None:
    assert _when("20260308", "BUDAT", "Z") == "2026-03-08T00:00:00Z"
    assert _when("2026/03/08 10:00", "日期", "+08:00") == "2026-03-08T10:00:00+08:00"
    assert _when("2026-03-08T10:00:00Z", "t", "Asia/Shanghai") == "2026-03-08T10:00:00Z"
    for bad in ("08.03.2026", "tomorrow", ""):
        with pytest.raises(DocumentFormatError, match="not a date or time"):
            _when(bad, "t", "Z")
