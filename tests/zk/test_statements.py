"""Statements: between, balance (sum and conservation), coverage, batch verification."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zk
from tests.zk.reference import N
from zk._curve import BASE_POINT, affine_add

CTX = b"bank=b1;loan=L-7"


def commits(*values: int, seed: int = 1) -> tuple[list[zk.Commitment], list[zk.Opening]]:
    rng = random.Random(seed)
    pairs = [zk.commit(v, rng=rng) for v in values]
    return [p[0] for p in pairs], [p[1] for p in pairs]


# --- between ------------------------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(
    lower=st.integers(min_value=0, max_value=1000),
    width=st.integers(min_value=0, max_value=255),
    data=st.data(),
)
def test_between_completeness(lower: int, width: int, data: st.DataObject) -> None:
    value = data.draw(st.integers(min_value=lower, max_value=lower + width))
    (c,), (o,) = commits(value, seed=value)
    proof = zk.prove_between(o, lower, lower + width, bits=8, context=CTX, rng=random.Random(2))
    zk.verify_between(c, lower, lower + width, proof, bits=8, context=CTX)
    assert proof.rounds == 4  # m = 2, one aggregated proof


def test_between_soundness() -> None:
    (c,), (o,) = commits(150)
    proof = zk.prove_between(o, 100, 200, bits=8, context=CTX, rng=random.Random(2))
    zk.verify_between(c, 100, 200, proof, bits=8, context=CTX)
    for lower, upper in ((101, 200), (100, 199), (0, 200), (100, 201), (150, 150)):
        with pytest.raises(zk.VerificationError):
            zk.verify_between(c, lower, upper, proof, bits=8, context=CTX)
    with pytest.raises(zk.ProofError):
        zk.verify_at_least(c, 100, proof, bits=8, context=CTX)
    with pytest.raises(zk.StatementError):
        zk.verify_between(c, 201, 200, proof, bits=8, context=CTX)
    for lower, upper in ((151, 300), (0, 149)):
        with pytest.raises(zk.StatementError):
            zk.prove_between(o, lower, upper, bits=8, context=CTX, rng=random.Random(2))
    with pytest.raises(zk.StatementError):  # 300 - 0 does not fit in 8 bits
        zk.prove_between(
            zk.Opening(300, o.blinding), 0, 300, bits=8, context=CTX, rng=random.Random(2)
        )


# --- balance ------------------------------------------------------------------------------


def test_sites_add_up_to_total() -> None:
    parts_c, parts_o = commits(120, 30, 50, seed=3)
    (total_c,), (total_o,) = commits(200, seed=4)  # independent blinding
    proof = zk.prove_balance(parts_o, [total_o], bits=16, context=CTX, rng=random.Random(5))
    zk.verify_balance(parts_c, [total_c], proof, bits=16, context=CTX)
    assert zk.BalanceProof.from_bytes(proof.to_bytes()) == proof
    (wrong_c,), _ = commits(201, seed=6)
    with pytest.raises(zk.VerificationError):
        zk.verify_balance(parts_c, [wrong_c], proof, bits=16, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_balance(parts_c[:2], [total_c], proof, bits=16, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_balance(list(reversed(parts_c)), [total_c], proof, bits=16, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_balance(parts_c, [total_c], proof, bits=16, context=CTX + b"!")
    moved = affine_add(proof.K, BASE_POINT)
    assert moved is not None
    for bad in (
        dataclasses.replace(proof, s=(proof.s + 1) % N),
        dataclasses.replace(proof, K=moved),
    ):
        with pytest.raises(zk.VerificationError):
            zk.verify_balance(parts_c, [total_c], bad, bits=16, context=CTX)


def test_conservation_old_plus_receipts_minus_shipments() -> None:
    # old 500 + receipts 120 - shipments 70 = new 550  <=>  old + receipts = new + shipments
    (old, receipts, new, shipments), (o_old, o_rec, o_new, o_ship) = commits(
        500, 120, 550, 70, seed=8
    )
    proof = zk.prove_balance(
        [o_old, o_rec], [o_new, o_ship], bits=16, context=CTX, rng=random.Random(9)
    )
    zk.verify_balance([old, receipts], [new, shipments], proof, bits=16, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_balance([old, shipments], [new, receipts], proof, bits=16, context=CTX)


def test_balance_prover_refuses_false_or_out_of_range() -> None:
    _, (a, b, t) = commits(5, 6, 12)
    with pytest.raises(zk.StatementError, match="balance"):
        zk.prove_balance([a, b], [t], bits=8, context=CTX, rng=random.Random(1))
    # a negative component (modulo n) cannot hide a surplus: every component is range-proved
    _, (x, y) = commits(10, 20)
    minus = zk.Opening(N - 10, 0)  # "-10"
    with pytest.raises(zk.StatementError):
        zk.prove_balance(
            [x, minus], [zk.Opening(0, x.blinding)], bits=8, context=CTX, rng=random.Random(1)
        )
    with pytest.raises(zk.StatementError):
        zk.prove_balance([], [y], bits=8, context=CTX, rng=random.Random(1))
    with pytest.raises(zk.StatementError):
        zk.prove_balance([y] * 16, [y], bits=8, context=CTX, rng=random.Random(1))


def test_malformed_balance_proofs() -> None:
    _parts_c, parts_o = commits(1, 2, seed=3)
    (_total_c,), (total_o,) = commits(3, seed=4)
    data = zk.prove_balance(
        parts_o, [total_o], bits=8, context=CTX, rng=random.Random(5)
    ).to_bytes()
    for bad in (data[:65], data[:-1], bytes(33) + data[33:], data[:33] + b"\xff" * 32 + data[65:]):
        with pytest.raises(zk.EncodingError):
            zk.BalanceProof.from_bytes(bad)


# --- coverage -----------------------------------------------------------------------------


def test_pledges_are_covered() -> None:
    (avail, p1, p2), (o_avail, o1, o2) = commits(1000, 400, 350, seed=11)
    proof = zk.prove_coverage(o_avail, [o1, o2], bits=16, context=CTX, rng=random.Random(12))
    zk.verify_coverage(avail, [p1, p2], proof, bits=16, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_coverage(avail, [p1], proof, bits=16, context=CTX)
    (_p3,), (o3,) = commits(251, seed=13)
    with pytest.raises(zk.StatementError):  # 400 + 350 + 251 > 1000: pledged twice over
        zk.prove_coverage(o_avail, [o1, o2, o3], bits=16, context=CTX, rng=random.Random(12))


# --- batch --------------------------------------------------------------------------------


def test_batch_of_mixed_claims() -> None:
    rng = random.Random(20)
    claims: list[zk.Claim] = []
    for i, bits in enumerate((8, 16, 8, 32)):
        c, o = zk.commit(100 + i, rng=rng)
        claims.append(
            zk.AtLeastClaim(
                c, 90, zk.prove_at_least(o, 90, bits=bits, context=CTX, rng=rng), bits, CTX
            )
        )
    c, o = zk.commit(77, rng=rng)
    claims.append(
        zk.BetweenClaim(
            c, 70, 80, zk.prove_between(o, 70, 80, bits=8, context=CTX, rng=rng), 8, CTX
        )
    )
    zk.verify_batch(claims, rng=random.Random(1))
    zk.verify_batch([], rng=random.Random(1))
    for i in range(len(claims)):
        bad = list(claims)
        claim = bad[i]
        if isinstance(claim, zk.AtLeastClaim):
            bad[i] = dataclasses.replace(claim, threshold=91)
        elif isinstance(claim, zk.BetweenClaim):
            bad[i] = dataclasses.replace(claim, upper=79)
        with pytest.raises(zk.VerificationError):
            zk.verify_batch(bad, rng=random.Random(1))
    with pytest.raises(zk.StatementError):
        zk.verify_batch(["not a claim"], rng=random.Random(1))  # type: ignore[list-item]


# --- plain aggregated ranges --------------------------------------------------------------


@pytest.mark.parametrize(("bits", "count"), [(8, 1), (8, 3), (8, 16), (16, 4), (64, 2)])
def test_aggregated_range_completeness(bits: int, count: int) -> None:
    values = [(2**bits - 1) if i % 2 else i for i in range(count)]
    cs, os_ = commits(*values, seed=count)
    proof = zk.prove_range(os_, bits=bits, context=CTX, rng=random.Random(1))
    zk.verify_range(cs, proof, bits=bits, context=CTX)
    m = 1 << (count - 1).bit_length()
    assert len(proof.to_bytes()) == 33 * (4 + 2 * (bits * m).bit_length() - 2) + 160
    with pytest.raises(zk.VerificationError):
        zk.verify_range(
            list(reversed(cs)) if count > 1 else cs, proof, bits=bits, context=CTX + b"!"
        )
    if count > 1:
        with pytest.raises(zk.VerificationError):
            zk.verify_range(cs[:-1], proof, bits=bits, context=CTX)


@settings(max_examples=6, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=255), min_size=1, max_size=4))
def test_aggregated_range_property(values: list[int]) -> None:
    cs, os_ = commits(*values, seed=sum(values))
    proof = zk.prove_range(os_, bits=8, context=CTX, rng=random.Random(len(values)))
    zk.verify_range(cs, proof, bits=8, context=CTX)
    zk.verify_batch([zk.RangeClaim(tuple(cs), proof, 8, CTX)], rng=random.Random(0))


def test_aggregated_range_refuses_any_out_of_range_value() -> None:
    _, os_ = commits(1, 256, 3)
    with pytest.raises(zk.StatementError):
        zk.prove_range(os_, bits=8, context=CTX, rng=random.Random(1))
    _, many = commits(*range(17))
    with pytest.raises(zk.StatementError):
        zk.prove_range(many, bits=8, context=CTX, rng=random.Random(1))
    with pytest.raises(zk.StatementError):
        zk.prove_range([], bits=8, context=CTX, rng=random.Random(1))


@pytest.mark.slow
def test_largest_aggregation_64_bits_times_16() -> None:
    values = [0, 2**64 - 1, *range(1000, 1014)]
    cs, os_ = commits(*values, seed=16)
    proof = zk.prove_range(os_, bits=64, context=CTX, rng=random.Random(16))
    assert proof.rounds == 10
    assert len(proof.to_bytes()) == 952
    zk.verify_range(cs, proof, bits=64, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_range([*cs[1:], cs[0]], proof, bits=64, context=CTX)


def test_a_proof_is_bound_to_its_statement_kind() -> None:
    """Replaying a proof under another statement with the same numbers fails:
    each statement has its own protocol label in the transcript."""
    (c,), (o,) = commits(40)
    as_range = zk.prove_range([o], bits=8, context=CTX, rng=random.Random(1))
    as_at_least = zk.prove_at_least(o, 0, bits=8, context=CTX, rng=random.Random(1))
    zk.verify_range([c], as_range, bits=8, context=CTX)
    zk.verify_at_least(c, 0, as_at_least, bits=8, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_at_least(c, 0, as_range, bits=8, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_range([c], as_at_least, bits=8, context=CTX)
    with pytest.raises(zk.VerificationError):
        zk.verify_coverage(c, [], as_range, bits=8, context=CTX)
