"""Helpers shared by the statements: input checks, transcripts, padded range proofs."""

from __future__ import annotations

from collections.abc import Sequence

from zk._curve import Affine, affine_add, affine_neg, to_affine
from zk._errors import StatementError
from zk._field import GROUP_N, mpz
from zk._generators import GeneratorSet
from zk._pedersen import MAX_VALUE, Commitment, Opening
from zk._proof_format import RangeProof
from zk._prover import prove
from zk._rangeproof import BIT_SIZES, MAX_AGGREGATION
from zk._tables import comb_msm
from zk._transcript import Rng, Transcript
from zk._verifier import Terms, terms

__all__ = [
    "context_bytes",
    "difference",
    "pad",
    "prove_values",
    "quantity",
    "require",
    "require_commitments",
    "shift",
    "start",
    "value_terms",
]

N = GROUP_N


def quantity(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
        raise StatementError(f"{name} must be an integer in [0, 2^64)")
    return mpz(value)  # type: ignore[no-any-return]


def context_bytes(context: bytes) -> bytes:
    if not isinstance(context, bytes | bytearray):
        raise StatementError("context must be bytes")
    return bytes(context)


def require(value: object, kind: type, name: str) -> None:
    if not isinstance(value, kind):
        raise StatementError(f"{name} must be a {kind.__name__}")


def require_commitments(values: Sequence[Commitment], name: str) -> None:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise StatementError(f"{name} must be a sequence of commitments")
    for value in values:
        require(value, Commitment, name)


def start(protocol: bytes, context: bytes) -> Transcript:
    transcript = Transcript(protocol)
    transcript.append(b"context", context_bytes(context))
    return transcript


def shift(point: Affine, amount: int, generators: GeneratorSet) -> Affine:
    """point - amount*G."""
    g_comb, _ = generators.combs()
    return affine_add(point, to_affine(comb_msm([((-amount) % N, g_comb)])))


def pad(count: int) -> int:
    m = 1
    while m < count:
        m *= 2
    if m > MAX_AGGREGATION:
        raise StatementError(f"at most {MAX_AGGREGATION} range-proved values per statement")
    return m


def prove_values(
    transcript: Transcript,
    openings: Sequence[Opening],
    bits: int,
    generators: GeneratorSet,
    rng: Rng,
) -> RangeProof:
    m = pad(len(openings))
    values = [o.value for o in openings] + [mpz(0)] * (m - len(openings))
    blindings = [o.blinding for o in openings] + [mpz(0)] * (m - len(openings))
    if bits not in BIT_SIZES:
        raise StatementError(f"bit size must be one of {BIT_SIZES}")
    for v in values:
        if not 0 <= v < (1 << bits):
            raise StatementError(f"the statement is false or a value does not fit in {bits} bits")
    return prove(transcript, values, blindings, bits=bits, generators=generators, rng=rng)


def value_terms(
    *,
    transcript: Transcript,
    points: Sequence[Affine],
    proof: RangeProof,
    bits: int,
    generators: GeneratorSet,
    weight: int,
) -> Terms:
    require(proof, RangeProof, "proof")
    padded = list(points) + [None] * (pad(len(points)) - len(points))
    return terms(transcript, padded, proof, bits=bits, generators=generators, weight=weight)


# --- range ----------------------------------------------------------------------------


def difference(inputs: Sequence[Affine], outputs: Sequence[Affine]) -> Affine:
    acc: Affine = None
    for p in inputs:
        acc = affine_add(acc, p)
    for p in outputs:
        acc = affine_add(acc, affine_neg(p))
    return acc
