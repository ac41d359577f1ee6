"""Statements about committed quantities, built on one aggregated range proof each.

=================  =========================================  ====================
statement          range-proved values (m padded to 2^k)      extra
=================  =========================================  ====================
at least t         v - t                                      -
between l and u    v - l, u - v                               -
balance / sum      every input and every output               sum in = sum out
coverage           available - sum pledges, every pledge      -
=================  =========================================  ====================

Each statement has its own protocol label; its transcript absorbs the caller's
commitments, every threshold or bound, the caller's context bytes, then (in the
range layer) the bit size, m, the generator digest and the derived commitments.
A balance proof adds a Schnorr proof that ``sum in - sum out`` is a multiple of H
(so the committed values balance even when the blindings were chosen
independently), folded into the same single MSM as the range proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zk._curve import Affine, affine_add, affine_neg, is_point, to_affine
from zk._encoding import (
    POINT_SIZE,
    SCALAR_SIZE,
    decode_point,
    decode_scalar,
    encode_point,
    encode_scalar,
)
from zk._errors import EncodingError, StatementError
from zk._field import GROUP_N, is_integer, mpz
from zk._generators import DEFAULT_GENERATORS, GeneratorSet
from zk._msm import comb_msm
from zk._pedersen import MAX_VALUE, Commitment, Opening
from zk._proof_format import RangeProof
from zk._rangeproof import BIT_SIZES, MAX_AGGREGATION, Terms, check_terms, prove, terms
from zk._transcript import Rng, Transcript

__all__ = [
    "AT_LEAST_PROTOCOL",
    "BALANCE_PROTOCOL",
    "BETWEEN_PROTOCOL",
    "COVERAGE_PROTOCOL",
    "RANGE_PROTOCOL",
    "BalanceProof",
    "at_least_terms",
    "balance_terms",
    "between_terms",
    "prove_at_least",
    "prove_balance",
    "prove_between",
    "prove_coverage",
    "prove_range",
    "range_terms",
    "verify_at_least",
    "verify_balance",
    "verify_between",
    "verify_coverage",
    "verify_range",
]

AT_LEAST_PROTOCOL = b"scnode/zk/statement/at-least/v1"
BETWEEN_PROTOCOL = b"scnode/zk/statement/between/v1"
BALANCE_PROTOCOL = b"scnode/zk/statement/balance/v1"
COVERAGE_PROTOCOL = b"scnode/zk/statement/coverage/v1"
RANGE_PROTOCOL = b"scnode/zk/statement/range/v1"
N = GROUP_N


def _quantity(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
        raise StatementError(f"{name} must be an integer in [0, 2^64)")
    return mpz(value)  # type: ignore[no-any-return]


def _context(context: bytes) -> bytes:
    if not isinstance(context, bytes | bytearray):
        raise StatementError("context must be bytes")
    return bytes(context)


def _require(value: object, kind: type, name: str) -> None:
    if not isinstance(value, kind):
        raise StatementError(f"{name} must be a {kind.__name__}")


def _commitments(values: Sequence[Commitment], name: str) -> None:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise StatementError(f"{name} must be a sequence of commitments")
    for value in values:
        _require(value, Commitment, name)


def _start(protocol: bytes, context: bytes) -> Transcript:
    transcript = Transcript(protocol)
    transcript.append(b"context", _context(context))
    return transcript


def _shift(point: Affine, amount: int, generators: GeneratorSet) -> Affine:
    """point - amount*G."""
    g_comb, _ = generators.combs()
    return affine_add(point, to_affine(comb_msm([((-amount) % N, g_comb)])))


def _pad(count: int) -> int:
    m = 1
    while m < count:
        m *= 2
    if m > MAX_AGGREGATION:
        raise StatementError(f"at most {MAX_AGGREGATION} range-proved values per statement")
    return m


def _prove_values(
    transcript: Transcript,
    openings: Sequence[Opening],
    bits: int,
    generators: GeneratorSet,
    rng: Rng,
) -> RangeProof:
    m = _pad(len(openings))
    values = [o.value for o in openings] + [mpz(0)] * (m - len(openings))
    blindings = [o.blinding for o in openings] + [mpz(0)] * (m - len(openings))
    if bits not in BIT_SIZES:
        raise StatementError(f"bit size must be one of {BIT_SIZES}")
    for v in values:
        if not 0 <= v < (1 << bits):
            raise StatementError(f"the statement is false or a value does not fit in {bits} bits")
    return prove(transcript, values, blindings, bits=bits, generators=generators, rng=rng)


def _value_terms(
    *,
    transcript: Transcript,
    points: Sequence[Affine],
    proof: RangeProof,
    bits: int,
    generators: GeneratorSet,
    weight: int,
) -> Terms:
    _require(proof, RangeProof, "proof")
    padded = list(points) + [None] * (_pad(len(points)) - len(points))
    return terms(transcript, padded, proof, bits=bits, generators=generators, weight=weight)


# --- range ----------------------------------------------------------------------------


def _range_transcript(commitments: Sequence[Commitment], context: bytes) -> Transcript:
    _commitments(commitments, "commitments")
    if not commitments:
        raise StatementError("a range statement needs at least one commitment")
    _pad(len(commitments))
    transcript = _start(RANGE_PROTOCOL, context)
    transcript.append_u64(b"count", len(commitments))
    for c in commitments:
        transcript.append_point(b"commitment", c.point)
    return transcript


def prove_range(
    openings: Sequence[Opening],
    *,
    bits: int,
    context: bytes,
    rng: Rng,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> RangeProof:
    """Prove 0 <= v < 2^bits for up to 16 committed values in one aggregated proof."""
    commitments = [o.commitment(generators) for o in openings]
    transcript = _range_transcript(commitments, context)
    return _prove_values(transcript, openings, bits, generators, rng)


def range_terms(
    commitments: Sequence[Commitment],
    proof: RangeProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
    weight: int = 1,
) -> Terms:
    transcript = _range_transcript(commitments, context)
    return _value_terms(
        transcript=transcript,
        points=[c.point for c in commitments],
        proof=proof,
        bits=bits,
        generators=generators,
        weight=weight,
    )


def verify_range(
    commitments: Sequence[Commitment],
    proof: RangeProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> None:
    """Return None when every committed value is in [0, 2^bits)."""
    found = range_terms(commitments, proof, bits=bits, context=context, generators=generators)
    check_terms([found], generators)


# --- at least ---------------------------------------------------------------------------


def _at_least_transcript(commitment: Commitment, threshold: int, context: bytes) -> Transcript:
    _require(commitment, Commitment, "commitment")
    transcript = _start(AT_LEAST_PROTOCOL, context)
    transcript.append_point(b"commitment", commitment.point)
    transcript.append_u64(b"threshold", threshold)
    return transcript


def prove_at_least(
    opening: Opening,
    threshold: int,
    *,
    bits: int,
    context: bytes,
    rng: Rng,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> RangeProof:
    """Prove value >= threshold (and value - threshold < 2^bits) without revealing value."""
    threshold = _quantity("threshold", threshold)
    _require(opening, Opening, "opening")
    commitment = opening.commitment(generators)
    transcript = _at_least_transcript(commitment, threshold, context)
    shifted = Opening((opening.value - threshold) % N, opening.blinding)
    return _prove_values(transcript, [shifted], bits, generators, rng)


def at_least_terms(
    commitment: Commitment,
    threshold: int,
    proof: RangeProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
    weight: int = 1,
) -> Terms:
    threshold = _quantity("threshold", threshold)
    transcript = _at_least_transcript(commitment, threshold, context)
    shifted = _shift(commitment.point, threshold, generators)
    return _value_terms(
        transcript=transcript,
        points=[shifted],
        proof=proof,
        bits=bits,
        generators=generators,
        weight=weight,
    )


def verify_at_least(
    commitment: Commitment,
    threshold: int,
    proof: RangeProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> None:
    """Return None when ``proof`` shows the committed value is at least ``threshold``."""
    found = at_least_terms(
        commitment, threshold, proof, bits=bits, context=context, generators=generators
    )
    check_terms([found], generators)


# --- between ----------------------------------------------------------------------------


def _between_transcript(
    commitment: Commitment, lower: int, upper: int, context: bytes
) -> Transcript:
    _require(commitment, Commitment, "commitment")
    if lower > upper:
        raise StatementError("lower bound above upper bound")
    transcript = _start(BETWEEN_PROTOCOL, context)
    transcript.append_point(b"commitment", commitment.point)
    transcript.append_u64(b"lower", lower)
    transcript.append_u64(b"upper", upper)
    return transcript


def prove_between(
    opening: Opening,
    lower: int,
    upper: int,
    *,
    bits: int,
    context: bytes,
    rng: Rng,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> RangeProof:
    """Prove lower <= value <= upper in one aggregated (m = 2) proof."""
    lower, upper = _quantity("lower", lower), _quantity("upper", upper)
    _require(opening, Opening, "opening")
    commitment = opening.commitment(generators)
    transcript = _between_transcript(commitment, lower, upper, context)
    above = Opening((opening.value - lower) % N, opening.blinding)
    below = Opening((upper - opening.value) % N, (-opening.blinding) % N)
    return _prove_values(transcript, [above, below], bits, generators, rng)


def between_terms(
    commitment: Commitment,
    lower: int,
    upper: int,
    proof: RangeProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
    weight: int = 1,
) -> Terms:
    lower, upper = _quantity("lower", lower), _quantity("upper", upper)
    transcript = _between_transcript(commitment, lower, upper, context)
    above = _shift(commitment.point, lower, generators)
    below = affine_neg(_shift(commitment.point, upper, generators))
    return _value_terms(
        transcript=transcript,
        points=[above, below],
        proof=proof,
        bits=bits,
        generators=generators,
        weight=weight,
    )


def verify_between(
    commitment: Commitment,
    lower: int,
    upper: int,
    proof: RangeProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> None:
    """Return None when ``proof`` shows lower <= committed value <= upper."""
    found = between_terms(
        commitment, lower, upper, proof, bits=bits, context=context, generators=generators
    )
    check_terms([found], generators)


# --- balance (sum / conservation) --------------------------------------------------------


@dataclass(frozen=True)
class BalanceProof:
    """Schnorr proof (K, s) that sum(inputs) - sum(outputs) = delta*H, then a range proof.

    Bytes: ``K (33) || s (32) || range proof``.
    """

    K: tuple[int, int]
    s: int
    range_proof: RangeProof

    def __post_init__(self) -> None:
        if not is_point(self.K):
            raise EncodingError("K is not a point other than the identity")
        if not is_integer(self.s) or not 0 <= self.s < N:
            raise EncodingError("s is not a scalar below the group order")
        if not isinstance(self.range_proof, RangeProof):
            raise EncodingError("range_proof must be a RangeProof")

    def to_bytes(self) -> bytes:
        return encode_point(self.K) + encode_scalar(self.s) + self.range_proof.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> BalanceProof:
        if not isinstance(data, bytes | bytearray) or len(data) < POINT_SIZE + SCALAR_SIZE:
            raise EncodingError("a balance proof is K || s || range proof")
        data = bytes(data)
        k_pt = decode_point(data[:POINT_SIZE])
        if k_pt is None:  # pragma: no cover - decode_point refuses the identity
            raise EncodingError("identity K")
        s = decode_scalar(data[POINT_SIZE : POINT_SIZE + SCALAR_SIZE])
        return cls(k_pt, s, RangeProof.from_bytes(data[POINT_SIZE + SCALAR_SIZE :]))


def _balance_transcript(
    inputs: Sequence[Commitment], outputs: Sequence[Commitment], context: bytes
) -> Transcript:
    _commitments(inputs, "inputs")
    _commitments(outputs, "outputs")
    if not inputs or not outputs:
        raise StatementError("a balance needs at least one input and one output")
    _pad(len(inputs) + len(outputs))
    transcript = _start(BALANCE_PROTOCOL, context)
    transcript.append_u64(b"inputs", len(inputs))
    transcript.append_u64(b"outputs", len(outputs))
    for c in inputs:
        transcript.append_point(b"input", c.point)
    for c in outputs:
        transcript.append_point(b"output", c.point)
    return transcript


def _difference(inputs: Sequence[Affine], outputs: Sequence[Affine]) -> Affine:
    acc: Affine = None
    for p in inputs:
        acc = affine_add(acc, p)
    for p in outputs:
        acc = affine_add(acc, affine_neg(p))
    return acc


def prove_balance(
    inputs: Sequence[Opening],
    outputs: Sequence[Opening],
    *,
    bits: int,
    context: bytes,
    rng: Rng,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> BalanceProof:
    """Prove sum(inputs) == sum(outputs), with a range proof on every component.

    Per-site stock adding up to the total: ``inputs = sites, outputs = [total]``;
    conservation old + receipts - shipments = new: ``inputs = [old, receipts]``,
    ``outputs = [new, shipments]``.
    """
    in_c = [o.commitment(generators) for o in inputs]
    out_c = [o.commitment(generators) for o in outputs]
    transcript = _balance_transcript(in_c, out_c, context)
    if sum(o.value for o in inputs) % N != sum(o.value for o in outputs) % N:
        raise StatementError("the statement is false: inputs and outputs do not balance")
    diff = (sum(o.blinding for o in inputs) - sum(o.blinding for o in outputs)) % N
    nonces = transcript.nonces([encode_scalar(diff)], rng)
    k = nonces.scalar()
    k_pt = to_affine(comb_msm([(k, generators.combs()[1])]))
    if k_pt is None:  # pragma: no cover - probability 2^-256
        raise StatementError("degenerate nonce")
    transcript.append_point(b"K", k_pt)
    e = transcript.challenge_scalar(b"e")
    s = (k + e * diff) % N
    transcript.append_scalar(b"s", s)
    proof = _prove_values(transcript, [*inputs, *outputs], bits, generators, rng)
    return BalanceProof(k_pt, s, proof)


def balance_terms(
    inputs: Sequence[Commitment],
    outputs: Sequence[Commitment],
    proof: BalanceProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
    weight: int = 1,
) -> Terms:
    _require(proof, BalanceProof, "proof")
    transcript = _balance_transcript(inputs, outputs, context)
    transcript.append_point(b"K", proof.K)
    e = transcript.challenge_scalar(b"e")
    transcript.append_scalar(b"s", proof.s)
    points = [c.point for c in inputs] + [c.point for c in outputs]
    found = _value_terms(
        transcript=transcript,
        points=points,
        proof=proof.range_proof,
        bits=bits,
        generators=generators,
        weight=weight,
    )
    # s*H - K - e*(sum in - sum out) == identity, weighted by a fresh challenge.
    omega = transcript.challenge_scalar(b"schnorr-weight") * weight % N
    diff = _difference([c.point for c in inputs], [c.point for c in outputs])
    found.H = (found.H + omega * proof.s) % N
    found.variable.append(((-omega) % N, proof.K))
    found.variable.append(((-omega * e) % N, diff))
    return found


def verify_balance(
    inputs: Sequence[Commitment],
    outputs: Sequence[Commitment],
    proof: BalanceProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> None:
    """Return None when the committed inputs and outputs balance and all are in range."""
    found = balance_terms(inputs, outputs, proof, bits=bits, context=context, generators=generators)
    check_terms([found], generators)


# --- coverage (pledges) ----------------------------------------------------------------


def _coverage_transcript(
    available: Commitment, pledges: Sequence[Commitment], context: bytes
) -> Transcript:
    _require(available, Commitment, "available")
    _commitments(pledges, "pledges")
    _pad(len(pledges) + 1)
    transcript = _start(COVERAGE_PROTOCOL, context)
    transcript.append_point(b"available", available.point)
    transcript.append_u64(b"pledges", len(pledges))
    for c in pledges:
        transcript.append_point(b"pledge", c.point)
    return transcript


def prove_coverage(
    available: Opening,
    pledges: Sequence[Opening],
    *,
    bits: int,
    context: bytes,
    rng: Rng,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> RangeProof:
    """Prove available - sum(pledges) >= 0, with every pledge range-proved too."""
    avail_c = available.commitment(generators)
    pledge_c = [p.commitment(generators) for p in pledges]
    transcript = _coverage_transcript(avail_c, pledge_c, context)
    free = available
    for p in pledges:
        free = free - p
    return _prove_values(transcript, [free, *pledges], bits, generators, rng)


def verify_coverage(
    available: Commitment,
    pledges: Sequence[Commitment],
    proof: RangeProof,
    *,
    bits: int,
    context: bytes,
    generators: GeneratorSet = DEFAULT_GENERATORS,
) -> None:
    """Return None when the pledges are covered by the committed available stock."""
    transcript = _coverage_transcript(available, pledges, context)
    free = _difference([available.point], [p.point for p in pledges])
    found = _value_terms(
        transcript=transcript,
        points=[free, *(p.point for p in pledges)],
        proof=proof,
        bits=bits,
        generators=generators,
        weight=1,
    )
    check_terms([found], generators)
