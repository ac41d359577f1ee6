"""The matcher: answers, confidences, alternatives, explanations, samples, thresholds."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from semantic_mapping import (
    FieldInputError,
    Matcher,
    SourceField,
    load_vocabulary,
    new_profile,
)
from semantic_mapping._index import sorted_tokens
from semantic_mapping._normalise import is_cjk


@cache
def matcher() -> Matcher:
    return Matcher(load_vocabulary())


def match(name: str, description: str | None = None, samples: tuple[object, ...] = ()) -> str:
    return matcher().match(SourceField(name, description, samples)).concept


@pytest.mark.parametrize(
    ("name", "concept"),
    [
        ("在库", "available"),
        ("Available Stock", "available"),
        ("现存量", "on_hand"),
        ("LABST", "available"),
        ("FBaseQty", "on_hand"),
        ("可用数量(件)", "available"),
        ("Qty in Transit", "in_transit"),
        ("冻结数量", "blocked"),
        ("QOH", "on_hand"),
        ("ＱＯＨ", "on_hand"),
        ("qty_avail", "available"),
        ("AVAILABLE_QTY", "available"),
        ("availableQty", "available"),
        ("WH", "location"),
        ("UOM", "uom"),
        ("PO No.", "po_number"),
        ("cInvCode", "sku"),
        ("待检数量（PCS）", "in_inspection"),
        ("在途库存", "in_transit"),
    ],
)
def test_issue_examples(name: str, concept: str) -> None:
    assert match(name) == concept


@pytest.mark.parametrize("name", ["税码", "Tax Code", "颜色", "Colour", "Created By", "创建人"])
def test_fields_without_a_concept_map_to_none(name: str) -> None:
    result = matcher().match(SourceField(name))
    assert result.concept == "none"
    assert "no canonical equivalent" in result.explanation


@pytest.mark.parametrize("name", ["zxqw", "Foo Bar Baz", "玻璃杯", "x1"])
def test_unrelated_names_fall_below_the_threshold(name: str) -> None:
    result = matcher().match(SourceField(name))
    assert result.concept == "none"
    assert 0.0 <= result.confidence <= 1.0


def test_explanation_names_the_label_and_the_steps() -> None:
    result = matcher().match(SourceField("现存量(件)"))
    assert result.concept == "on_hand"
    assert "'现存量'" in result.explanation
    assert "removed unit suffix '(件)'" in result.explanation
    result = matcher().match(SourceField("FBaseAVBQty"))
    assert result.concept == "available"
    assert "FBaseAVBQty" in result.explanation


def test_prefix_removal_is_explained() -> None:
    result = matcher().match(SourceField("fOnHandQty"))
    assert result.concept == "on_hand"
    assert "removed ERP prefix 'f'" in result.explanation


def test_confidence_alternatives_are_ranked_and_exclude_the_answer() -> None:
    result = matcher().match(SourceField("Qty Blocked Stock"))
    assert 0.0 <= result.confidence <= 1.0
    confidences = [a.confidence for a in result.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert result.concept not in {a.concept for a in result.alternatives}
    assert len(result.alternatives) <= 3


def test_json_shape() -> None:
    out = matcher().match(SourceField("可用数量")).to_json()
    assert set(out) == {"name", "concept", "confidence", "alternatives", "explanation"}
    assert all(set(a) == {"concept", "confidence"} for a in out["alternatives"])


def test_samples_of_dates_steer_to_a_date_concept() -> None:
    # "到期" alone is weakly like several labels; date samples decide, quantities doubt.
    with_dates = matcher().match(SourceField("Expiry", samples=("2027-01-31", "2027-03-01")))
    assert with_dates.concept == "expiry_date"
    assert "samples look like date" in with_dates.explanation
    doubted = matcher().match(SourceField("Expiry", samples=("12", "40")))
    assert doubted.confidence < with_dates.confidence


def test_samples_of_codes_and_decimals() -> None:
    coded = matcher().match(SourceField("Material", samples=("000000000000100234", "A-100")))
    assert coded.concept == "sku"
    counted = matcher().match(SourceField("Material", samples=("12.5", "0.25")))
    assert counted.confidence < coded.confidence


def test_description_narrows_a_generic_name() -> None:
    assert match("MENGE") == "quantity"
    assert match("MENGE", description="Purchase Order Quantity") == "quantity_ordered"


def test_description_agreement_raises_confidence() -> None:
    alone = matcher().match(SourceField("Avail"))
    both = matcher().match(SourceField("Avail", description="Available stock quantity"))
    assert both.concept == alone.concept == "available"
    assert both.confidence >= alone.confidence


def test_approved_profile_mapping_wins_and_is_explained() -> None:
    vocabulary = load_vocabulary()
    now = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    profile = new_profile("wms-a").approve_field(
        vocabulary, source_field="ZZ_STK1", concept="available", approved_by="alice", now=now
    )
    result = matcher().match(SourceField("ZZ_STK1"), profile=profile)
    assert result.concept == "available"
    assert result.confidence == 1.0
    assert "approved in profile 'wms-a' v1 by alice" in result.explanation
    assert matcher().match(SourceField("ZZ_STK1")).concept == "none"


def test_extension_label_is_used_for_everyone() -> None:
    from semantic_mapping import add_label, new_extension

    vocabulary = load_vocabulary()
    now = datetime(2026, 11, 22, tzinfo=UTC)
    ext = add_label(
        new_extension(),
        vocabulary,
        concept="available",
        label="Bestand Frei XQ",
        added_by="alice",
        source="wms-a",
        now=now,
    )
    assert Matcher(vocabulary).match(SourceField("Bestand Frei XQ")).concept == "none"
    assert (
        Matcher(load_vocabulary([ext])).match(SourceField("bestand_frei_xq")).concept == "available"
    )


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ([], "must be an object"),
        ({"description": "x"}, "string 'name'"),
        ({"name": ""}, "empty"),
        ({"name": "x" * 300}, "characters long"),
        ({"name": "a\x00b"}, "control or binary"),
        ({"name": "ok", "samples": "x"}, "array or null"),
        ({"name": "ok", "samples": [{"a": 1}]}, "scalars"),
        ({"name": "ok", "description": 5}, "string or null"),
    ],
)
def test_source_field_from_json_rejects_bad_items(item: object, message: str) -> None:
    with pytest.raises(FieldInputError, match=message):
        SourceField.from_json(item)


def test_threshold_is_respected() -> None:
    strict = Matcher(load_vocabulary(), threshold=0.99)
    assert strict.match(SourceField("Qty Avail Total Net")).concept == "none"


@settings(max_examples=150, deadline=None)
@given(
    st.text(min_size=1, max_size=60).filter(lambda s: s.strip()),
    st.lists(st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=12))),
)
def test_any_name_gets_a_bounded_answer(name: str, samples: list[object]) -> None:
    try:
        field = SourceField(name, samples=tuple(samples))
    except FieldInputError:
        return
    result = matcher().match(field)
    assert 0.0 <= result.confidence <= 1.0
    assert result.concept in matcher().vocabulary
    assert result.explanation


def _reference_best(key: str) -> float:
    """Slow reference: token_sort_ratio of `key` against every fuzzy label, no index."""
    index = matcher().index
    choices = index.cjk_choices if is_cjk(key) else index.latin_choices
    return max(fuzz.token_sort_ratio(key, c) for c in choices)


@pytest.mark.parametrize(
    "key", ["quantity hand on", "stock blocked", "in transit stock", "可用 库存", "warehouse cod"]
)
def test_prepared_choices_agree_with_a_brute_force_token_sort(key: str) -> None:
    index = matcher().index
    query = sorted_tokens(key)
    window = index.choices_for(query, 70.0)
    fast = max((fuzz.ratio(query, c) for c in window), default=0.0)
    slow = _reference_best(key)
    assert fast == pytest.approx(slow) if slow >= 70.0 else fast < 70.0
