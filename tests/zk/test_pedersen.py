"""Pedersen commitments: the homomorphism against py-ecc, openings, selective disclosure."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zk
from tests.zk.reference import N, ref_add, ref_mul, to_ref

values = st.integers(min_value=0, max_value=zk.MAX_VALUE)


def reference_commitment(opening: zk.Opening) -> object:
    g = zk.DEFAULT_GENERATORS
    return ref_add(
        ref_mul(to_ref(g.G), int(opening.value)), ref_mul(to_ref(g.H), int(opening.blinding))
    )


@settings(max_examples=15, deadline=None)
@given(v=values, seed=st.integers(min_value=0, max_value=2**32))
def test_commitment_matches_reference(v: int, seed: int) -> None:
    c, o = zk.commit(v, rng=random.Random(seed))
    assert to_ref(c.point) == reference_commitment(o)
    zk.verify_opening(c, o)


@settings(max_examples=15, deadline=None)
@given(a=values, b=values, seed=st.integers(min_value=0, max_value=2**32))
def test_homomorphism(a: int, b: int, seed: int) -> None:
    rng = random.Random(seed)
    ca, oa = zk.commit(a, rng=rng)
    cb, ob = zk.commit(b, rng=rng)
    total = oa + ob
    assert total.value == (a + b) % N
    assert ca + cb == total.commitment()
    zk.verify_opening(ca + cb, total)
    assert ca - cb == (oa - ob).commitment()
    assert (ca + cb) - cb == ca


def test_opening_tamperings_are_rejected() -> None:
    c, o = zk.commit(500, rng=random.Random(4))
    for bad in (
        zk.Opening(501, o.blinding),
        zk.Opening(499, o.blinding),
        zk.Opening(o.value, (o.blinding + 1) % N),
    ):
        with pytest.raises(zk.VerificationError):
            zk.verify_opening(c, bad)
    other, _ = zk.commit(500, rng=random.Random(5))
    with pytest.raises(zk.VerificationError):
        zk.verify_opening(other, o)
    with pytest.raises(zk.VerificationError):
        zk.verify_opening(c, o, generators=zk.GeneratorSet(b"example/other", capacity=1))


def test_commit_refuses_bad_values() -> None:
    rng = random.Random(1)
    for bad in (-1, zk.MAX_VALUE + 1, True, 1.5, "3"):
        with pytest.raises(zk.StatementError):
            zk.commit(bad, rng=rng)  # type: ignore[arg-type]
    for value, blinding in ((-1, 1), (N, 1), (1, N)):
        with pytest.raises(zk.StatementError):
            zk.Opening(value, blinding)


def test_blindings_are_fresh() -> None:
    rng = random.Random(1)
    c1, o1 = zk.commit(7, rng=rng)
    c2, o2 = zk.commit(7, rng=rng)
    assert c1 != c2
    assert o1.blinding != o2.blinding


def test_cancelling_commitments_raise() -> None:
    c, _ = zk.commit(7, rng=random.Random(1))
    with pytest.raises(zk.StatementError):
        c - c


def test_opening_equality() -> None:
    _, o = zk.commit(9, rng=random.Random(1))
    assert o == zk.Opening(o.value, o.blinding)
    assert o != zk.Opening(o.value, (o.blinding + 1) % N)
    assert o != zk.Opening((o.value + 1) % N, o.blinding)
    assert o != "opening"
    assert len({o, zk.Opening(o.value, o.blinding)}) == 1
