"""Status values → buckets: partner codes and CBV dispositions in every spelling."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semantic_mapping import BUCKETS, StatusMatcher, cbv_disposition_name, load_vocabulary
from semantic_mapping._vocabulary import MOVEMENT_DISPOSITIONS


@cache
def status() -> StatusMatcher:
    return StatusMatcher(load_vocabulary())


@pytest.mark.parametrize(
    ("value", "bucket"),
    [
        ("在途", "in_transit"),
        ("待检", "in_inspection"),
        ("在检", "in_inspection"),
        ("在库", "available"),
        ("可售", "available"),
        ("ZP", "available"),
        ("zp", "available"),
        ("CC", "damaged"),
        ("正品", "available"),
        ("次品", "damaged"),
        ("残次", "damaged"),
        ("冻结", "blocked"),
        ("锁定", "reserved"),
        ("SELLABLE", "available"),
        ("UNSELLABLE", "damaged"),
        ("Quality Inspection", "in_inspection"),
    ],
)
def test_partner_codes(value: str, bucket: str) -> None:
    found = status().match(value)
    assert found.bucket == bucket
    assert found.confidence >= 0.8


def test_every_aligned_cbv_disposition_in_all_spellings() -> None:
    vocabulary = load_vocabulary()
    checked = 0
    for bucket in BUCKETS:
        for name in vocabulary[bucket].cbv_dispositions:
            for spelling in (
                name,
                f"urn:epcglobal:cbv:disp:{name}",
                f"https://ref.gs1.org/cbv/Disp-{name}",
                f"cbv:Disp-{name}",
            ):
                found = status().match(spelling)
                assert found.bucket == bucket, spelling
                assert found.confidence == 1.0
                checked += 1
    assert checked == 4 * 25  # the 25 dispositions of the alignment table


@pytest.mark.parametrize("name", sorted(MOVEMENT_DISPOSITIONS))
def test_movements_are_not_buckets(name: str) -> None:
    found = status().match(f"urn:epcglobal:cbv:disp:{name}")
    assert found.bucket is None
    assert "movement" in found.explanation


def test_cbv_reserved_is_a_serial_range_not_the_bucket() -> None:
    assert status().match("urn:epcglobal:cbv:disp:reserved").bucket is None


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("urn:epcglobal:cbv:disp:in_transit", "in_transit"),
        ("https://ref.gs1.org/cbv/Disp-damaged", "damaged"),
        ("http://ref.gs1.org/cbv/Disp-damaged", "damaged"),
        ("cbv:Disp-recalled", "recalled"),
        ("urn:epcglobal:cbv:bizstep:shipping", None),
        ("Disp-damaged", None),
    ],
)
def test_cbv_disposition_name(value: str, name: str | None) -> None:
    assert cbv_disposition_name(value) == name


@pytest.mark.parametrize("value", ["", "   ", "foo", "urn:epcglobal:cbv:disp:flying"])
def test_unknown_values_have_no_bucket(value: str) -> None:
    assert status().match(value).bucket is None


@given(st.text(max_size=40))
def test_any_value_gets_a_bounded_answer(value: str) -> None:
    found = status().match(value)
    assert found.bucket is None or found.bucket in BUCKETS
    assert 0.0 <= found.confidence <= 1.0
