"""Coverage: the pledged quantities are covered by the committed available stock.

Proves ``available - sum(pledges) >= 0`` with every pledge range-proved as well
(one aggregated proof), so a negative "pledge" cannot hide an over-pledge.
"""

from __future__ import annotations

from collections.abc import Sequence

from zk._generators import DEFAULT_GENERATORS, GeneratorSet
from zk._pedersen import Commitment, Opening
from zk._proof_format import RangeProof
from zk._statement_base import (
    difference,
    pad,
    prove_values,
    require,
    require_commitments,
    start,
    value_terms,
)
from zk._transcript import Rng, Transcript
from zk._verifier import check_terms

__all__ = ["COVERAGE_PROTOCOL", "prove_coverage", "verify_coverage"]

COVERAGE_PROTOCOL = b"scnode/zk/statement/coverage/v1"


def _coverage_transcript(
    available: Commitment, pledges: Sequence[Commitment], context: bytes
) -> Transcript:
    require(available, Commitment, "available")
    require_commitments(pledges, "pledges")
    pad(len(pledges) + 1)
    transcript = start(COVERAGE_PROTOCOL, context)
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
    return prove_values(transcript, [free, *pledges], bits, generators, rng)


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
    free = difference([available.point], [p.point for p in pledges])
    found = value_terms(
        transcript=transcript,
        points=[free, *(p.point for p in pledges)],
        proof=proof,
        bits=bits,
        generators=generators,
        weight=1,
    )
    check_terms([found], generators)
