"""Values the store returns (frozen; no database objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass

from ledger._canonical import JSONValue

__all__ = ["Appended", "NewEntry", "StoredCheckpoint", "StoredEntry", "VerifyReport"]


@dataclass(frozen=True)
class NewEntry:
    """What a caller appends: the store assigns seq and prev under the log's lock."""

    kind: str
    body: dict[str, JSONValue]
    timestamp_ms: int


@dataclass(frozen=True)
class Appended:
    """A committed entry: its index in the log and its RFC 9162 leaf hash."""

    seq: int
    leaf_hash: bytes
    leaf: bytes


@dataclass(frozen=True)
class StoredEntry:
    """One stored row; ``leaf`` is None once its payload was deleted (retention)."""

    seq: int
    leaf: bytes | None
    leaf_hash: bytes
    kind: str
    timestamp_ms: int


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint of the log at ``size``."""

    size: int
    root: bytes
    note: str
    cosignatures: str
    signed_ms: int

    @property
    def text(self) -> str:
        """The signed note with the witnesses' cosignature lines appended."""
        return self.note + self.cosignatures


@dataclass(frozen=True)
class VerifyReport:
    """What :meth:`LedgerStore.verify_all` checked (it raises on the first problem)."""

    size: int
    root: bytes
    entries_with_payload: int
    nodes: int
    checkpoints: int
