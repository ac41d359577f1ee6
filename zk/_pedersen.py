"""Pedersen commitments C = v*G + r*H, openings and their homomorphism."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from zk._curve import Affine, affine_add, affine_neg, is_point, to_affine
from zk._encoding import (
    SCALAR_SIZE,
    decode_point,
    decode_scalar,
    encode_point,
    encode_scalar,
)
from zk._errors import EncodingError, StatementError, VerificationError
from zk._field import GROUP_N, is_integer, mpz
from zk._generators import DEFAULT_GENERATORS, GeneratorSet
from zk._tables import comb_msm
from zk._transcript import Rng, random_scalar

__all__ = [
    "MAX_VALUE",
    "OPENING_SIZE",
    "Commitment",
    "Opening",
    "commit",
    "commit_point",
    "verify_opening",
]

MAX_VALUE = (1 << 64) - 1
"""The largest quantity :func:`commit` accepts (values are 64-bit)."""
OPENING_SIZE = 2 * SCALAR_SIZE


@dataclass(frozen=True)
class Commitment:
    """A Pedersen commitment: a point other than the identity (33 bytes)."""

    point: tuple[int, int]

    def __post_init__(self) -> None:
        if not is_point(self.point):
            raise EncodingError("a commitment is a point on the curve other than the identity")

    def to_bytes(self) -> bytes:
        return encode_point(self.point)

    @classmethod
    def from_bytes(cls, data: bytes) -> Commitment:
        point = decode_point(data)
        if point is None:  # pragma: no cover - decode_point refuses the identity
            raise EncodingError("identity commitment")
        return cls(point)

    def _combine(self, other: Affine) -> Commitment:
        point = affine_add(self.point, other)
        if point is None:
            raise StatementError("the commitments cancel to the identity")
        return Commitment(point)

    def __add__(self, other: Commitment) -> Commitment:
        if not isinstance(other, Commitment):
            return NotImplemented
        return self._combine(other.point)

    def __sub__(self, other: Commitment) -> Commitment:
        if not isinstance(other, Commitment):
            return NotImplemented
        return self._combine(affine_neg(other.point))


@dataclass(frozen=True, eq=False)
class Opening:
    """The secret behind a commitment: value and blinding, both modulo n.

    Neither field appears in ``repr`` (they are secrets), equality is compared in
    constant time, and openings add and subtract like their commitments.
    """

    value: int = field(repr=False)
    blinding: int = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("value", "blinding"):
            item = getattr(self, name)
            if not is_integer(item):
                raise StatementError(f"opening {name} must be an integer")
            if not 0 <= item < GROUP_N:
                raise StatementError(f"opening {name} must be in [0, n)")

    def to_bytes(self) -> bytes:
        return encode_scalar(self.value) + encode_scalar(self.blinding)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Opening):
            return NotImplemented
        return hmac.compare_digest(self.to_bytes(), other.to_bytes())

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Opening:
        if not isinstance(data, bytes | bytearray) or len(data) != OPENING_SIZE:
            raise EncodingError(f"an opening is {OPENING_SIZE} bytes")
        data = bytes(data)
        return cls(decode_scalar(data[:SCALAR_SIZE]), decode_scalar(data[SCALAR_SIZE:]))

    def __add__(self, other: Opening) -> Opening:
        if not isinstance(other, Opening):
            return NotImplemented
        return Opening(
            (self.value + other.value) % GROUP_N, (self.blinding + other.blinding) % GROUP_N
        )

    def __sub__(self, other: Opening) -> Opening:
        if not isinstance(other, Opening):
            return NotImplemented
        return Opening(
            (self.value - other.value) % GROUP_N, (self.blinding - other.blinding) % GROUP_N
        )

    def commitment(self, generators: GeneratorSet = DEFAULT_GENERATORS) -> Commitment:
        point = commit_point(self.value, self.blinding, generators)
        if point is None:
            raise StatementError("an opening of zero value and zero blinding has no commitment")
        return Commitment(point)


def commit_point(value: int, blinding: int, generators: GeneratorSet) -> Affine:
    g_comb, h_comb = generators.combs()
    return to_affine(comb_msm([(value, g_comb), (blinding, h_comb)]))


def commit(
    value: int, *, rng: Rng, generators: GeneratorSet = DEFAULT_GENERATORS
) -> tuple[Commitment, Opening]:
    """Commit to a quantity ``0 <= value < 2^64`` with a fresh random blinding."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
        raise StatementError("a committed value must be an integer in [0, 2^64)")
    opening = Opening(mpz(value), random_scalar(rng))
    return opening.commitment(generators), opening


def verify_opening(
    commitment: Commitment, opening: Opening, *, generators: GeneratorSet = DEFAULT_GENERATORS
) -> None:
    """Check that ``opening`` opens ``commitment``; raises :class:`VerificationError`."""
    if not isinstance(commitment, Commitment) or not isinstance(opening, Opening):
        raise StatementError("verify_opening takes a Commitment and an Opening")
    if commit_point(opening.value, opening.blinding, generators) != commitment.point:
        raise VerificationError("the opening does not match the commitment")
