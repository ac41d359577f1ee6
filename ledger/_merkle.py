"""RFC 9162 Merkle tree structure, driven by node ids.

A node id ``(level, index)`` names the perfect subtree of ``2**level`` leaves
starting at leaf ``index * 2**level``; level 0 holds the leaf hashes. Storage keeps
every such node once it is complete. The core decides which nodes a proof needs
(:func:`inclusion_plan`, :func:`consistency_plan`), storage fetches them, and
:meth:`ProofPlan.fold` turns them into the RFC 9162 audit path. A proof costs
O(log n) node fetches, whatever the size of the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger._hashing import EMPTY_ROOT, HASH_SIZE, node_hash
from ledger.errors import FormatError, LedgerError

__all__ = [
    "CompactRange",
    "NodeId",
    "ProofPlan",
    "consistency_plan",
    "inclusion_plan",
    "root_from_nodes",
    "root_node_ids",
]

NodeId = tuple[int, int]


def _range_nodes(begin: int, end: int) -> list[NodeId]:
    """Perfect subtrees covering leaves [begin, end), left to right.

    ``begin`` must be aligned so that each chunk starts on its own boundary,
    which holds for every range this module builds (begin is 0 or a multiple of
    a power of two larger than ``end - begin``).
    """
    ids: list[NodeId] = []
    size = end - begin
    pos = begin
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            ids.append((level, pos >> level))
            pos += 1 << level
    return ids


def root_node_ids(size: int) -> list[NodeId]:
    """The perfect subtrees of a tree of ``size`` leaves, left to right."""
    if size < 0:
        raise LedgerError(f"tree size must be >= 0, got {size}")
    return _range_nodes(0, size)


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    result = hashes[-1]
    for i in range(len(hashes) - 2, -1, -1):
        result = node_hash(hashes[i], result)
    return result


def root_from_nodes(size: int, hashes: Sequence[bytes]) -> bytes:
    """The tree root from the hashes of :func:`root_node_ids` ``(size)``."""
    expected = size.bit_count()
    if len(hashes) != expected:
        raise FormatError(f"a tree of size {size} has {expected} border nodes, got {len(hashes)}")
    if not hashes:
        return EMPTY_ROOT
    return _fold_right(hashes)


class CompactRange:
    """The right border of a tree: hashes of :func:`root_node_ids` ``(size)``."""

    __slots__ = ("_hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise FormatError(f"a tree of size {size} has {size.bit_count()} border nodes")
        if any(len(h) != HASH_SIZE for h in hashes):
            raise FormatError(f"border hashes must be {HASH_SIZE} bytes")
        self.size = size
        self._hashes = list(hashes)

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf; return every node it completes, starting with ``(0, index)``."""
        index = self.size
        completed: list[tuple[NodeId, bytes]] = [((0, index), leaf_hash)]
        node = leaf_hash
        level = 0
        hashes = self._hashes
        while index >> level & 1:
            node = node_hash(hashes.pop(), node)
            level += 1
            completed.append(((level, index >> level), node))
        hashes.append(node)
        self.size = index + 1
        return completed

    def push(self, leaf_hash: bytes) -> None:
        """Add one leaf without reporting the completed nodes (for verification scans)."""
        index = self.size
        node = leaf_hash
        hashes = self._hashes
        while index & 1:
            node = node_hash(hashes.pop(), node)
            index >>= 1
        hashes.append(node)
        self.size += 1

    def root(self) -> bytes:
        """The RFC 9162 root hash of the tree of ``size`` leaves."""
        if not self._hashes:
            return EMPTY_ROOT
        return _fold_right(self._hashes)


@dataclass(frozen=True)
class ProofPlan:
    """The nodes a proof needs, and how to fold them into an RFC 9162 proof.

    ``ids[ephem_begin:ephem_end]`` (when that slice has two or more ids) are the
    perfect subtrees of one incomplete subtree, hashed together into a single
    proof element; every other id is a proof element by itself.
    """

    ids: tuple[NodeId, ...]
    ephem_begin: int = 0
    ephem_end: int = 0

    def fold(self, hashes: Sequence[bytes]) -> list[bytes]:
        """The audit path from the hashes of :attr:`ids`, in the same order."""
        if len(hashes) != len(self.ids):
            raise FormatError(f"proof plan needs {len(self.ids)} hashes, got {len(hashes)}")
        begin, end = self.ephem_begin, self.ephem_end
        if end - begin < 2:
            return list(hashes)
        return [*hashes[:begin], _fold_right(hashes[begin:end]), *hashes[end:]]


def _path_nodes(index: int, level: int, size: int) -> tuple[list[NodeId], int, int]:
    """Ids for the audit path of node (level, index) in a tree of ``size`` leaves."""
    # The fork is the lowest ancestor of (level, index) whose sibling is not a
    # complete subtree of the tree (or lies to its left). Below it, every sibling
    # is a complete node; to its right, the incomplete sibling is made of the
    # perfect subtrees covering [end, size); to its left, the perfect subtrees
    # covering [0, begin), nearest first.
    inner = (index ^ (size >> level)).bit_length() - 1
    fork_level = level + inner
    begin = (index >> inner) << fork_level
    end = begin + (1 << fork_level)
    ids: list[NodeId] = [(lv, (index >> (lv - level)) ^ 1) for lv in range(level, fork_level)]
    ephem_begin = len(ids)
    ids.extend(_range_nodes(end, size))
    ephem_end = len(ids)
    ids.extend(reversed(_range_nodes(0, begin)))
    return ids, ephem_begin, ephem_end


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Nodes of the inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise LedgerError(f"leaf index {index} is outside a tree of size {size}")
    ids, begin, end = _path_nodes(index, 0, size)
    return ProofPlan(tuple(ids), begin, end)


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """Nodes of the consistency proof from tree size ``size1`` to ``size2``.

    Sizes ``0 < size1 <= size2``; equal sizes give an empty proof.
    """
    if not 0 < size1 <= size2:
        raise LedgerError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        return ProofPlan(())
    # The last perfect subtree of the old tree, and its audit path in the new tree;
    # the node itself comes first unless the old tree is perfect (its root is known).
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    ids, begin, end = _path_nodes(index, level, size2)
    if index == 0:
        return ProofPlan(tuple(ids), begin, end)
    return ProofPlan(((level, index), *ids), begin + 1, end + 1)
