"""Property tests: honest proofs verify; any tampering raises a VerificationError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import (
    CompactRange,
    ConsistencyProofError,
    InclusionProofError,
    RootMismatchError,
    VerificationError,
    consistency_plan,
    inclusion_plan,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger import reference as ref

N = 520
LEAVES = ref.leaves(N)
NODES = ref.all_nodes(LEAVES)


def _roots() -> list[bytes]:
    cr = CompactRange()
    roots = [cr.root()]
    for h in LEAVES:
        cr.push(h)
        roots.append(cr.root())
    return roots


ROOTS = _roots()


def _inclusion(index: int, size: int) -> list[bytes]:
    plan = inclusion_plan(index, size)
    return plan.fold([NODES[n] for n in plan.ids])


def _consistency(size1: int, size2: int) -> list[bytes]:
    plan = consistency_plan(size1, size2)
    return plan.fold([NODES[n] for n in plan.ids])


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, N))
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(2, N))
    return draw(st.integers(1, size2 - 1)), size2


@settings(max_examples=150)
@given(index_and_size(), st.data())
def test_inclusion_honest_and_tampered(pair: tuple[int, int], data: st.DataObject) -> None:
    index, size = pair
    proof = _inclusion(index, size)
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])
    with pytest.raises(VerificationError):
        verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size - 1])
    other = (index + data.draw(st.integers(1, N))) % N
    if other != index:
        with pytest.raises(RootMismatchError):
            verify_inclusion(LEAVES[other], index, size, proof, ROOTS[size])
    if size > 1:
        with pytest.raises(VerificationError):
            verify_inclusion(
                LEAVES[index],
                index ^ 1 if index ^ 1 < size else index - 1,
                size,
                proof,
                ROOTS[size],
            )
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        flipped = list(proof)
        flipped[i] = bytes(
            b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(proof[i])
        )
        with pytest.raises(RootMismatchError):
            verify_inclusion(LEAVES[index], index, size, flipped, ROOTS[size])
        with pytest.raises(InclusionProofError):
            verify_inclusion(LEAVES[index], index, size, proof[:-1], ROOTS[size])
    with pytest.raises(InclusionProofError):
        verify_inclusion(LEAVES[index], index, size, [*proof, LEAVES[0]], ROOTS[size])
    with pytest.raises(InclusionProofError):
        verify_inclusion(LEAVES[index], index, size, [*proof[:1], b"short"], ROOTS[size])


@settings(max_examples=150)
@given(two_sizes(), st.data())
def test_consistency_honest_and_tampered(pair: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = pair
    proof = _consistency(size1, size2)
    verify_consistency(size1, size2, proof, ROOTS[size1], ROOTS[size2])
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, proof, ROOTS[size2], ROOTS[size1])
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, proof, ROOTS[size1 - 1], ROOTS[size2])
    other = size2 + 1 if size2 < N else size2 - 1
    if other > size1:
        with pytest.raises(VerificationError):
            verify_consistency(size1, other, proof, ROOTS[size1], ROOTS[other])
    with pytest.raises(ConsistencyProofError):
        verify_consistency(size1, size2, [*proof, LEAVES[0]], ROOTS[size1], ROOTS[size2])
    with pytest.raises(ConsistencyProofError):
        verify_consistency(size1, size2, proof[:-1], ROOTS[size1], ROOTS[size2])
    i = data.draw(st.integers(0, len(proof) - 1))
    flipped = list(proof)
    flipped[i] = bytes([proof[i][0] ^ 1]) + proof[i][1:]
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, flipped, ROOTS[size1], ROOTS[size2])


def test_consistency_edge_cases() -> None:
    verify_consistency(5, 5, [], ROOTS[5], ROOTS[5])
    for args in (
        (0, 0, [], ROOTS[0], ROOTS[0]),
        (0, 4, [], ROOTS[0], ROOTS[4]),
        (5, 5, [ROOTS[5]], ROOTS[5], ROOTS[5]),
        (5, 4, [], ROOTS[5], ROOTS[4]),
        (4, 5, [], ROOTS[4], ROOTS[5]),
    ):
        with pytest.raises(VerificationError):
            verify_consistency(*args)
    with pytest.raises(RootMismatchError):
        verify_consistency(5, 5, [], ROOTS[5], ROOTS[6])
