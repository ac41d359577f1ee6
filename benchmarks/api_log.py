"""An in-memory log for the witness load of ``scnode bench api``."""

from __future__ import annotations

import os

from ledger import Checkpoint, NoteSigner, leaf_hash, node_hash, sign_checkpoint
from node.witness._protocol import render_add_checkpoint

__all__ = ["GrowingLog"]


class GrowingLog:
    """A peer's log in memory: RFC 9162 roots and consistency proofs, signed notes."""

    def __init__(self, origin: str, *, seed: bytes | None = None) -> None:
        self.seed = os.urandom(32) if seed is None else seed
        self.signer = NoteSigner(origin, self.seed)
        self.origin = origin
        self._leaves: list[bytes] = []
        self._cache: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        return len(self._leaves)

    def _mth(self, lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return self._leaves[lo]
        cached = self._cache.get((lo, hi))
        if cached is None:
            k = 1 << ((hi - lo - 1).bit_length() - 1)
            cached = node_hash(self._mth(lo, lo + k), self._mth(lo + k, hi))
            self._cache[(lo, hi)] = cached
        return cached

    def _subproof(self, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [self._mth(lo, hi)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, complete), self._mth(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self._mth(lo, lo + k)]

    def grow(self) -> bytes:
        """Append one leaf; the add-checkpoint body from the previous size."""
        old = self.size
        self._leaves.append(leaf_hash(f"{self.origin} entry {old}".encode()))
        proof = self._subproof(old, 0, self.size, True) if old > 0 else []
        note = sign_checkpoint(
            Checkpoint(self.origin, self.size, self._mth(0, self.size)), [self.signer]
        )
        return render_add_checkpoint(old, proof, note)
