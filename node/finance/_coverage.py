"""Coverage records: committed available stock covers every active pledge, at a ratio.

For one snapshot position the borrower proves, in zero knowledge,

    10000 · available  ≥  ratio_bp · Σ pledges        (ratio_bp ≥ 10000)

with :func:`zk.prove_coverage` over the scaled commitments ``10000·C_available``
and ``ratio_bp·C_pledge`` (Pedersen commitments scale like their openings), so
every pledge is range-proved as well. The proven ratio is the highest rung of
:data:`RATIO_LADDER` that holds: the bank learns "covered at least 125 %", never
the stock or the other pledges' quantities.

The ``finance.coverage`` entry names the snapshot entry (seq and id), the subject
and the exact list of pledges (id and seq); the proof's context binds all of
them and the borrower's log origin.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import zk
from ledger import JSONValue, canonical_json
from node.finance._errors import FinanceFormatError, FinanceVerificationError

__all__ = [
    "BASIS",
    "COVERAGE_BITS",
    "COVERAGE_FORMAT",
    "COVERAGE_KIND",
    "RATIO_LADDER",
    "Coverage",
    "PledgeRef",
    "coverage_context",
    "prove_coverage_at",
    "scale_commitment",
    "scale_opening",
]

COVERAGE_KIND: Final = "finance.coverage"
COVERAGE_FORMAT: Final = "scnode-finance-coverage/v1"
#: Ratios are in basis points of the pledged sum.
BASIS: Final = 10_000
#: Ratios a borrower proves, best first; 10000 = the stock covers the pledges.
RATIO_LADDER: Final = (20_000, 15_000, 12_500, 11_000, 10_000)
#: Range sizes of coverage proofs: 32 bits when 10000 × stock fits (about half
#: the proving time), 64 otherwise.
COVERAGE_BITS: Final = (32, 64)
#: zk.prove_coverage aggregates at most 16 values: the free stock and 15 pledges.
MAX_PLEDGES: Final = zk.MAX_AGGREGATION - 1


def scale_commitment(c: zk.Commitment, k: int) -> zk.Commitment:
    """k·C by left-to-right double-and-add (k ≥ 1)."""
    if k < 1:
        raise FinanceFormatError("scale factor must be positive")
    acc = c
    for bit in bin(k)[3:]:
        acc = acc + acc
        if bit == "1":
            acc = acc + c
    return acc


def scale_opening(o: zk.Opening, k: int) -> zk.Opening:
    """k·(v, r) modulo the group order, like :func:`scale_commitment`."""
    if k < 1:
        raise FinanceFormatError("scale factor must be positive")
    acc = o
    for bit in bin(k)[3:]:
        acc = acc + acc
        if bit == "1":
            acc = acc + o
    return acc


@dataclass(frozen=True)
class PledgeRef:
    id: str
    seq: int

    def to_json(self) -> dict[str, JSONValue]:
        return {"id": self.id, "seq": self.seq}


def coverage_context(
    *,
    origin: str,
    snapshot: str,
    snapshot_seq: int,
    subject: str,
    pledges: Sequence[PledgeRef],
    ratio_bp: int,
) -> bytes:
    """The context bytes the coverage proof is bound to (RFC 8785 JSON)."""
    return canonical_json(
        {
            "format": COVERAGE_FORMAT,
            "origin": origin,
            "snapshot": snapshot,
            "snapshot_seq": snapshot_seq,
            "subject": subject,
            "pledges": [p.to_json() for p in pledges],
            "ratio_bp": ratio_bp,
        }
    )


@dataclass(frozen=True)
class Coverage:
    """The body of a ``finance.coverage`` entry."""

    snapshot: str
    snapshot_seq: int
    subject: str
    as_of_ms: int
    pledges: tuple[PledgeRef, ...]
    ratio_bp: int
    proof: bytes
    bits: int = 64

    def to_body(self) -> dict[str, JSONValue]:
        return {
            "format": COVERAGE_FORMAT,
            "snapshot": self.snapshot,
            "snapshot_seq": self.snapshot_seq,
            "subject": self.subject,
            "as_of_ms": self.as_of_ms,
            "pledges": [p.to_json() for p in self.pledges],
            "ratio_bp": self.ratio_bp,
            "bits": self.bits,
            "proof": base64.b64encode(self.proof).decode("ascii"),
        }

    @classmethod
    def from_body(cls, body: JSONValue) -> Coverage:
        try:
            if not isinstance(body, dict) or body.get("format") != COVERAGE_FORMAT:
                raise FinanceFormatError(f"coverage body must have format {COVERAGE_FORMAT!r}")
            bits = body.get("bits")
            if bits not in COVERAGE_BITS:
                raise FinanceFormatError(f"coverage bits must be one of {COVERAGE_BITS}")
            refs = body["pledges"]
            if not isinstance(refs, list) or not 1 <= len(refs) <= MAX_PLEDGES:
                raise FinanceFormatError(f"coverage lists 1 to {MAX_PLEDGES} pledges")
            pledges = tuple(_ref(r) for r in refs)
            if len({p.id for p in pledges}) != len(pledges):
                raise FinanceFormatError("coverage lists a pledge twice")
            ratio = body["ratio_bp"]
            if ratio not in RATIO_LADDER:
                raise FinanceFormatError(f"coverage ratio_bp must be one of {RATIO_LADDER}")
            proof_text = body["proof"]
            if not isinstance(proof_text, str):
                raise FinanceFormatError("coverage proof must be base64")
            snapshot, seq = body["snapshot"], body["snapshot_seq"]
            subject, as_of = body["subject"], body["as_of_ms"]
            if not isinstance(snapshot, str) or not isinstance(subject, str):
                raise FinanceFormatError("coverage snapshot and subject must be strings")
            seq_n, as_of_n = _nat(seq, "snapshot_seq"), _nat(as_of, "as_of_ms")
            proof = base64.b64decode(proof_text.encode("ascii"), validate=True)
        except (KeyError, binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise FinanceFormatError(f"malformed coverage body: {exc}") from None
        ratio_n = _nat(ratio, "ratio_bp")
        bits_n = _nat(bits, "bits")
        return cls(snapshot, seq_n, subject, as_of_n, pledges, ratio_n, proof, bits_n)

    def context(self, origin: str) -> bytes:
        return coverage_context(
            origin=origin,
            snapshot=self.snapshot,
            snapshot_seq=self.snapshot_seq,
            subject=self.subject,
            pledges=self.pledges,
            ratio_bp=self.ratio_bp,
        )

    def verify(
        self, origin: str, available: zk.Commitment, pledges: Sequence[zk.Commitment]
    ) -> None:
        """The proof verifies for these commitments (in this entry's pledge order)."""
        if len(pledges) != len(self.pledges):
            raise FinanceVerificationError("coverage pledge count does not match")
        try:
            proof = zk.RangeProof.from_bytes(self.proof)
            zk.verify_coverage(
                scale_commitment(available, BASIS),
                [scale_commitment(p, self.ratio_bp) for p in pledges],
                proof,
                bits=self.bits,
                context=self.context(origin),
            )
        except zk.ProofError as exc:
            raise FinanceVerificationError(
                f"coverage of snapshot {self.snapshot} at {self.ratio_bp / 100:g} % "
                f"does not verify: {exc}"
            ) from None


def _nat(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FinanceFormatError(f"coverage {what} must be a non-negative integer")
    return value


def _ref(item: JSONValue) -> PledgeRef:
    if not isinstance(item, dict) or set(item) != {"id", "seq"}:
        raise FinanceFormatError("coverage pledges are {id, seq} objects")
    pid, seq = item["id"], item["seq"]
    if not isinstance(pid, str):
        raise FinanceFormatError("coverage pledge id must be a string")
    return PledgeRef(pid, _nat(seq, "pledge seq"))


def prove_coverage_at(
    *,
    origin: str,
    snapshot: str,
    snapshot_seq: int,
    subject: str,
    as_of_ms: int,
    available: zk.Opening,
    pledges: Sequence[tuple[PledgeRef, zk.Opening]],
    rng: zk.Rng,
) -> Coverage | None:
    """The best-ratio coverage proof, or None when the stock does not cover the pledges."""
    if not 1 <= len(pledges) <= MAX_PLEDGES:
        raise FinanceFormatError(f"a coverage proof takes 1 to {MAX_PLEDGES} pledges")
    refs = tuple(ref for ref, _ in pledges)
    total = sum(int(o.value) for _, o in pledges)
    stock = int(available.value)
    for ratio in RATIO_LADDER:
        if BASIS * stock < ratio * total:
            continue
        bits = next((b for b in COVERAGE_BITS if BASIS * stock < 2**b), None)
        if bits is None:
            raise FinanceFormatError("quantities too large for a 64-bit coverage proof")
        context = coverage_context(
            origin=origin,
            snapshot=snapshot,
            snapshot_seq=snapshot_seq,
            subject=subject,
            pledges=refs,
            ratio_bp=ratio,
        )
        proof = zk.prove_coverage(
            scale_opening(available, BASIS),
            [scale_opening(o, ratio) for _, o in pledges],
            bits=bits,
            context=context,
            rng=rng,
        )
        return Coverage(
            snapshot, snapshot_seq, subject, as_of_ms, refs, ratio, proof.to_bytes(), bits
        )
    return None
