"""The durable outbox: messages for one peer, numbered 1, 2, ... and delivered in
that order.

:func:`enqueue` runs in the caller's transaction, so whatever produced a message
and the message itself commit together. :func:`queue_from_ledger` queues the
ledger's new entries and its latest checkpoint for each peer, moving a per-peer
cursor in the same transaction: a crash before commit queues nothing, after
commit everything, and a rerun continues where the cursor stands.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger import JSONValue
from ledger.storage import LedgerStore, StoredCheckpoint
from node.outbox._tables import outbox, outbox_cursors

__all__ = [
    "CHECKPOINT",
    "ENTRY",
    "OutboxConflict",
    "OutboxMessage",
    "depth",
    "enqueue",
    "mark_delivered",
    "mark_failed",
    "pending",
    "queue_from_ledger",
]

ENTRY = "entry"
CHECKPOINT = "checkpoint"
# entries queued per peer per call: bounds one transaction
QUEUE_BATCH = 1000


class OutboxConflict(Exception):
    """Another writer moved the peer's cursor first; nothing was queued by this call."""


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    peer_id: str
    seq: int
    idempotency_key: str
    kind: str
    payload: str
    attempts: int
    next_attempt_ms: int
    delivered_ms: int | None
    last_error: str | None


def _message(row: Any) -> OutboxMessage:
    r = row._mapping
    return OutboxMessage(
        id=int(r["id"]),
        peer_id=r["peer_id"],
        seq=int(r["seq"]),
        idempotency_key=r["idempotency_key"],
        kind=r["kind"],
        payload=r["payload"],
        attempts=int(r["attempts"]),
        next_attempt_ms=int(r["next_attempt_ms"]),
        delivered_ms=None if r["delivered_ms"] is None else int(r["delivered_ms"]),
        last_error=r["last_error"],
    )


@dataclass(frozen=True)
class _Cursor:
    next_seq: int
    entries_queued: int
    checkpoint_queued: int


def _cursor(conn: Connection, peer_id: str) -> _Cursor:
    # Write first: this no-op UPDATE takes SQLite's write lock (and PostgreSQL's row
    # lock) before the cursor is read, so concurrent writers queue up instead of
    # failing to upgrade a read snapshot.
    conn.execute(
        update(outbox_cursors)
        .where(outbox_cursors.c.peer_id == peer_id)
        .values(next_seq=outbox_cursors.c.next_seq)
    )
    row = conn.execute(select(outbox_cursors).where(outbox_cursors.c.peer_id == peer_id)).first()
    if row is None:
        conn.execute(
            insert(outbox_cursors).values(
                peer_id=peer_id, next_seq=1, entries_queued=0, checkpoint_queued=0
            )
        )
        return _Cursor(1, 0, 0)
    r = row._mapping
    return _Cursor(int(r["next_seq"]), int(r["entries_queued"]), int(r["checkpoint_queued"]))


def _move(conn: Connection, peer_id: str, before: _Cursor, after: _Cursor) -> None:
    moved = conn.execute(
        update(outbox_cursors)
        .where(outbox_cursors.c.peer_id == peer_id, outbox_cursors.c.next_seq == before.next_seq)
        .values(
            next_seq=after.next_seq,
            entries_queued=after.entries_queued,
            checkpoint_queued=after.checkpoint_queued,
        )
    ).rowcount
    if moved != 1:
        raise OutboxConflict(f"the outbox of peer {peer_id} moved concurrently")


def _insert(conn: Connection, peer_id: str, seq: int, kind: str, body: str, *, now_ms: int) -> None:
    conn.execute(
        insert(outbox).values(
            peer_id=peer_id,
            seq=seq,
            idempotency_key=secrets.token_hex(16),
            kind=kind,
            payload=body,
            created_ms=now_ms,
            attempts=0,
            next_attempt_ms=now_ms,
            delivered_ms=None,
            last_error=None,
        )
    )


def _dump(payload: dict[str, JSONValue]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def enqueue(
    conn: Connection, peer_id: str, kind: str, payload: dict[str, JSONValue], now_ms: int
) -> int:
    """Queue one message for ``peer_id`` in the caller's transaction; returns its seq."""
    cursor = _cursor(conn, peer_id)
    _insert(conn, peer_id, cursor.next_seq, kind, _dump(payload), now_ms=now_ms)
    after = _Cursor(cursor.next_seq + 1, cursor.entries_queued, cursor.checkpoint_queued)
    _move(conn, peer_id, cursor, after)
    return cursor.next_seq


def queue_from_ledger(
    engine: Engine, store: LedgerStore, peer_ids: Iterable[str], now_ms: int
) -> int:
    """Queue new ledger entries, then the latest checkpoint, for each peer.

    A checkpoint message carries the signed note (with its cosignatures), the
    size of the checkpoint queued before it for that peer, and the RFC 9162
    consistency proof between the two, so the receiver can verify it from what it
    received before. Returns how many messages were queued.
    """
    queued = 0
    size = store.size()
    latest = store.checkpoint()
    for peer_id in peer_ids:
        try:
            with engine.begin() as conn:
                queued += _queue_peer(conn, store, peer_id, size=size, latest=latest, now_ms=now_ms)
        except (OutboxConflict, IntegrityError):
            continue  # another writer queued for this peer at the same moment
    return queued


def _queue_peer(
    conn: Connection,
    store: LedgerStore,
    peer_id: str,
    *,
    size: int,
    latest: StoredCheckpoint | None,
    now_ms: int,
) -> int:
    cursor = _cursor(conn, peer_id)
    seq, entries_queued, checkpoint_queued = (
        cursor.next_seq,
        cursor.entries_queued,
        cursor.checkpoint_queued,
    )
    stop = min(size, entries_queued + QUEUE_BATCH)
    for stored in store.entries(entries_queued, stop) if entries_queued < stop else []:
        leaf = None if stored.leaf is None else base64.b64encode(stored.leaf).decode("ascii")
        body: dict[str, JSONValue] = {
            "seq": stored.seq,
            "leaf": leaf,
            "leaf_hash": base64.b64encode(stored.leaf_hash).decode("ascii"),
        }
        _insert(conn, peer_id, seq, ENTRY, _dump(body), now_ms=now_ms)
        seq += 1
        entries_queued = stored.seq + 1
    if latest is not None and checkpoint_queued < latest.size <= entries_queued:
        proof = store.consistency_proof(checkpoint_queued, latest.size) if checkpoint_queued else []
        body = {
            "note": latest.text,
            "old": checkpoint_queued,
            "proof": [base64.b64encode(h).decode("ascii") for h in proof],
        }
        _insert(conn, peer_id, seq, CHECKPOINT, _dump(body), now_ms=now_ms)
        seq += 1
        checkpoint_queued = latest.size
    if seq == cursor.next_seq:
        return 0
    _move(conn, peer_id, cursor, _Cursor(seq, entries_queued, checkpoint_queued))
    return seq - cursor.next_seq


def pending(conn: Connection, peer_id: str, limit: int = 500) -> list[OutboxMessage]:
    """Undelivered messages of ``peer_id`` in order."""
    rows = conn.execute(
        select(outbox)
        .where(outbox.c.peer_id == peer_id, outbox.c.delivered_ms.is_(None))
        .order_by(outbox.c.seq)
        .limit(limit)
    )
    return [_message(r) for r in rows]


def mark_delivered(conn: Connection, message_id: int, now_ms: int) -> None:
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.delivered_ms.is_(None))
        .values(delivered_ms=now_ms, last_error=None)
    )


def mark_failed(conn: Connection, message_id: int, *, retry_at_ms: int, error: str) -> None:
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.delivered_ms.is_(None))
        .values(attempts=outbox.c.attempts + 1, next_attempt_ms=retry_at_ms, last_error=error[:500])
    )


def depth(conn: Connection) -> dict[str, int]:
    """Undelivered messages per peer."""
    rows = conn.execute(
        select(outbox.c.peer_id, func.count())
        .where(outbox.c.delivered_ms.is_(None))
        .group_by(outbox.c.peer_id)
    )
    return {str(peer): int(n) for peer, n in rows}
