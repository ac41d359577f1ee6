"""Batch verification: many statements, fresh random weights, one MSM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zk._errors import StatementError
from zk._generators import DEFAULT_GENERATORS, GeneratorSet
from zk._pedersen import Commitment
from zk._proof_format import RangeProof
from zk._threshold import at_least_terms, between_terms, range_terms
from zk._transcript import Rng
from zk._verifier import Terms, batch_weights, check_terms

__all__ = [
    "AtLeastClaim",
    "BetweenClaim",
    "Claim",
    "RangeClaim",
    "claim_terms",
    "verify_batch",
]


@dataclass(frozen=True)
class AtLeastClaim:
    """The arguments of :func:`zk.verify_at_least`, for :func:`verify_batch`."""

    commitment: Commitment
    threshold: int
    proof: RangeProof
    bits: int
    context: bytes


@dataclass(frozen=True)
class BetweenClaim:
    """The arguments of :func:`zk.verify_between`, for :func:`verify_batch`."""

    commitment: Commitment
    lower: int
    upper: int
    proof: RangeProof
    bits: int
    context: bytes


@dataclass(frozen=True)
class RangeClaim:
    """The arguments of :func:`zk.verify_range`, for :func:`verify_batch`."""

    commitments: tuple[Commitment, ...]
    proof: RangeProof
    bits: int
    context: bytes


Claim = AtLeastClaim | BetweenClaim | RangeClaim


def claim_terms(claim: Claim, generators: GeneratorSet, weight: int) -> Terms:
    if isinstance(claim, AtLeastClaim):
        return at_least_terms(
            claim.commitment,
            claim.threshold,
            claim.proof,
            bits=claim.bits,
            context=claim.context,
            generators=generators,
            weight=weight,
        )
    if isinstance(claim, BetweenClaim):
        return between_terms(
            claim.commitment,
            claim.lower,
            claim.upper,
            claim.proof,
            bits=claim.bits,
            context=claim.context,
            generators=generators,
            weight=weight,
        )
    if isinstance(claim, RangeClaim):
        return range_terms(
            claim.commitments,
            claim.proof,
            bits=claim.bits,
            context=claim.context,
            generators=generators,
            weight=weight,
        )
    raise StatementError(f"not a claim: {type(claim).__name__}")


def verify_batch(
    claims: Sequence[Claim], *, rng: Rng, generators: GeneratorSet = DEFAULT_GENERATORS
) -> None:
    """Verify all claims at once; raises :class:`~zk.VerificationError` if any is invalid.

    Each claim's equation is multiplied by a fresh random weight from ``rng``, so
    errors in different proofs cannot cancel (except with probability 1/n).
    """
    if not claims:
        return
    weights = batch_weights(len(claims), rng)
    check_terms(
        [claim_terms(c, generators, w) for c, w in zip(claims, weights, strict=True)], generators
    )
