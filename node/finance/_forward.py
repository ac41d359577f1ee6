"""Tier-N: a supplier's zero-knowledge facts, forwarded unchanged by an intermediary.

A module maker that holds its wafer supplier's evidence bundle (exact leaves,
inclusion proofs, the supplier's signed and cosigned checkpoint) forwards it to
the phone maker or a bank inside a ``scnode-forwarded-fact/v1`` document::

    {"format": "scnode-forwarded-fact/v1",
     "evidence": <the supplier's scnode-evidence/v1 bundle, as it was received>,
     "facts": [{"entry": 3, "subject": "<hex>", "fact": "available_at_least_safety_stock"}],
     "via": "example.com/module-maker"}

The receiver checks everything against the supplier's pinned log key and the
witnesses it trusts: nothing in the document depends on the intermediary, which
can select facts but cannot change or invent any, and nothing beyond the
supplier's own public ledger entry is disclosed. ``via`` is informational.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import zk
from ledger import (
    BUNDLE_FORMAT,
    Bundle,
    BundleReport,
    BundleVerificationError,
    Entry,
    JSONValue,
    LedgerError,
    canonical_json,
    parse_json,
    verify_bundle,
)
from node.finance._errors import FinanceFormatError, FinanceVerificationError
from node.finance._snapshot import snapshot_positions
from node.inventory import AT_LEAST, BELOW, fact_context
from node.inventory import ENTRY_KIND as SNAPSHOT_KIND

__all__ = [
    "FORWARD_FORMAT",
    "ForwardedFact",
    "ForwardedReport",
    "build_forwarded",
    "is_forwarded",
    "verify_forwarded",
]

FORWARD_FORMAT: Final = "scnode-forwarded-fact/v1"


@dataclass(frozen=True)
class ForwardedFact:
    entry: int
    subject: str
    fact: str

    def to_json(self) -> dict[str, JSONValue]:
        return {"entry": self.entry, "subject": self.subject, "fact": self.fact}


@dataclass(frozen=True)
class VerifiedFact:
    entry: int
    subject: str
    fact: str
    as_of_ms: int
    proven: bool  # a range proof verified (at least); False: stated by the supplier (below)


@dataclass(frozen=True)
class ForwardedReport:
    origin: str
    via: str | None
    facts: tuple[VerifiedFact, ...]
    ledger: BundleReport

    @property
    def witnesses(self) -> tuple[str, ...]:
        return tuple(sorted({w for e in self.ledger.entries for w in e.witnesses}))


def _doc(data: bytes) -> dict[str, JSONValue]:
    try:
        doc = parse_json(data)
    except LedgerError as exc:
        raise FinanceFormatError(f"not canonical JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise FinanceFormatError("a JSON object is needed")
    return doc


def is_forwarded(data: bytes) -> bool:
    """Whether ``data`` is a forwarded-fact document (no verification)."""
    try:
        doc = parse_json(data)
    except LedgerError:
        return False
    return isinstance(doc, dict) and doc.get("format") == FORWARD_FORMAT


def build_forwarded(
    evidence: bytes, facts: Sequence[ForwardedFact], *, via: str | None = None
) -> bytes:
    """Wrap a supplier's evidence bundle (bytes as received) with the facts forwarded."""
    bundle = _doc(evidence)
    if bundle.get("format") != BUNDLE_FORMAT:
        raise FinanceFormatError(f"the evidence must be a {BUNDLE_FORMAT} bundle")
    if canonical_json(bundle) != evidence:
        raise FinanceFormatError("the evidence is not the supplier's canonical bundle")
    if not facts:
        raise FinanceFormatError("forward at least one fact")
    doc: dict[str, JSONValue] = {
        "format": FORWARD_FORMAT,
        "evidence": bundle,
        "facts": [f.to_json() for f in facts],
    }
    if via is not None:
        doc["via"] = via
    return canonical_json(doc)


def _facts(doc: dict[str, JSONValue]) -> list[ForwardedFact]:
    items = doc.get("facts")
    if not isinstance(items, list) or not items:
        raise FinanceFormatError("facts must be a non-empty list")
    out = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise FinanceFormatError(f"facts[{n}] is not an object")
        entry, subject, fact = item.get("entry"), item.get("subject"), item.get("fact")
        if isinstance(entry, bool) or not isinstance(entry, int) or entry < 0:
            raise FinanceFormatError(f"facts[{n}].entry must be an entry index")
        if not isinstance(subject, str) or not isinstance(fact, str):
            raise FinanceFormatError(f"facts[{n}] needs subject and fact strings")
        out.append(ForwardedFact(entry, subject, fact))
    return out


def _check_fact(origin: str, entry: Entry, fact: ForwardedFact) -> VerifiedFact:
    where = f"fact on entry {fact.entry}"
    if entry.kind != SNAPSHOT_KIND:
        raise FinanceVerificationError(f"{where}: the entry is a {entry.kind}, not a snapshot")
    position = snapshot_positions(entry.body).get(fact.subject)
    if position is None:
        raise FinanceVerificationError(f"{where}: no position with subject {fact.subject}")
    found = [f for f in position.facts if f[0] == fact.fact]
    if not found:
        raise FinanceVerificationError(f"{where}: the supplier stated no {fact.fact!r}")
    name, proof, bits = found[0]
    if name == BELOW:
        return VerifiedFact(fact.entry, fact.subject, name, position.as_of_ms, proven=False)
    if name != AT_LEAST or proof is None or bits is None:
        raise FinanceVerificationError(f"{where}: {name!r} carries no verifiable proof")
    available = position.commitments.get("available")
    safety = position.commitments.get("safety_stock")
    if available is None or safety is None:
        raise FinanceVerificationError(f"{where}: the commitments of the fact are missing")
    try:
        zk.verify_at_least(
            available - safety,
            0,
            zk.RangeProof.from_bytes(proof),
            bits=bits,
            context=fact_context(origin, position.snapshot, fact.subject, name),
        )
    except zk.ProofError as exc:
        raise FinanceVerificationError(f"{where}: the proof does not verify: {exc}") from None
    return VerifiedFact(fact.entry, fact.subject, name, position.as_of_ms, proven=True)


def verify_forwarded(
    data: bytes,
    *,
    vkeys: Sequence[str],
    witnesses: Sequence[str] = (),
    quorum: int = 0,
) -> ForwardedReport:
    """Verify forwarded facts against the supplier's pinned key(s) and trusted witnesses.

    Raises FinanceFormatError for a malformed document, FinanceVerificationError
    when the evidence or any fact does not verify.
    """
    doc = _doc(data)
    if doc.get("format") != FORWARD_FORMAT:
        raise FinanceFormatError(f"format must be {FORWARD_FORMAT!r}")
    evidence = doc.get("evidence")
    via = doc.get("via")
    if not isinstance(evidence, dict):
        raise FinanceFormatError("evidence must be an evidence bundle object")
    facts = _facts(doc)
    try:
        report = verify_bundle(
            canonical_json(evidence), vkeys=vkeys, witnesses=witnesses, quorum=quorum
        )
    except BundleVerificationError as exc:
        raise FinanceVerificationError(f"supplier evidence: {exc}") from None
    except LedgerError as exc:
        raise FinanceFormatError(f"supplier evidence: {exc}") from None
    leaves = _leaves(evidence)
    verified = []
    for fact in facts:
        leaf = leaves.get(fact.entry)
        if leaf is None:
            raise FinanceVerificationError(f"fact on entry {fact.entry}: entry not in the evidence")
        verified.append(_check_fact(report.origin, Entry.from_leaf(leaf), fact))
    return ForwardedReport(
        report.origin, via if isinstance(via, str) else None, tuple(verified), report
    )


def _leaves(evidence: dict[str, JSONValue]) -> dict[int, bytes]:
    bundle = Bundle.from_bytes(canonical_json(evidence))
    return {e.index: e.leaf for e in bundle.entries}
