"""The Fiat–Shamir transcript: framing, determinism, zero challenges, nonces."""

from __future__ import annotations

import random

import pytest

import zk
from tests.zk.reference import N
from zk._transcript import TRANSCRIPT_DOMAIN, Transcript, random_scalar


def challenge(*messages: tuple[bytes, bytes], protocol: bytes = b"p") -> int:
    t = Transcript(protocol)
    for label, data in messages:
        t.append(label, data)
    return t.challenge_scalar(b"c")


def test_deterministic_and_in_range() -> None:
    a = challenge((b"x", b"1"))
    assert a == challenge((b"x", b"1"))
    assert 0 < a < N


def test_labels_lengths_and_protocol_are_framed() -> None:
    base = challenge((b"ab", b"c"))
    assert base != challenge((b"a", b"bc"))  # label/data boundary
    assert base != challenge((b"ab", b"c"), protocol=b"q")
    assert challenge((b"x", b"ab"), (b"x", b"c")) != challenge((b"x", b"a"), (b"x", b"bc"))
    assert challenge((b"x", b"")) != challenge()


def test_successive_challenges_differ_and_chain() -> None:
    t = Transcript(b"p")
    c1 = t.challenge_scalar(b"c")
    c2 = t.challenge_scalar(b"c")
    assert c1 != c2
    assert TRANSCRIPT_DOMAIN.endswith(b"/v1")


def test_zero_challenge_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import zk._transcript as module

    monkeypatch.setattr(module, "_wide_scalar", lambda seed: 0)
    with pytest.raises(zk.VerificationError, match="zero challenge"):
        Transcript(b"p").challenge_scalar(b"y")


def test_nonces_depend_on_transcript_witness_and_rng() -> None:
    def first(protocol: bytes, witness: bytes, seed: int) -> int:
        return Transcript(protocol).nonces([witness], random.Random(seed)).scalar()

    base = first(b"p", b"w", 1)
    assert base == first(b"p", b"w", 1)
    assert base != first(b"q", b"w", 1)
    assert base != first(b"p", b"v", 1)
    assert base != first(b"p", b"w", 2)
    source = Transcript(b"p").nonces([b"w"], random.Random(1))
    values = source.scalars(5)
    assert len(set(values)) == 5
    assert all(0 < v < N for v in values)


def test_random_scalar_is_nonzero_and_uses_the_rng() -> None:
    assert random_scalar(random.Random(1)) == random_scalar(random.Random(1))
    assert random_scalar(random.Random(1)) != random_scalar(random.Random(2))

    class Zeros:
        calls = 0

        def randbytes(self, n: int) -> bytes:
            self.calls += 1
            return bytes(n) if self.calls == 1 else b"\x01" * n

    assert random_scalar(Zeros()) != 0
