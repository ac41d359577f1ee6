"""Generators derived from published labels, so no one knows a relation between them.

Every generator is RFC 9380 ``hash_to_curve`` (suite
``secp256k1_XMD:SHA-256_SSWU_RO_``) of a label, with the domain separation tag
:data:`H2C_DST`. Labels: ``<domain>/G`` (values), ``<domain>/H`` (blindings),
``<domain>/U`` (the inner-product point), ``<domain>/g/<i>`` and
``<domain>/h/<i>`` (vector generators, decimal i, 0 <= i < capacity), with
domain ``scnode/zk/generators/v1`` by default.

The generator-set digest is SHA-256 over ``u32(capacity)`` and the compressed
encodings of G, H, U, g_0, h_0, g_1, h_1, ...; it is bound into every transcript.
"""

from __future__ import annotations

import hashlib
import threading

from zk._encoding import encode_point
from zk._errors import StatementError
from zk._hash_to_curve import SUITE_ID, hash_to_curve
from zk._tables import CombTable, FixedTable, build_combs, build_tables

__all__ = [
    "DEFAULT_GENERATORS",
    "GENERATOR_DOMAIN",
    "H2C_DST",
    "MAX_VECTOR_LENGTH",
    "GeneratorSet",
    "hash_to_point",
]

H2C_DST = b"scnode-zk-V01-CS02-with-" + SUITE_ID
GENERATOR_DOMAIN = b"scnode/zk/generators/v1"
MAX_VECTOR_LENGTH = 64 * 16  # 64-bit values, up to 16 aggregated


def hash_to_point(label: bytes) -> tuple[int, int]:
    """The generator for ``label``: RFC 9380 hash_to_curve with :data:`H2C_DST`."""
    point = hash_to_curve(label, H2C_DST)
    if point is None:  # pragma: no cover - probability 2^-256
        raise StatementError("hash-to-curve gave the identity")
    return point


class GeneratorSet:
    """G, H, U and the vector generators g_i, h_i for one domain label.

    Points, fixed-base tables and the digest are computed lazily, once.
    """

    def __init__(self, domain: bytes = GENERATOR_DOMAIN, capacity: int = MAX_VECTOR_LENGTH):
        if capacity < 1:
            raise StatementError("generator capacity must be positive")
        self.domain = bytes(domain)
        self.capacity = capacity
        self._lock = threading.Lock()
        self._base: list[tuple[int, int]] = []
        self._base_tables: list[FixedTable] = []
        self._combs: list[CombTable] = []
        self._g: list[tuple[int, int]] = []
        self._h: list[tuple[int, int]] = []
        self._g_tables: list[FixedTable] = []
        self._h_tables: list[FixedTable] = []
        self._digest: bytes | None = None

    def _label(self, *parts: str) -> bytes:
        return self.domain + b"".join(b"/" + p.encode() for p in parts)

    def _ensure_base(self) -> None:
        if self._base_tables:
            return
        with self._lock:
            if not self._base_tables:
                self._base = [hash_to_point(self._label(name)) for name in ("G", "H", "U")]
                self._base_tables = build_tables(self._base)

    def _ensure_vectors(self, count: int, *, tables: bool) -> None:
        if count > self.capacity:
            raise StatementError(f"needs {count} vector generators, capacity is {self.capacity}")
        if len(self._g) >= count and (not tables or len(self._g_tables) >= count):
            return
        with self._lock:
            for i in range(len(self._g), count):
                self._g.append(hash_to_point(self._label("g", str(i))))
                self._h.append(hash_to_point(self._label("h", str(i))))
            if tables and len(self._g_tables) < count:
                start = len(self._g_tables)
                built = build_tables(self._g[start:count] + self._h[start:count])
                self._g_tables.extend(built[: count - start])
                self._h_tables.extend(built[count - start :])

    @property
    def G(self) -> tuple[int, int]:
        self._ensure_base()
        return self._base[0]

    @property
    def H(self) -> tuple[int, int]:
        self._ensure_base()
        return self._base[1]

    @property
    def U(self) -> tuple[int, int]:
        self._ensure_base()
        return self._base[2]

    def base_tables(self) -> tuple[FixedTable, FixedTable, FixedTable]:
        """Fixed-base tables of G, H and U."""
        self._ensure_base()
        g, h, u = self._base_tables
        return g, h, u

    def combs(self) -> tuple[CombTable, CombTable]:
        """Full digit tables of G and H, for single products such as commitments."""
        if not self._combs:
            self._ensure_base()
            with self._lock:
                if not self._combs:
                    self._combs = build_combs(self._base[:2])
        return self._combs[0], self._combs[1]

    def vectors(self, count: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        self._ensure_vectors(count, tables=False)
        return self._g[:count], self._h[:count]

    def vector_tables(self, count: int) -> tuple[list[FixedTable], list[FixedTable]]:
        self._ensure_vectors(count, tables=True)
        return self._g_tables[:count], self._h_tables[:count]

    @property
    def digest(self) -> bytes:
        """SHA-256 of the whole set (bound into every proof transcript)."""
        if self._digest is None:
            self._ensure_base()
            self._ensure_vectors(self.capacity, tables=False)
            h = hashlib.sha256(self.capacity.to_bytes(4, "big"))
            for pt in self._base:
                h.update(encode_point(pt))
            for g, hh in zip(self._g, self._h, strict=True):
                h.update(encode_point(g))
                h.update(encode_point(hh))
            self._digest = h.digest()
        return self._digest


DEFAULT_GENERATORS = GeneratorSet()
