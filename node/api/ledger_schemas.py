"""Response bodies of the ledger routes. Hashes and leaves are standard base64."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ledger import Entry, JSONValue, LedgerError
from ledger.storage import StoredEntry

__all__ = ["ConsistencyProofPublic", "EntryPage", "EntryPublic", "InclusionProofPublic", "b64"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class EntryPublic(BaseModel):
    model_config = _FROZEN
    index: int
    kind: str
    timestamp_ms: int = Field(description="UTC milliseconds since the epoch")
    leaf_hash: str = Field(description="RFC 9162 leaf hash, base64")
    leaf: str | None = Field(
        description="The exact leaf bytes, base64; null once the payload was deleted"
    )
    # Any, not ledger.JSONValue: pydantic cannot build a schema of that recursive alias.
    body: dict[str, Any] | None = Field(description="The entry's body (from the leaf)")

    @classmethod
    def of(cls, stored: StoredEntry) -> EntryPublic:
        body: dict[str, JSONValue] | None = None
        if stored.leaf is not None:
            try:
                body = Entry.from_leaf(stored.leaf).body
            except LedgerError:
                body = None  # stored leaf not canonical: `scnode ledger verify` reports it
        return cls(
            index=stored.seq,
            kind=stored.kind,
            timestamp_ms=stored.timestamp_ms,
            leaf_hash=b64(stored.leaf_hash),
            leaf=None if stored.leaf is None else b64(stored.leaf),
            body=body,
        )


class EntryPage(BaseModel):
    model_config = _FROZEN
    size: int = Field(description="Entries in the log now")
    start: int
    end: int = Field(description="One past the last index returned")
    entries: list[EntryPublic]


class InclusionProofPublic(BaseModel):
    model_config = _FROZEN
    index: int
    size: int
    leaf_hash: str
    root: str = Field(description="Merkle root of the tree of `size` leaves, base64")
    hashes: list[str] = Field(description="RFC 9162 audit path, base64")
    checkpoint: str | None = Field(
        description="The signed checkpoint of this size, if one was signed"
    )
    tlog_proof: str | None = Field(
        description="c2sp.org/tlog-proof@v1 text (when a checkpoint of this size exists)"
    )


class ConsistencyProofPublic(BaseModel):
    model_config = _FROZEN
    old: int
    new: int
    old_root: str
    new_root: str
    hashes: list[str] = Field(description="RFC 9162 consistency proof, base64")
