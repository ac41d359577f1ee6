"""Threshold statements: plain ranges, at least, between.

=================  ==================================  ============================
statement          public inputs in the transcript       range-proved values
=================  ==================================  ============================
range              the m commitments                      every v_j (m <= 16)
at least t         the commitment, t                      v - t
between l and u    the commitment, l, u                   v - l and u - v (m = 2)
=================  ==================================  ============================

Every transcript starts with the statement's protocol label and the caller's
context bytes; the range layer then absorbs the bit size, m, the generator digest
and the derived commitments.
"""

from __future__ import annotations

from collections.abc import Sequence

from zk._curve import affine_neg
from zk._errors import StatementError
from zk._field import GROUP_N
from zk._generators import DEFAULT_GENERATORS, GeneratorSet
from zk._pedersen import Commitment, Opening
from zk._proof_format import RangeProof
from zk._statement_base import (
    pad,
    prove_values,
    quantity,
    require,
    require_commitments,
    shift,
    start,
    value_terms,
)
from zk._transcript import Rng, Transcript
from zk._verifier import Terms, check_terms

__all__ = [
    "AT_LEAST_PROTOCOL",
    "BETWEEN_PROTOCOL",
    "RANGE_PROTOCOL",
    "at_least_terms",
    "between_terms",
    "prove_at_least",
    "prove_between",
    "prove_range",
    "range_terms",
    "verify_at_least",
    "verify_between",
    "verify_range",
]

AT_LEAST_PROTOCOL = b"scnode/zk/statement/at-least/v1"
BETWEEN_PROTOCOL = b"scnode/zk/statement/between/v1"
RANGE_PROTOCOL = b"scnode/zk/statement/range/v1"
N = GROUP_N


def _range_transcript(commitments: Sequence[Commitment], context: bytes) -> Transcript:
    require_commitments(commitments, "commitments")
    if not commitments:
        raise StatementError("a range statement needs at least one commitment")
    pad(len(commitments))
    transcript = start(RANGE_PROTOCOL, context)
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
    return prove_values(transcript, openings, bits, generators, rng)


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
    return value_terms(
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
    require(commitment, Commitment, "commitment")
    transcript = start(AT_LEAST_PROTOCOL, context)
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
    threshold = quantity("threshold", threshold)
    require(opening, Opening, "opening")
    commitment = opening.commitment(generators)
    transcript = _at_least_transcript(commitment, threshold, context)
    shifted = Opening((opening.value - threshold) % N, opening.blinding)
    return prove_values(transcript, [shifted], bits, generators, rng)


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
    threshold = quantity("threshold", threshold)
    transcript = _at_least_transcript(commitment, threshold, context)
    shifted = shift(commitment.point, threshold, generators)
    return value_terms(
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
    require(commitment, Commitment, "commitment")
    if lower > upper:
        raise StatementError("lower bound above upper bound")
    transcript = start(BETWEEN_PROTOCOL, context)
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
    lower, upper = quantity("lower", lower), quantity("upper", upper)
    require(opening, Opening, "opening")
    commitment = opening.commitment(generators)
    transcript = _between_transcript(commitment, lower, upper, context)
    above = Opening((opening.value - lower) % N, opening.blinding)
    below = Opening((upper - opening.value) % N, (-opening.blinding) % N)
    return prove_values(transcript, [above, below], bits, generators, rng)


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
    lower, upper = quantity("lower", lower), quantity("upper", upper)
    transcript = _between_transcript(commitment, lower, upper, context)
    above = shift(commitment.point, lower, generators)
    below = affine_neg(shift(commitment.point, upper, generators))
    return value_terms(
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
