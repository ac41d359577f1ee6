"""The intake and rule checks without a server: hostile bodies give an
InventoryError (never a builtin), and the checks' refusals name their rules."""

from __future__ import annotations

import contextlib
import json
import random
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zk
from governance import default_rule_set
from node.inventory import (
    AT_LEAST,
    BELOW,
    InputError,
    InventoryError,
    RefusedError,
    UnmappedError,
    check_intake,
    fact_context,
    read_upload,
    subject_of,
)
from node.inventory._intake import MappingContext
from node.inventory._prove import commit_positions, fact_bits
from tests.node.inventory_support import (
    EN_FIELDS,
    EN_SOURCE,
    ZH_FIELDS,
    ZH_SOURCE,
    canonical,
    en_json,
    profile,
    vocabulary,
    zh_csv,
)

RULES = default_rule_set()


def _mapping() -> MappingContext:
    profiles = {
        ZH_SOURCE: profile(ZH_SOURCE, ZH_FIELDS, "+08:00"),
        EN_SOURCE: profile(EN_SOURCE, EN_FIELDS, "Z"),
    }
    return MappingContext(vocabulary(), profiles.get)


MAPPING = _mapping()


def _now() -> int:
    return time.time_ns() // 1_000_000


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=400), st.sampled_from(["text/csv", "application/json", "text/plain"]))
@settings(max_examples=100, deadline=None)
def test_random_bytes_give_an_intake_or_an_inventory_error(data: bytes, media: str) -> None:
    try:
        intake = read_upload(data, media, ZH_SOURCE, MAPPING)
    except InventoryError:
        return
    with contextlib.suppress(InventoryError):
        check_intake(intake, RULES, now_ms=_now(), node_id="n.example/x")


@given(JSONISH)
@settings(max_examples=100, deadline=None)
def test_random_json_is_checked_or_refused_never_crashes(value: Any) -> None:
    for doc in (value, {"positions": [value]}, {"positions": [{"sku": "A", **({"x": value})}]}):
        try:
            intake = read_upload(json.dumps(doc).encode(), "application/json", EN_SOURCE, MAPPING)
            check_intake(intake, RULES, now_ms=_now(), node_id="n.example/x")
        except InventoryError:
            pass


@given(
    st.dictionaries(
        st.sampled_from(["sku", "location", "lot", "as_of", "quantities", "safety_stock"]),
        JSONISH,
    )
)
@settings(max_examples=100, deadline=None)
def test_random_positions_are_checked_or_refused(position: dict[str, Any]) -> None:
    data = json.dumps({"positions": [position]}).encode()
    try:
        intake = read_upload(data, "application/json", None, MAPPING)
        checked = check_intake(intake, RULES, now_ms=_now(), node_id="n.example/x")
    except InventoryError:
        return
    [p] = checked.positions
    assert all(isinstance(v, int) and 0 <= v < 2**64 for v in p.quantities.values())


def test_exports_become_positions_with_private_extras() -> None:
    intake = read_upload(zh_csv(2), "text/csv", ZH_SOURCE, MAPPING)
    assert (intake.source, intake.profile_version) == (ZH_SOURCE, 9)
    checked = check_intake(intake, RULES, now_ms=_now(), node_id="n.example/x")
    first = checked.positions[0]
    assert (first.sku, first.location, first.lot) == ("MOD-0000", "深圳一仓", "L0")
    assert dict(first.quantities) == {"available": 1200, "in_transit": 30, "in_inspection": 5}
    assert first.safety_stock == 100
    assert dict(first.extras) == {"unit_cost": "12.5"}
    en = check_intake(
        read_upload(en_json(1), "application/json", EN_SOURCE, MAPPING),
        RULES,
        now_ms=_now(),
        node_id="n.example/x",
    )
    assert dict(en.positions[0].extras) == {"sales_qty": "77"}


def test_duplicates_and_unmapped_fields_are_refused() -> None:
    doc = canonical(3)
    doc["positions"][2]["sku"] = doc["positions"][0]["sku"]
    intake = read_upload(json.dumps(doc).encode(), "application/json", None, MAPPING)
    with pytest.raises(RefusedError) as refused:
        check_intake(intake, RULES, now_ms=_now(), node_id="n.example/x")
    assert [(i.type, i.loc[1]) for i in refused.value.issues] == [("node.duplicate_position", 2)]
    with pytest.raises(UnmappedError) as unmapped:
        read_upload(zh_csv(1), "text/csv", EN_SOURCE, MAPPING)
    assert {i.loc[1] for i in unmapped.value.issues} == set(ZH_FIELDS) - set(EN_FIELDS)
    with pytest.raises(InputError, match="unknown field"):
        read_upload(b'{"positions": [{"sku": "A", "price": 3}]}', "application/json", None, MAPPING)


def test_commitments_open_to_the_quantities_and_facts_verify() -> None:
    doc = canonical(2)
    doc["positions"][1]["quantities"]["available"] = 100  # below 2500
    checked = check_intake(
        read_upload(json.dumps(doc).encode(), "application/json", None, MAPPING),
        RULES,
        now_ms=_now(),
        node_id="n.example/x",
    )
    subjects = [subject_of(p.sku, p.location, p.lot, "00" * 32) for p in checked.positions]
    done = commit_positions(
        checked.positions, subjects, origin="n.example/x", snapshot="ab" * 16, rng=random.Random(7)
    )
    assert [[f.fact for f in c.body.facts] for c in done] == [[AT_LEAST], [BELOW]]
    for c in done:
        for name, opening in c.openings.items():
            zk.verify_opening(zk.Commitment.from_bytes(c.body.commitments[name]), opening)
    ok = done[0]
    diff = zk.Commitment.from_bytes(ok.body.commitments["available"]) - zk.Commitment.from_bytes(
        ok.body.commitments["safety_stock"]
    )
    proof = zk.RangeProof.from_bytes(ok.body.facts[0].proof or b"")
    context = fact_context("n.example/x", "ab" * 16, subjects[0], AT_LEAST)
    zk.verify_at_least(diff, 0, proof, bits=32, context=context)
    for wrong in (
        fact_context("n.example/y", "ab" * 16, subjects[0], AT_LEAST),
        fact_context("n.example/x", "cd" * 16, subjects[0], AT_LEAST),
        fact_context("n.example/x", "ab" * 16, subjects[1], AT_LEAST),
    ):
        with pytest.raises(zk.ProofError):
            zk.verify_at_least(diff, 0, proof, bits=32, context=wrong)
    with pytest.raises(zk.ProofError):  # the proof says nothing about available alone vs 1
        zk.verify_at_least(
            zk.Commitment.from_bytes(ok.body.commitments["available"]),
            0,
            proof,
            bits=32,
            context=context,
        )
    assert fact_bits(2**32 - 1) == 32
    assert fact_bits(2**32) == 64


def test_subject_hash_depends_on_every_part() -> None:
    base = subject_of("A", "B", None, "00" * 32)
    assert len(base) == 64
    others = {
        subject_of("A", "B", "", "00" * 32),
        subject_of("A", None, "B", "00" * 32),
        subject_of("A", "B", None, "01" + "00" * 31),
        subject_of("AB", None, None, "00" * 32),
    }
    assert base not in others
    assert len(others) == 4


def test_proofs_made_by_worker_processes_verify() -> None:
    checked = check_intake(
        read_upload(json.dumps(canonical(17)).encode(), "application/json", None, MAPPING),
        RULES,
        now_ms=_now(),
        node_id="n.example/x",
    )
    subjects = [subject_of(p.sku, p.location, p.lot, "11" * 32) for p in checked.positions]
    done = commit_positions(
        checked.positions,
        subjects,
        origin="n.example/x",
        snapshot="ef" * 16,
        rng=random.Random(3),
        jobs=2,
    )
    claims = []
    for c, subject in zip(done, subjects, strict=True):
        [fact] = c.body.facts
        diff = zk.Commitment.from_bytes(c.body.commitments["available"]) - zk.Commitment.from_bytes(
            c.body.commitments["safety_stock"]
        )
        context = fact_context("n.example/x", "ef" * 16, subject, AT_LEAST)
        claims.append(
            zk.AtLeastClaim(diff, 0, zk.RangeProof.from_bytes(fact.proof or b""), 32, context)
        )
    zk.verify_batch(claims, rng=random.Random(4))
    assert len({c.proof.to_bytes() for c in claims}) == 17
