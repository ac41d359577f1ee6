"""A slow, obviously-correct RFC 9162 Merkle tree (section 2.1), for cross-checks.

Written straight from the RFC's recursive definitions, with no shared code with
:mod:`ledger`: MTH, PATH (2.1.3.1) and PROOF/SUBPROOF (2.1.4.1).
"""

from __future__ import annotations

import hashlib


def ref_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes: list[bytes]) -> bytes:
    """MTH over leaf hashes (the leaf hashing already applied)."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = _split(n)
    return ref_node(mth(hashes[:k]), mth(hashes[k:]))


def path(m: int, hashes: list[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*path(m, hashes[:k]), mth(hashes[k:])]
    return [*path(m - k, hashes[k:]), mth(hashes[:k])]


def _subproof(m: int, hashes: list[bytes], b: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if b else [mth(hashes)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, hashes[:k], b), mth(hashes[k:])]
    return [*_subproof(m - k, hashes[k:], False), mth(hashes[:k])]


def consistency(m: int, hashes: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m <= n."""
    return _subproof(m, hashes, True)


def all_nodes(hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete node (level, index) of the tree, computed by MTH."""
    nodes: dict[tuple[int, int], bytes] = {}
    level = 0
    while (1 << level) <= len(hashes):
        width = 1 << level
        for index in range(len(hashes) // width):
            nodes[(level, index)] = mth(hashes[index * width : (index + 1) * width])
        level += 1
    return nodes


def leaves(n: int) -> list[bytes]:
    """Deterministic leaf hashes for tests."""
    return [ref_leaf(b"leaf %d" % i) for i in range(n)]
