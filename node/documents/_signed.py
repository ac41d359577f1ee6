"""Signed documents: canonical bytes, document hash and the author's signature.

The canonical bytes of a document are the RFC 8785 JSON of its JSON form. Its hash
is SHA-256 over ``DOCUMENT_HASH_TAG`` followed by those bytes (domain separated
from ledger leaves and everything else the node hashes). The author signs a
C2SP signed note whose text names the tag, the type, the document id and the
hash, with the node's own Ed25519 note key, so a document signature verifies
with the same vkey a peer was registered with and can never be mistaken for a
checkpoint (whose first line is a log origin).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Final

from ledger import JSONValue, LedgerError, NoteSigner, NoteVerifier, canonical_json, sign_note
from ledger import open_note as _open_note
from node.documents._errors import DocumentFormatError, DocumentSignatureError
from node.documents._fields import mapping
from node.documents._models import Document, document_json
from node.documents._parse import parse_document

__all__ = [
    "DOCUMENT_HASH_TAG",
    "SIGNATURE_HEADER",
    "SignedDocument",
    "canonical_bytes",
    "document_hash",
    "sign_document",
]

DOCUMENT_HASH_TAG: Final = b"scnode-document/v1\x00"
SIGNATURE_HEADER: Final = "scnode-document-signature/v1"


def canonical_bytes(document: Document) -> bytes:
    try:
        return canonical_json(document_json(document))
    except LedgerError as exc:
        raise DocumentFormatError(f"document cannot be encoded canonically: {exc}") from None


def document_hash(document: Document) -> str:
    """Hex SHA-256 of the tag and the canonical bytes."""
    return hashlib.sha256(DOCUMENT_HASH_TAG + canonical_bytes(document)).hexdigest()


def _note_text(document: Document, digest: str) -> str:
    return f"{SIGNATURE_HEADER}\n{document.type.value}\n{document.doc_id}\n{digest}\n"


@dataclass(frozen=True)
class SignedDocument:
    """A document, its hash and its author's signed note (the wire form)."""

    document: Document
    hash: str
    signature: str

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "document": document_json(self.document),
            "hash": self.hash,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: object) -> SignedDocument:
        """Parse the wire form; the hash must match the document (signature: see verify)."""
        body = mapping(data, "signed document")
        document = parse_document(body.get("document"))
        claimed, signature = body.get("hash"), body.get("signature")
        if not isinstance(claimed, str) or not isinstance(signature, str):
            raise DocumentFormatError("signed document needs a hash and a signature string")
        actual = document_hash(document)
        if not hmac.compare_digest(claimed.encode(), actual.encode()):
            raise DocumentSignatureError("document hash does not match its content")
        return cls(document, actual, signature)

    def verify(self, author_vkeys: list[str]) -> None:
        """None if one of the author's keys signed this exact document; raises otherwise."""
        try:
            verifiers = [NoteVerifier.from_vkey(v) for v in author_vkeys]
            text, verified = _open_note(self.signature, verifiers)
        except LedgerError as exc:
            raise DocumentSignatureError(f"document signature does not verify: {exc}") from None
        if not verified:
            raise DocumentSignatureError("document is not signed by its author's key")
        if text != _note_text(self.document, self.hash):
            raise DocumentSignatureError("document signature is for another document")
        names = {v.verifier.name for v in verified}
        if self.document.author not in names:
            raise DocumentSignatureError(
                f"document's author {self.document.author!r} is not the signer"
            )


def sign_document(document: Document, signer: NoteSigner) -> SignedDocument:
    """Sign ``document`` as its author; the signer's key name must be the author."""
    if signer.name != document.author:
        raise DocumentFormatError(
            f"this node ({signer.name}) is not the author of a {document.type.value} "
            f"({document.author})"
        )
    digest = document_hash(document)
    note: Any = sign_note(_note_text(document, digest), [signer])
    return SignedDocument(document, digest, str(note))
