"""What this node holds of other logs: the latest verified checkpoint per origin
(compare-and-store), the sizes logs claimed, and split-view evidence."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger import Checkpoint, SignedNote
from node.witness._tables import evidence, witness_logs

__all__ = [
    "EvidenceRecord",
    "LogView",
    "cas",
    "compare_and_store",
    "count_evidence",
    "evidence_fingerprint",
    "evidence_for",
    "get_view",
    "note_claim",
    "record_evidence",
    "refresh_note",
]


@dataclass(frozen=True)
class LogView:
    """The latest checkpoint of ``origin`` this node verified, and the largest size claimed."""

    origin: str
    size: int
    root: bytes
    note: str
    verified_ms: int
    source: str
    claimed_size: int
    claimed_ms: int


@dataclass(frozen=True)
class EvidenceRecord:
    """Two signed checkpoints of one log that cannot both be honest."""

    id: int
    origin: str
    kind: str
    note_a: str
    note_b: str
    proof: tuple[bytes, ...] | None
    source: str
    detected_ms: int


# The witness's per-request statements run as driver SQL on the connection's
# DBAPI connection (in its transaction, if one is open): building them with
# SQLAlchemy expressions costs more than running them. Only constant schema names
# are put into SQL text; every value is a bound parameter.
_VIEW_COLUMNS = "origin, size, root, note, verified_ms, source, claimed_size, claimed_ms"


def mark(conn: Connection) -> str:
    """The driver's placeholder (sqlite3: ``?``; psycopg: ``%s``)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def driver_rows(conn: Connection, sql: str, params: tuple[object, ...]) -> list[Any]:
    """Rows of ``sql`` run on ``conn``'s DBAPI connection."""
    cur = conn.connection.cursor()
    try:
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        cur.close()


def get_view(conn: Connection, origin: str) -> LogView | None:
    sql = f"SELECT {_VIEW_COLUMNS} FROM witness_logs WHERE origin = {mark(conn)}"  # noqa: S608
    rows = driver_rows(conn, sql, (origin,))
    if not rows:
        return None
    r = rows[0]
    return LogView(
        origin=str(r[0]),
        size=int(r[1]),
        root=bytes(r[2]),
        note=str(r[3]),
        verified_ms=int(r[4]),
        source=str(r[5]),
        claimed_size=int(r[6]),
        claimed_ms=int(r[7]),
    )


def cas(
    conn: Connection,
    expected: LogView | None,
    checkpoint: Checkpoint,
    note: str,
    *,
    source: str,
    now_ms: int,
) -> bool:
    """The conditional statement of :func:`compare_and_store`, in the caller's
    transaction: True if it stored; False (or IntegrityError, for a concurrent
    first insert) if the row is no longer ``expected``."""
    claimed = checkpoint.size
    if expected is None:
        conn.execute(
            insert(witness_logs).values(
                origin=checkpoint.origin,
                size=checkpoint.size,
                root=checkpoint.root,
                note=note,
                verified_ms=now_ms,
                source=source,
                claimed_size=claimed,
                claimed_ms=now_ms,
            )
        )
        return True
    m = mark(conn)
    larger = "max" if conn.dialect.name == "sqlite" else "greatest"
    sql = (
        f"UPDATE witness_logs SET size = {m}, root = {m}, note = {m}, verified_ms = {m}, "  # noqa: S608
        f"source = {m}, claimed_size = {larger}(claimed_size, {m}), claimed_ms = {m} "
        f"WHERE origin = {m} AND size = {m} AND root = {m}"
    )
    params = (
        checkpoint.size,
        checkpoint.root,
        note,
        now_ms,
        source,
        claimed,
        now_ms,
        checkpoint.origin,
        expected.size,
        expected.root,
    )
    cur = conn.connection.cursor()
    try:
        cur.execute(sql, params)
        moved = cur.rowcount
    finally:
        cur.close()
    return bool(moved == 1)


def compare_and_store(
    engine: Engine,
    expected: LogView | None,
    checkpoint: Checkpoint,
    note: str,
    *,
    source: str,
    now_ms: int,
) -> LogView | None:
    """Store ``checkpoint`` as the latest verified one iff the row is still ``expected``.

    One conditional statement: an INSERT when nothing was stored (a concurrent
    insert makes it fail on the primary key), else an UPDATE guarded by the size
    and root read before verifying. Returns None on success, or the row that won
    the race (whose size the caller reports).
    """
    try:
        with engine.begin() as conn:
            if cas(conn, expected, checkpoint, note, source=source, now_ms=now_ms):
                return None
    except IntegrityError:
        pass
    with engine.connect() as conn:
        return get_view(conn, checkpoint.origin)


def note_claim(engine: Engine, origin: str, size: int, now_ms: int) -> None:
    """Remember that ``origin`` claimed ``size`` (for lag), if it is the largest claim."""
    with engine.begin() as conn:
        conn.execute(
            update(witness_logs)
            .where(witness_logs.c.origin == origin, witness_logs.c.claimed_size < size)
            .values(claimed_size=size, claimed_ms=now_ms)
        )


def refresh_note(engine: Engine, view: LogView, note: str) -> bool:
    """Keep ``note`` instead of the stored note of the same checkpoint if it carries
    more signatures (e.g. the log's cosignatures collected since)."""
    if len(SignedNote.parse(note).signatures) <= len(SignedNote.parse(view.note).signatures):
        return False
    with engine.begin() as conn:
        moved = conn.execute(
            update(witness_logs)
            .where(
                witness_logs.c.origin == view.origin,
                witness_logs.c.size == view.size,
                witness_logs.c.root == view.root,
            )
            .values(note=note)
        ).rowcount
    return moved == 1


def _body(note: str) -> str:
    return SignedNote.parse(note).text


def evidence_fingerprint(note_a: str, note_b: str) -> str:
    """sha-256 over the two checkpoint bodies, order-independent."""
    first, second = sorted((_body(note_a), _body(note_b)))
    return hashlib.sha256(f"{first}\x00{second}".encode()).hexdigest()


def record_evidence(
    engine: Engine,
    *,
    origin: str,
    kind: str,
    note_a: str,
    note_b: str,
    proof: Sequence[bytes] | None,
    source: str,
    now_ms: int,
) -> bool:
    """Keep both signed checkpoints as evidence; False if this pair was already kept."""
    proof_text = None
    if proof is not None:
        proof_text = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(evidence).values(
                    origin=origin,
                    fingerprint=evidence_fingerprint(note_a, note_b),
                    kind=kind,
                    note_a=note_a,
                    note_b=note_b,
                    proof=proof_text,
                    source=source,
                    detected_ms=now_ms,
                )
            )
    except IntegrityError:
        return False
    return True


def evidence_for(conn: Connection, origin: str | None = None) -> list[EvidenceRecord]:
    query = select(evidence).order_by(evidence.c.id)
    if origin is not None:
        query = query.where(evidence.c.origin == origin)
    out = []
    for row in conn.execute(query):
        r = row._mapping
        proof = None
        if r["proof"] is not None:
            proof = tuple(base64.b64decode(line) for line in r["proof"].split("\n") if line)
        out.append(
            EvidenceRecord(
                id=int(r["id"]),
                origin=r["origin"],
                kind=r["kind"],
                note_a=r["note_a"],
                note_b=r["note_b"],
                proof=proof,
                source=r["source"],
                detected_ms=int(r["detected_ms"]),
            )
        )
    return out


def count_evidence(conn: Connection) -> dict[str, int]:
    """Evidence rows per origin."""
    rows = conn.execute(select(evidence.c.origin, func.count()).group_by(evidence.c.origin))
    return {str(origin): int(n) for origin, n in rows}
