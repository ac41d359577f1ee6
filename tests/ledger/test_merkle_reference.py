"""Cross-check the node-id Merkle code against the slow recursive RFC 9162 tree."""

from __future__ import annotations

import pytest

from ledger import (
    EMPTY_ROOT,
    CompactRange,
    FormatError,
    LedgerError,
    consistency_plan,
    inclusion_plan,
    leaf_hash,
    node_hash,
    root_from_nodes,
    root_node_ids,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger import reference as ref

MAX = 300
FULL = 64  # every (index, size) and (size1, size2) pair up to this size
SAMPLED = (65, 100, 127, 128, 129, 200, 255, 256, 257, 299, 300)

LEAVES = ref.leaves(MAX)
NODES = ref.all_nodes(LEAVES)


def test_hash_prefixes() -> None:
    # RFC 9162 2.1.1: leaf = SHA-256(0x00 || d), node = SHA-256(0x01 || l || r).
    assert leaf_hash(b"x") == ref.ref_leaf(b"x")
    assert node_hash(b"a" * 32, b"b" * 32) == ref.ref_node(b"a" * 32, b"b" * 32)
    # SHA-256 of the empty string, FIPS 180-2 test vector.
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_roots_all_sizes_by_compact_range() -> None:
    cr = CompactRange()
    assert cr.root() == EMPTY_ROOT
    for i, h in enumerate(LEAVES):
        completed = cr.append(h)
        assert completed[0] == ((0, i), h)
        for node_id, digest in completed:
            assert NODES[node_id] == digest
        assert cr.root() == ref.mth(LEAVES[: i + 1])
        assert list(cr.hashes) == [NODES[n] for n in root_node_ids(i + 1)]


def test_push_matches_append() -> None:
    a, b = CompactRange(), CompactRange()
    for h in LEAVES[:77]:
        a.append(h)
        b.push(h)
    assert a.hashes == b.hashes
    assert a.size == b.size == 77


def test_compact_range_resumes_from_stored_border() -> None:
    for size in (0, 1, 5, 64, 100):
        cr = CompactRange(size, [NODES[n] for n in root_node_ids(size)])
        for h in LEAVES[size:150]:
            cr.append(h)
        assert cr.root() == ref.mth(LEAVES[:150])


def test_root_from_nodes_all_sizes() -> None:
    for size in range(MAX + 1):
        hashes = [NODES[n] for n in root_node_ids(size)]
        assert root_from_nodes(size, hashes) == ref.mth(LEAVES[:size])
    with pytest.raises(FormatError):
        root_from_nodes(3, [NODES[(0, 0)]])


def _sizes() -> list[int]:
    return [*range(1, FULL + 1), *SAMPLED]


def test_inclusion_plans_fold_to_reference_paths() -> None:
    for size in _sizes():
        tree = LEAVES[:size]
        root = ref.mth(tree)
        indices = (
            range(size)
            if size <= FULL
            else sorted({0, 1, size // 3, size // 2, size - 2, size - 1})
        )
        for index in indices:
            plan = inclusion_plan(index, size)
            assert len(plan.ids) <= 2 * size.bit_length()
            proof = plan.fold([NODES[n] for n in plan.ids])
            assert proof == ref.path(index, tree), (index, size)
            verify_inclusion(tree[index], index, size, proof, root)


def test_consistency_plans_fold_to_reference_proofs() -> None:
    for size2 in _sizes():
        tree = LEAVES[:size2]
        root2 = ref.mth(tree)
        firsts = (
            range(1, size2 + 1)
            if size2 <= FULL
            else sorted({1, 2, 3, size2 // 2, size2 - 1, size2})
        )
        for size1 in firsts:
            plan = consistency_plan(size1, size2)
            proof = plan.fold([NODES[n] for n in plan.ids])
            expected = [] if size1 == size2 else ref.consistency(size1, tree)
            assert proof == expected, (size1, size2)
            verify_consistency(size1, size2, proof, ref.mth(tree[:size1]), root2)


def test_plan_bounds() -> None:
    for bad in ((0, 0), (5, 5), (-1, 3)):
        with pytest.raises(LedgerError):
            inclusion_plan(*bad)
    for bad in ((0, 3), (4, 3), (-1, 2)):
        with pytest.raises(LedgerError):
            consistency_plan(*bad)


def test_plan_of_huge_tree_is_logarithmic() -> None:
    size = 10**12 + 12345
    plan = inclusion_plan(size // 3, size)
    assert len(plan.ids) <= 2 * size.bit_length()
    plan = consistency_plan(size // 7, size)
    assert len(plan.ids) <= 2 * size.bit_length() + 1
