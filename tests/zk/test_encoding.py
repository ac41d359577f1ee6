"""Canonical encodings: round trips, and every malformed input raises ProofError."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zk
from tests.zk.reference import N, P
from zk._curve import BASE_POINT, scalar_mul
from zk._encoding import (
    IDENTITY_BYTES,
    decode_point,
    decode_scalar,
    encode_point,
    encode_scalar,
)


@settings(max_examples=30, deadline=None)
@given(k=st.integers(min_value=1, max_value=N - 1))
def test_point_round_trip(k: int) -> None:
    pt = scalar_mul(BASE_POINT, k)
    data = encode_point(pt)
    assert len(data) == 33
    assert decode_point(data) == pt
    assert encode_point(decode_point(data)) == data


@settings(max_examples=30, deadline=None)
@given(k=st.integers(min_value=0, max_value=N - 1))
def test_scalar_round_trip(k: int) -> None:
    data = encode_scalar(k)
    assert decode_scalar(data) == k
    assert encode_scalar(decode_scalar(data)) == data


def _off_curve_x() -> int:
    x = 5
    while pow((x**3 + 7) % P, (P - 1) // 2, P) == 1:
        x += 1
    return x


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty", b""),
        ("truncated", encode_point(BASE_POINT)[:-1]),
        ("too-long", encode_point(BASE_POINT) + b"\x00"),
        ("prefix-04", b"\x04" + encode_point(BASE_POINT)[1:]),
        ("prefix-00-nonzero", b"\x00" + encode_point(BASE_POINT)[1:]),
        ("identity", IDENTITY_BYTES),
        ("x-equals-p", b"\x02" + P.to_bytes(32, "big")),
        ("x-above-p", b"\x03" + (P + 1).to_bytes(32, "big")),
        ("off-curve", b"\x02" + _off_curve_x().to_bytes(32, "big")),
    ],
)
def test_malformed_points(name: str, data: bytes) -> None:
    with pytest.raises(zk.EncodingError):
        decode_point(data)


def test_identity_only_where_allowed() -> None:
    assert decode_point(IDENTITY_BYTES, allow_identity=True) is None
    assert encode_point(None) == IDENTITY_BYTES


@pytest.mark.parametrize(
    "data",
    [b"", bytes(31), bytes(33), N.to_bytes(32, "big"), (2**256 - 1).to_bytes(32, "big")],
    ids=["empty", "short", "long", "equals-n", "max"],
)
def test_malformed_scalars(data: bytes) -> None:
    with pytest.raises(zk.EncodingError):
        decode_scalar(data)


def test_encode_scalar_refuses_out_of_range() -> None:
    with pytest.raises(zk.EncodingError):
        encode_scalar(N)
    with pytest.raises(zk.EncodingError):
        encode_scalar(-1)


def test_commitment_and_opening_round_trip() -> None:
    c, o = zk.commit(1234, rng=random.Random(1))
    assert zk.Commitment.from_bytes(c.to_bytes()) == c
    assert zk.Opening.from_bytes(o.to_bytes()) == o
    assert zk.Opening.from_bytes(o.to_bytes()).to_bytes() == o.to_bytes()
    assert "1234" not in repr(o)
    assert str(int(o.blinding)) not in repr(o)


@pytest.mark.parametrize("data", [b"", bytes(63), bytes(65), N.to_bytes(32, "big") + bytes(32)])
def test_malformed_openings(data: bytes) -> None:
    with pytest.raises(zk.ProofError):
        zk.Opening.from_bytes(data)


def test_malformed_commitments() -> None:
    for data in (b"", IDENTITY_BYTES, b"\x05" + bytes(32)):
        with pytest.raises(zk.ProofError):
            zk.Commitment.from_bytes(data)
    with pytest.raises(zk.ProofError):
        zk.Commitment((1, 2))


def test_non_bytes_inputs_raise_proof_error() -> None:
    for parse in (zk.Commitment.from_bytes, zk.Opening.from_bytes, zk.RangeProof.from_bytes):
        with pytest.raises(zk.ProofError):
            parse("not bytes")  # type: ignore[arg-type]
    with pytest.raises(zk.ProofError):
        zk.BalanceProof.from_bytes(None)  # type: ignore[arg-type]


PARSERS = [
    zk.Commitment.from_bytes,
    zk.Opening.from_bytes,
    zk.RangeProof.from_bytes,
    zk.BalanceProof.from_bytes,
]


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=800), which=st.integers(min_value=0, max_value=len(PARSERS) - 1))
def test_parsers_return_a_value_or_raise_proof_error(data: bytes, which: int) -> None:
    with contextlib.suppress(zk.ProofError):
        PARSERS[which](data)


def test_constructors_reject_wrong_types() -> None:
    for bad in ("x", (1, "2"), (1.0, 2.0), (1, 2, 3), None):
        with pytest.raises(zk.EncodingError):
            zk.Commitment(bad)  # type: ignore[arg-type]


def test_verifiers_reject_wrong_argument_types() -> None:
    c, o = zk.commit(3, rng=random.Random(1))
    proof = zk.prove_at_least(o, 1, bits=8, context=b"", rng=random.Random(2))
    with pytest.raises(zk.ProofError):
        zk.verify_at_least(c, 1, proof.to_bytes(), bits=8, context=b"")  # type: ignore[arg-type]
    with pytest.raises(zk.ProofError):
        zk.verify_at_least(c.to_bytes(), 1, proof, bits=8, context=b"")  # type: ignore[arg-type]
    with pytest.raises(zk.ProofError):
        zk.verify_at_least(c, 1, proof, bits=8, context="text")  # type: ignore[arg-type]
    with pytest.raises(zk.ProofError):
        zk.verify_at_least(c, 1.5, proof, bits=8, context=b"")  # type: ignore[arg-type]
    with pytest.raises(zk.ProofError):
        zk.verify_range(c, proof, bits=8, context=b"")  # type: ignore[arg-type]
    with pytest.raises(zk.ProofError):
        zk.verify_opening(c, o.to_bytes())  # type: ignore[arg-type]
    with pytest.raises(zk.ProofError):
        zk.verify_balance([c], [c], proof, bits=8, context=b"")  # type: ignore[arg-type]
