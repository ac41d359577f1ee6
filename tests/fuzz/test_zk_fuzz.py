"""The zk wire formats, fed structured mutations of valid encodings.

A range proof, a balance proof, a commitment and an opening are made honestly,
then their bytes are edited (a flipped bit, a cut, a repeated run, bytes inserted,
a BOM in front). Parsing and then verifying must return, or raise ``ProofError``
(its ``EncodingError`` / ``VerificationError`` subclasses) with a message; a
proof that still parses after an edit must not verify unless its bytes are the
original ones.
"""

from __future__ import annotations

import random

from hypothesis import given, settings

import zk
from tests.fuzz.domain import DERANDOMIZE, examples, parses_or_refuses
from tests.fuzz.mutations import mutated_bytes
from zk._encoding import decode_point, decode_scalar

EXAMPLES = examples(60)
BITS = 8
CONTEXT = b"scnode-fuzz/zk"

_RNG = random.Random(20261122)
COMMITMENT, OPENING = zk.commit(130, rng=_RNG)
AT_LEAST = zk.prove_at_least(OPENING, 100, bits=BITS, context=CONTEXT, rng=_RNG)
_IN = [zk.commit(v, rng=_RNG) for v in (5, 7)]
_OUT = [zk.commit(v, rng=_RNG) for v in (12,)]
BALANCE = zk.prove_balance(
    [o for _c, o in _IN], [o for _c, o in _OUT], bits=BITS, context=CONTEXT, rng=_RNG
)


def _verify_at_least(data: bytes) -> None:
    proof = zk.RangeProof.from_bytes(data)
    zk.verify_at_least(COMMITMENT, 100, proof, bits=BITS, context=CONTEXT)


def _verify_balance(data: bytes) -> None:
    proof = zk.BalanceProof.from_bytes(data)
    zk.verify_balance(
        [c for c, _o in _IN], [c for c, _o in _OUT], proof, bits=BITS, context=CONTEXT
    )


def test_the_valid_encodings_verify() -> None:
    _verify_at_least(AT_LEAST.to_bytes())
    _verify_balance(BALANCE.to_bytes())
    assert zk.Commitment.from_bytes(COMMITMENT.to_bytes()) == COMMITMENT
    zk.verify_opening(COMMITMENT, zk.Opening.from_bytes(OPENING.to_bytes()))


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_bytes(AT_LEAST.to_bytes()))
def test_range_proof(data: bytes) -> None:
    refused = parses_or_refuses(lambda: _verify_at_least(data), zk.ProofError)
    assert refused is not None or data == AT_LEAST.to_bytes()


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_bytes(BALANCE.to_bytes()))
def test_balance_proof(data: bytes) -> None:
    refused = parses_or_refuses(lambda: _verify_balance(data), zk.ProofError)
    assert refused is not None or data == BALANCE.to_bytes()


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_bytes(COMMITMENT.to_bytes(), max_edits=2))
def test_commitment_and_point(data: bytes) -> None:
    parses_or_refuses(lambda: zk.Commitment.from_bytes(data), zk.ProofError)
    parses_or_refuses(lambda: decode_point(data), zk.ProofError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_bytes(OPENING.to_bytes(), max_edits=2))
def test_opening_and_scalar(data: bytes) -> None:
    def opened() -> None:
        zk.verify_opening(COMMITMENT, zk.Opening.from_bytes(data))

    refused = parses_or_refuses(opened, zk.ProofError)
    assert refused is not None or data == OPENING.to_bytes()
    parses_or_refuses(lambda: decode_scalar(data[:32]), zk.ProofError)
