"""Evidence that a document was agreed: the signed document, the ledger entry that
recorded its hash, an inclusion proof of that entry and a signed checkpoint.

:func:`verify_evidence` checks it offline with pinned keys (the author's vkey and
the recording node's log vkey): the author signed exactly this document, the
node's ledger entry at that index records its hash (``document.sent`` on the
author's node, ``document.received`` on the counterparty's), and the entry is in
the log the checkpoint commits to. The entry's timestamp says when it was
recorded; the checkpoint binds the node to it. Either party can export its own
evidence; the two together show both sides recorded the same document.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Final

from ledger import (
    Entry,
    JSONValue,
    LedgerError,
    NoteVerifier,
    leaf_hash,
    verify_checkpoint,
    verify_inclusion,
)
from ledger.storage import LedgerStore
from node.documents._errors import DocumentError, DocumentSignatureError
from node.documents._fields import mapping
from node.documents._service import DOCUMENT_RECEIVED, DOCUMENT_SENT, chain_digest
from node.documents._signed import SignedDocument
from node.documents._store import StoredDocument

__all__ = ["EVIDENCE_FORMAT", "EvidenceReport", "build_evidence", "verify_evidence"]

EVIDENCE_FORMAT: Final = "scnode-document-evidence/v1"
MAX_PROOF: Final = 64


@dataclass(frozen=True)
class EvidenceReport:
    hash: str
    doc_id: str
    author: str
    recorded_by: str  # the log origin whose entry recorded the hash
    kind: str  # document.sent or document.received
    index: int
    recorded_ms: int
    checkpoint_size: int


def build_evidence(doc: StoredDocument, store: LedgerStore) -> dict[str, JSONValue]:
    """The evidence of ``doc`` from this node's ledger; DocumentError if it cannot
    be proven yet (not recorded, or no signed checkpoint covers its entry)."""
    if doc.ledger_seq is None:
        raise DocumentError(f"{doc.signed.document.doc_id} is not recorded on the ledger yet")
    checkpoint = store.checkpoint()
    if checkpoint is None or checkpoint.size <= doc.ledger_seq:
        raise DocumentError(
            f"no signed checkpoint covers ledger entry {doc.ledger_seq} yet "
            "(sign one: scnode ledger checkpoint)"
        )
    leaf = store.entry(doc.ledger_seq).leaf
    if leaf is None:
        raise DocumentError(f"ledger entry {doc.ledger_seq} has no payload any more")
    proof = store.inclusion_proof(doc.ledger_seq, checkpoint.size)
    return {
        "format": EVIDENCE_FORMAT,
        "signed": doc.signed.to_json(),
        "index": doc.ledger_seq,
        "leaf": base64.b64encode(leaf).decode("ascii"),
        "checkpoint": checkpoint.text,
        "proof": [base64.b64encode(h).decode("ascii") for h in proof],
    }


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise DocumentError(f"evidence {what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError(f"evidence {what} is not valid base64") from None


def verify_evidence(
    evidence: object, *, author_vkeys: list[str], log_vkeys: list[str]
) -> EvidenceReport:
    """The report if the evidence holds (see the module docstring); raises otherwise."""
    data: Any = mapping(evidence, "evidence")
    if data.get("format") != EVIDENCE_FORMAT:
        raise DocumentError(f"evidence format must be {EVIDENCE_FORMAT}")
    signed = SignedDocument.from_json(data.get("signed"))
    signed.verify(author_vkeys)
    index, proof = data.get("index"), data.get("proof")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise DocumentError("evidence index must be a non-negative integer")
    if not isinstance(proof, list) or len(proof) > MAX_PROOF:
        raise DocumentError("evidence proof must be a list of at most 64 hashes")
    leaf = _b64(data.get("leaf"), "leaf")
    try:
        entry = Entry.from_leaf(leaf)
        verifiers = [NoteVerifier.from_vkey(v) for v in log_vkeys]
        note = data.get("checkpoint")
        if not isinstance(note, str):
            raise DocumentError("evidence checkpoint must be a signed note")
        checkpoint = verify_checkpoint(note, verifiers, origin=entry.origin).checkpoint
        if entry.seq != index or index >= checkpoint.size:
            raise DocumentError("the entry is not the one at the index the checkpoint covers")
        hashes = [_b64(h, "proof hash") for h in proof]
        verify_inclusion(leaf_hash(leaf), index, checkpoint.size, hashes, checkpoint.root)
    except LedgerError as exc:
        raise DocumentSignatureError(f"ledger evidence does not verify: {exc}") from None
    body = entry.body
    document = signed.document
    expected = {
        "hash": signed.hash,
        "type": document.type.value,
        "chain": chain_digest(document.chain_id),
    }
    if entry.kind not in (DOCUMENT_SENT, DOCUMENT_RECEIVED) or any(
        body.get(k) != v for k, v in expected.items()
    ):
        raise DocumentSignatureError("the ledger entry does not record this document")
    return EvidenceReport(
        hash=signed.hash,
        doc_id=document.doc_id,
        author=document.author,
        recorded_by=entry.origin,
        kind=entry.kind,
        index=index,
        recorded_ms=entry.timestamp_ms,
        checkpoint_size=checkpoint.size,
    )
