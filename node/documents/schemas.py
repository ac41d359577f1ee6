"""API schemas of the documents routes (frozen pydantic models)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from node.documents._store import StoredDocument

__all__ = [
    "ChainPublic",
    "DocumentCreate",
    "DocumentImport",
    "DocumentPublic",
    "DocumentsPage",
    "ImportPublic",
    "InboxAck",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class DocumentCreate(BaseModel):
    model_config = _FROZEN
    counterparty: str = Field(
        pattern=r"^[0-9a-f]{16}$", description="Peer id of the counterparty (scnode peer list)"
    )
    document: dict[str, Any] = Field(
        description="The document's JSON form; this node's party field and reference "
        "hashes may be left out and are filled in from the chain"
    )


class DocumentPublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    hash: str = Field(description="hex SHA-256 of the document hash tag and canonical bytes")
    doc_id: str
    type: str
    chain_id: str
    author: str
    counterparty: str
    direction: str = Field(description="sent or received")
    created_ms: int
    ledger_seq: int | None = Field(description="index of the ledger entry recording the hash")
    delivered_ms: int | None = None
    refused: str | None = Field(default=None, description="why the counterparty refused it")
    last_error: str | None = None
    document: dict[str, Any]
    signature: str = Field(description="the author's C2SP signed note over the hash")
    findings: list[dict[str, Any]] = Field(default_factory=list)

    @classmethod
    def of(cls, doc: StoredDocument) -> DocumentPublic:
        wire = doc.signed.to_json()
        body = wire["document"]
        return cls(
            hash=doc.hash,
            doc_id=doc.signed.document.doc_id,
            type=doc.signed.document.type.value,
            chain_id=doc.chain_id,
            author=doc.signed.document.author,
            counterparty=doc.counterparty,
            direction=doc.direction,
            created_ms=doc.created_ms,
            ledger_seq=doc.ledger_seq,
            delivered_ms=doc.delivered_ms,
            refused=doc.refused,
            last_error=doc.last_error,
            document=body if isinstance(body, dict) else {},
            signature=doc.signed.signature,
            findings=list(doc.findings),
        )


class DocumentsPage(BaseModel):
    model_config = ConfigDict(frozen=True)
    documents: list[DocumentPublic]


class InboxAck(BaseModel):
    model_config = ConfigDict(frozen=True)
    hash: str
    duplicate: bool = Field(description="True if this document had been received before")


class ChainPublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    chain_id: str
    status: str
    version: int
    shipped: dict[int, int] = Field(description="quantity shipped per PO line")
    received: dict[int, int] = Field(description="quantity received per PO line")


class DocumentImport(BaseModel):
    model_config = _FROZEN
    counterparty: str = Field(
        pattern=r"^[0-9a-f]{16}$", description="Peer id of the counterparty (scnode peer list)"
    )
    format: Literal["csv", "json"] = Field(description="csv text, or a JSON array of rows")
    export: str = Field(
        max_length=8 * 1024 * 1024,
        description="The partner's export: one row per document line, its own column names",
    )
    type: Literal["purchase_order", "despatch_advice", "goods_receipt"] | None = Field(
        default=None, description="Document type (else told from the columns)"
    )
    profile: str | None = Field(
        default=None,
        max_length=64,
        description="An approved mapping profile of this node (scnode map approve)",
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        max_length=200,
        description="column -> concept for columns to map by hand ('none' ignores one)",
    )
    defaults: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="Values for document fields no column gives (currency, uom, dates...)",
    )
    timezone: str | None = Field(
        default=None, max_length=64, description="Zone of times without an offset (default Z)"
    )
    dry_run: bool = Field(default=False, description="Map and build only; create nothing")


class ImportPublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str
    mapping: list[dict[str, Any]] = Field(description="column, concept, confidence, how")
    ignored: list[dict[str, Any]] = Field(description="columns with no place in this type")
    bodies: list[dict[str, Any]] = Field(description="the documents built from the rows")
    documents: list[DocumentPublic] = Field(description="the documents created (not a dry run)")
