"""Fiat–Shamir transcript: a labelled SHA-256 sponge with a versioned domain.

Every message is framed as ``op || u16(len(label)) || label || u64(len(data)) || data``
(op ``A`` absorb, ``C`` challenge, ``R`` ratchet) into one running SHA-256, which
starts with the domain separator and the protocol name. A challenge hashes the
state so far into 64 bytes (two SHA-256 calls with a counter byte), reduces them
modulo n (bias below 2^-250) and absorbs its own seed, so later challenges depend
on it. A zero challenge is rejected.

Prover nonces (:class:`NonceSource`) are derived like Merlin's transcript RNG:
from the transcript state, the secret witness and fresh bytes of the caller's
``rng``; they never depend on public data alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from zk._curve import Affine
from zk._encoding import encode_point, encode_scalar
from zk._errors import VerificationError
from zk._field import GROUP_N, mpz

__all__ = ["NONCE_DOMAIN", "TRANSCRIPT_DOMAIN", "NonceSource", "Rng", "Transcript", "random_scalar"]

TRANSCRIPT_DOMAIN = b"scnode/zk/transcript/v1"
NONCE_DOMAIN = b"scnode/zk/prover-nonce/v1"
_RNG_BYTES = 32


class Rng(Protocol):
    """The randomness a caller passes in: ``secrets.SystemRandom()`` in production,
    ``random.Random(seed)`` in tests (both provide ``randbytes``)."""

    def randbytes(self, n: int, /) -> bytes: ...


def _frame(op: bytes, label: bytes, data: bytes) -> bytes:
    return op + len(label).to_bytes(2, "big") + label + len(data).to_bytes(8, "big") + data


def _wide_scalar(seed: bytes) -> int:
    wide = hashlib.sha256(seed + b"\x00").digest() + hashlib.sha256(seed + b"\x01").digest()
    return mpz(int.from_bytes(wide, "big")) % GROUP_N  # type: ignore[no-any-return]


def random_scalar(rng: Rng) -> int:
    """A uniformly random non-zero scalar from ``rng``."""
    while True:
        value = mpz(int.from_bytes(rng.randbytes(64), "big")) % GROUP_N
        if value:
            return value  # type: ignore[no-any-return]


class Transcript:
    def __init__(self, protocol: bytes) -> None:
        self._state = hashlib.sha256(_frame(b"A", b"dom-sep", TRANSCRIPT_DOMAIN))
        self._state.update(_frame(b"A", b"protocol", protocol))

    def append(self, label: bytes, data: bytes) -> None:
        self._state.update(_frame(b"A", label, data))

    def append_u64(self, label: bytes, value: int) -> None:
        self.append(label, int(value).to_bytes(8, "big"))

    def append_point(self, label: bytes, point: Affine) -> None:
        self.append(label, encode_point(point))

    def append_scalar(self, label: bytes, value: int) -> None:
        self.append(label, encode_scalar(value))

    def _challenge_seed(self, label: bytes) -> bytes:
        self._state.update(_frame(b"C", label, b""))
        seed = self._state.copy().digest()
        self._state.update(_frame(b"R", label, seed))
        return seed

    def challenge_scalar(self, label: bytes) -> int:
        """A challenge in [1, n); raises :class:`VerificationError` on zero."""
        value = _wide_scalar(self._challenge_seed(label))
        if value == 0:
            raise VerificationError(f"zero challenge {label.decode(errors='replace')}")
        return value

    def nonces(self, witness: Sequence[bytes], rng: Rng) -> NonceSource:
        """A prover nonce source keyed by this transcript, the witness and ``rng``."""
        key = hashlib.sha256(_frame(b"A", b"nonce-domain", NONCE_DOMAIN))
        key.update(_frame(b"A", b"transcript", self._state.copy().digest()))
        for item in witness:
            key.update(_frame(b"A", b"witness", item))
        key.update(_frame(b"A", b"rng", rng.randbytes(_RNG_BYTES)))
        return NonceSource(key.digest())


class NonceSource:
    """Deterministic stream of non-zero scalars from a secret key."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._counter = 0

    def scalar(self) -> int:
        while True:
            self._counter += 1
            value = _wide_scalar(self._key + self._counter.to_bytes(8, "big"))
            if value:
                return value

    def scalars(self, count: int) -> list[int]:
        return [self.scalar() for _ in range(count)]
