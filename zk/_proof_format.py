"""The wire format of a Bulletproofs range proof.

Layout (all points 33 bytes compressed, all scalars 32 bytes big-endian)::

    A || S || T1 || T2 || tau_x || mu || t_hat || (L_j || R_j) for j < k || a || b

with k = log2(n * m): ``33 * (4 + 2k) + 32 * 5`` bytes, 688 for one 64-bit value.
"""

from __future__ import annotations

from dataclasses import dataclass

from zk._curve import is_point
from zk._encoding import (
    POINT_SIZE,
    SCALAR_SIZE,
    decode_point,
    decode_scalar,
    encode_point,
    encode_scalar,
)
from zk._errors import EncodingError
from zk._field import GROUP_N, is_integer

__all__ = ["MAX_ROUNDS", "MIN_ROUNDS", "RangeProof", "range_proof_size"]

MIN_ROUNDS = 3  # n * m >= 8
MAX_ROUNDS = 10  # n * m <= 1024
_FIXED = 4 * POINT_SIZE + 5 * SCALAR_SIZE
_ROUND = 2 * POINT_SIZE

Point = tuple[int, int]


def range_proof_size(rounds: int) -> int:
    return _FIXED + rounds * _ROUND


def _check_point(name: str, pt: object) -> None:
    if not is_point(pt):
        raise EncodingError(f"proof element {name} is not a point other than the identity")


def _check_scalar(name: str, value: object) -> None:
    if not is_integer(value):
        raise EncodingError(f"proof element {name} is not a scalar")
    if not 0 <= value < GROUP_N:  # type: ignore[operator]
        raise EncodingError(f"proof element {name} is not below the group order")


@dataclass(frozen=True)
class RangeProof:
    """An (aggregated) Bulletproofs range proof; see the module docstring for bytes."""

    A: Point
    S: Point
    T1: Point
    T2: Point
    tau_x: int
    mu: int
    t_hat: int
    L: tuple[Point, ...]
    R: tuple[Point, ...]
    a: int
    b: int

    def __post_init__(self) -> None:
        for name in ("A", "S", "T1", "T2"):
            _check_point(name, getattr(self, name))
        for name in ("tau_x", "mu", "t_hat", "a", "b"):
            _check_scalar(name, getattr(self, name))
        if not isinstance(self.L, tuple) or not isinstance(self.R, tuple):
            raise EncodingError("L and R must be tuples of points")
        if len(self.L) != len(self.R) or not MIN_ROUNDS <= len(self.L) <= MAX_ROUNDS:
            raise EncodingError(f"L and R need the same length in [{MIN_ROUNDS}, {MAX_ROUNDS}]")
        for j, (left, right) in enumerate(zip(self.L, self.R, strict=True)):
            _check_point(f"L[{j}]", left)
            _check_point(f"R[{j}]", right)

    @property
    def rounds(self) -> int:
        return len(self.L)

    def to_bytes(self) -> bytes:
        parts = [encode_point(p) for p in (self.A, self.S, self.T1, self.T2)]
        parts += [encode_scalar(s) for s in (self.tau_x, self.mu, self.t_hat)]
        for left, right in zip(self.L, self.R, strict=True):
            parts += [encode_point(left), encode_point(right)]
        parts += [encode_scalar(self.a), encode_scalar(self.b)]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> RangeProof:
        if not isinstance(data, bytes | bytearray):
            raise EncodingError("a range proof is bytes")
        data = bytes(data)
        rounds, rest = divmod(len(data) - _FIXED, _ROUND)
        if len(data) < _FIXED or rest or not MIN_ROUNDS <= rounds <= MAX_ROUNDS:
            raise EncodingError(f"a range proof is 33*(4+2k)+160 bytes, 3<=k<=10; got {len(data)}")
        pos = 0

        def point() -> Point:
            nonlocal pos
            pt = decode_point(data[pos : pos + POINT_SIZE])
            pos += POINT_SIZE
            if pt is None:  # pragma: no cover - decode_point refuses the identity
                raise EncodingError("identity point in proof")
            return pt

        def scalar() -> int:
            nonlocal pos
            value = decode_scalar(data[pos : pos + SCALAR_SIZE])
            pos += SCALAR_SIZE
            return value

        a_pt, s_pt, t1, t2 = point(), point(), point(), point()
        tau_x, mu, t_hat = scalar(), scalar(), scalar()
        lefts: list[Point] = []
        rights: list[Point] = []
        for _ in range(rounds):
            lefts.append(point())
            rights.append(point())
        a, b = scalar(), scalar()
        return cls(a_pt, s_pt, t1, t2, tau_x, mu, t_hat, tuple(lefts), tuple(rights), a, b)
