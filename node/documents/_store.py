"""Rows of the documents tables, read and written inside a caller's transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from governance import Finding, RuleSet
from node.documents._errors import DocumentFormatError
from node.documents._machine import ChainState, apply
from node.documents._signed import SignedDocument
from node.documents._tables import document_events, document_findings, documents

__all__ = ["StoredDocument", "add_event", "chain_rows", "insert_document", "load_chain", "stored"]


@dataclass(frozen=True)
class StoredDocument:
    row_id: int
    signed: SignedDocument
    direction: str
    counterparty: str
    peer_id: str
    created_ms: int
    ledger_seq: int | None
    delivered_ms: int | None
    refused: str | None
    last_error: str | None
    findings: tuple[dict[str, Any], ...] = ()

    @property
    def hash(self) -> str:
        return self.signed.hash

    @property
    def chain_id(self) -> str:
        return self.signed.document.chain_id


def stored(row: Any, findings: tuple[dict[str, Any], ...] = ()) -> StoredDocument:
    r = row._mapping
    try:
        signed = SignedDocument.from_json(json.loads(r["body"]))
    except (ValueError, DocumentFormatError) as exc:  # our own rows: corrupt storage
        raise DocumentFormatError(f"stored document {r['hash']} is corrupt: {exc}") from None
    return StoredDocument(
        row_id=int(r["id"]),
        signed=signed,
        direction=r["direction"],
        counterparty=r["counterparty"],
        peer_id=r["peer_id"],
        created_ms=int(r["created_ms"]),
        ledger_seq=None if r["ledger_seq"] is None else int(r["ledger_seq"]),
        delivered_ms=None if r["delivered_ms"] is None else int(r["delivered_ms"]),
        refused=r["refused"],
        last_error=r["last_error"],
        findings=findings,
    )


def chain_rows(conn: Connection, chain_id: str) -> list[StoredDocument]:
    rows = conn.execute(
        select(documents).where(documents.c.chain_id == chain_id).order_by(documents.c.id)
    ).all()
    return [stored(r) for r in rows]


def load_chain(conn: Connection, chain_id: str, rules: RuleSet) -> ChainState | None:
    """Replay the chain's accepted documents in the order they were accepted."""
    state: ChainState | None = None
    for doc in chain_rows(conn, chain_id):
        state, _ = apply(state, doc.signed.document, doc.hash, rules=rules)
    return state


def insert_document(
    conn: Connection,
    signed: SignedDocument,
    *,
    direction: str,
    counterparty: str,
    peer_id: str,
    now_ms: int,
    findings: tuple[Finding, ...],
) -> int:
    document = signed.document
    row_id = conn.execute(
        insert(documents).values(
            hash=signed.hash,
            doc_id=document.doc_id,
            type=document.type.value,
            chain_id=document.chain_id,
            author=document.author,
            counterparty=counterparty,
            peer_id=peer_id,
            direction=direction,
            body=json.dumps(signed.to_json(), sort_keys=True, separators=(",", ":")),
            created_ms=now_ms,
            attempts=0,
            next_attempt_ms=now_ms,
        )
    ).inserted_primary_key
    for finding in findings:
        conn.execute(
            insert(document_findings).values(
                hash=signed.hash, finding=json.dumps(finding.to_dict()), created_ms=now_ms
            )
        )
    add_event(conn, signed.hash, direction, counterparty, now_ms)
    return int(row_id[0]) if row_id is not None else 0


def add_event(conn: Connection, digest: str, event: str, counterparty: str, now_ms: int) -> None:
    conn.execute(
        insert(document_events).values(
            hash=digest, event=event, counterparty=counterparty, created_ms=now_ms
        )
    )


def findings_of(conn: Connection, digest: str) -> tuple[dict[str, Any], ...]:
    rows = conn.execute(
        select(document_findings.c.finding)
        .where(document_findings.c.hash == digest)
        .order_by(document_findings.c.id)
    ).scalars()
    return tuple(json.loads(x) for x in rows)
