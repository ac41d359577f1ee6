"""A slow, obviously-correct RFC 9162 tree (section 2.1) to cross-check the store."""

from __future__ import annotations

import hashlib


def mth(leaf_hashes: list[bytes]) -> bytes:
    """MTH over already-hashed leaves (recursive definition of RFC 9162 2.1.1)."""
    n = len(leaf_hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)  # largest power of two < n
    return hashlib.sha256(b"\x01" + mth(leaf_hashes[:k]) + mth(leaf_hashes[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1."""
    return _subproof(m, leaves, complete=True)


def _subproof(m: int, leaves: list[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete=complete), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], complete=False), mth(leaves[:k])]
