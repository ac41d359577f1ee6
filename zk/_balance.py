"""Balance statements: per-site stock adds up to the total; stock is conserved.

``sum(inputs) == sum(outputs)`` with a range proof on every component (one
aggregated proof), plus a Schnorr proof that ``sum C_in - sum C_out`` is a multiple
of H, so the committed values balance even when blindings were chosen
independently. The Schnorr equation joins the range proof's single MSM with a
transcript weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zk._curve import is_point, to_affine
from zk._encoding import (
    POINT_SIZE,
    SCALAR_SIZE,
    decode_point,
    decode_scalar,
    encode_point,
    encode_scalar,
)
from zk._errors import EncodingError, StatementError
from zk._field import GROUP_N, is_integer
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
from zk._tables import comb_msm
from zk._transcript import Rng, Transcript
from zk._verifier import Terms, check_terms

__all__ = ["BALANCE_PROTOCOL", "BalanceProof", "balance_terms", "prove_balance", "verify_balance"]

BALANCE_PROTOCOL = b"scnode/zk/statement/balance/v1"
N = GROUP_N


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
    require_commitments(inputs, "inputs")
    require_commitments(outputs, "outputs")
    if not inputs or not outputs:
        raise StatementError("a balance needs at least one input and one output")
    pad(len(inputs) + len(outputs))
    transcript = start(BALANCE_PROTOCOL, context)
    transcript.append_u64(b"inputs", len(inputs))
    transcript.append_u64(b"outputs", len(outputs))
    for c in inputs:
        transcript.append_point(b"input", c.point)
    for c in outputs:
        transcript.append_point(b"output", c.point)
    return transcript


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
    proof = prove_values(transcript, [*inputs, *outputs], bits, generators, rng)
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
    require(proof, BalanceProof, "proof")
    transcript = _balance_transcript(inputs, outputs, context)
    transcript.append_point(b"K", proof.K)
    e = transcript.challenge_scalar(b"e")
    transcript.append_scalar(b"s", proof.s)
    points = [c.point for c in inputs] + [c.point for c in outputs]
    found = value_terms(
        transcript=transcript,
        points=points,
        proof=proof.range_proof,
        bits=bits,
        generators=generators,
        weight=weight,
    )
    # s*H - K - e*(sum in - sum out) == identity, weighted by a fresh challenge.
    omega = transcript.challenge_scalar(b"schnorr-weight") * weight % N
    diff = difference([c.point for c in inputs], [c.point for c in outputs])
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
