"""``LedgerStore``: one log in an SQL database (SQLite or PostgreSQL).

Every write runs in one transaction that first locks the log's head row
(PostgreSQL ``SELECT ... FOR UPDATE``; SQLite ``BEGIN IMMEDIATE``, see
``_engine``), so appends from many processes never fork the chain and never skip
or repeat a sequence number. Proofs fetch exactly the node ids the core's proof
plans name, in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Engine,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ledger import (
    GENESIS_PREV,
    HASH_SIZE,
    KEY_ROTATE_KIND,
    Checkpoint,
    CompactRange,
    Entry,
    JSONValue,
    NodeId,
    NoteSigner,
    NoteVerifier,
    StorageError,
    canonical_json,
    consistency_plan,
    inclusion_plan,
    leaf_hash,
    root_from_nodes,
    root_node_ids,
    sign_checkpoint,
)
from ledger.storage._engine import WRITE_OPTION, configure_engine
from ledger.storage._leaf import entry_leaf
from ledger.storage._records import (
    Appended,
    NewEntry,
    StoredCheckpoint,
    StoredEntry,
    VerifyReport,
)
from ledger.storage._schema import checkpoints, entries, logs, nodes
from ledger.storage._sql import (
    PARAMSTYLES,
    bulk_insert,
    checkpoint_row,
    checkpoint_select,
    entry_select,
    head_sql,
    nodes_sql,
)

__all__ = ["LedgerStore", "LedgerWriter"]

# rows per statement when deleting payloads or reading ranges
_CHUNK = 500


def _split_border(border: bytes) -> list[bytes]:
    return [border[i : i + HASH_SIZE] for i in range(0, len(border), HASH_SIZE)]


@dataclass(frozen=True)
class _Head:
    size: int
    last_leaf_hash: bytes
    border: bytes

    def root(self) -> bytes:
        return root_from_nodes(self.size, _split_border(self.border))


_HEAD_COLUMNS = (logs.c.size, logs.c.last_leaf_hash, logs.c.border)


class LedgerStore:
    """One log (by origin) in a database; see the module docstring."""

    def __init__(self, engine: Engine, origin: str, log_id: int) -> None:
        if engine.dialect.paramstyle not in PARAMSTYLES:
            raise StorageError(f"unsupported database driver {engine.dialect.driver!r}")
        self.engine = configure_engine(engine)
        self.origin = origin
        self.log_id = log_id

    # -- opening -------------------------------------------------------------

    @classmethod
    def create(cls, engine: Engine, origin: str) -> LedgerStore:
        """Create a new, empty log; StorageError if one with this origin exists."""
        Entry(0, "log.create", {}, GENESIS_PREV, 0, origin)  # validates origin (FormatError)
        configure_engine(engine)
        try:
            with engine.begin() as conn:
                log_id = conn.execute(
                    insert(logs)
                    .values(origin=origin, size=0, last_leaf_hash=GENESIS_PREV, border=b"")
                    .returning(logs.c.log_id)
                ).scalar_one()
        except IntegrityError as exc:
            raise StorageError(f"a log with origin {origin!r} already exists") from exc
        return cls(engine, origin, log_id)

    @classmethod
    def open(cls, engine: Engine, origin: str) -> LedgerStore:
        """Open an existing log; StorageError if there is none with this origin."""
        configure_engine(engine)
        try:
            with engine.connect() as conn:
                log_id = conn.execute(
                    select(logs.c.log_id).where(logs.c.origin == origin)
                ).scalar_one_or_none()
        except SQLAlchemyError as exc:
            raise StorageError(
                f"cannot read the ledger database: {exc.__class__.__name__}"
            ) from exc
        if log_id is None:
            raise StorageError(f"no log with origin {origin!r} in this database")
        return cls(engine, origin, log_id)

    # -- transactions ----------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[tuple[Connection, _Head]]:
        """A transaction holding the log's write lock; yields (connection, head)."""
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                row = conn.execute(
                    select(*_HEAD_COLUMNS).where(logs.c.log_id == self.log_id).with_for_update()
                ).one()
                yield conn, _Head(int(row[0]), bytes(row[1]), bytes(row[2]))

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- appending -------------------------------------------------------------

    def append(self, kind: str, body: dict[str, JSONValue], now_ms: int) -> Appended:
        """Append one entry (durable when this returns)."""
        return self.append_many([NewEntry(kind, body, now_ms)])[0]

    def append_many(self, items: Sequence[NewEntry]) -> list[Appended]:
        """Append several entries in ONE transaction, in order; all or nothing."""
        if not items:
            return []
        with self.transaction() as writer:
            return writer.append_many(items)

    @contextmanager
    def transaction(self) -> Iterator[LedgerWriter]:
        """ONE transaction holding the log's write lock, for appends, a checkpoint
        and the caller's own rows (``writer.conn``), committed together on exit.

        Everything written through the writer and on ``writer.conn`` is durable
        together when the block ends, or (if it raises) none of it is: a crash or
        an error between an append and the caller's rows never leaves one without
        the other. The caller's tables must live in this store's database.
        """
        with self._write() as (conn, head):
            yield LedgerWriter(self, conn, head)

    def _append_on(
        self, conn: Connection, head: _Head, items: Sequence[NewEntry]
    ) -> tuple[list[Appended], _Head]:
        size, last = head.size, head.last_leaf_hash
        origin_json = canonical_json(self.origin)
        tree = CompactRange(size, _split_border(head.border))
        entry_rows: list[tuple[object, ...]] = []
        node_rows: list[tuple[object, ...]] = []
        done: list[Appended] = []
        for offset, item in enumerate(items):
            seq = size + offset
            entry = Entry(seq, item.kind, item.body, last, item.timestamp_ms, self.origin)
            leaf = entry_leaf(entry, origin_json)
            last = leaf_hash(leaf)
            entry_rows.append((self.log_id, seq, leaf, last, item.kind, item.timestamp_ms))
            node_rows.extend(
                (self.log_id, level, idx, digest) for (level, idx), digest in tree.append(last)
            )
            done.append(Appended(seq, last, leaf))
        bulk_insert(conn, entries, entry_rows)
        bulk_insert(conn, nodes, node_rows)
        border = b"".join(tree.hashes)
        moved = conn.execute(
            update(logs)
            .where(logs.c.log_id == self.log_id, logs.c.size == size)
            .values(size=tree.size, last_leaf_hash=last, border=border)
        ).rowcount
        if moved != 1:
            raise StorageError("the log head moved during an append (lock not held)")
        return done, _Head(tree.size, last, border)

    # -- reading ---------------------------------------------------------------

    def size(self) -> int:
        with self._read() as conn:
            return self._head(conn).size

    def _head(self, conn: Connection) -> _Head:
        # driver SQL on the raw cursor: proofs are dominated by per-query overhead
        cur = conn.connection.cursor()
        try:
            cur.execute(head_sql(conn.dialect.paramstyle), (self.log_id,))
            row = cur.fetchone()
        finally:
            cur.close()
        if row is None:
            raise StorageError(f"log {self.origin!r} is gone from the database")
        return _Head(int(row[0]), bytes(row[1]), bytes(row[2]))

    def entry(self, seq: int) -> StoredEntry:
        got = self.entries(seq, seq + 1)
        if not got:
            raise StorageError(f"no entry {seq} in the log")
        return got[0]

    def entries(self, start: int, end: int) -> list[StoredEntry]:
        """Stored entries with ``start <= seq < end``, in order."""
        with self._read() as conn:
            rows = conn.execute(
                entry_select()
                .where(entries.c.log_id == self.log_id, entries.c.seq >= start, entries.c.seq < end)
                .order_by(entries.c.seq)
            ).all()
        return [StoredEntry(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def _nodes(self, conn: Connection, ids: Sequence[NodeId]) -> list[bytes]:
        """Hashes of ``ids`` in that order, fetched in one query; StorageError if any is missing."""
        if not ids:
            return []
        wanted = sorted(set(ids))
        params: list[int] = []
        for level, idx in wanted:
            params += (self.log_id, level, idx)
        cur = conn.connection.cursor()
        try:
            cur.execute(nodes_sql(len(wanted), conn.dialect.paramstyle), tuple(params))
            found = {(r[0], r[1]): bytes(r[2]) for r in cur.fetchall()}
        finally:
            cur.close()
        missing = [node for node in ids if node not in found]
        if missing:
            raise StorageError(f"tree nodes missing from storage: {missing[:5]}")
        return [found[node] for node in ids]

    def _checked_size(self, conn: Connection, size: int | None) -> tuple[int, _Head]:
        head = self._head(conn)
        if size is None:
            return head.size, head
        if not 0 <= size <= head.size:
            raise StorageError(f"tree size {size} is outside the log (size {head.size})")
        return size, head

    def root(self, size: int | None = None) -> bytes:
        """The Merkle root at ``size`` (default: the current size)."""
        with self._read() as conn:
            size, head = self._checked_size(conn, size)
            if size == head.size:
                return head.root()
            return root_from_nodes(size, self._nodes(conn, root_node_ids(size)))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` leaves."""
        with self._read() as conn:
            size, _ = self._checked_size(conn, size)
            if not 0 <= index < size:
                raise StorageError(f"entry {index} is not in the tree of size {size}")
            plan = inclusion_plan(index, size)
            return plan.fold(self._nodes(conn, plan.ids))

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof from tree size ``old`` to ``new``."""
        with self._read() as conn:
            new, _ = self._checked_size(conn, new)
            if not 0 < old <= new:
                raise StorageError(f"no consistency proof from size {old} to size {new}")
            plan = consistency_plan(old, new)
            return plan.fold(self._nodes(conn, plan.ids))

    # -- checkpoints -----------------------------------------------------------

    def checkpoint(self) -> StoredCheckpoint | None:
        """The latest signed checkpoint, or None if none was signed yet."""
        with self._read() as conn:
            return self._latest_checkpoint(conn)

    def checkpoint_at(self, size: int) -> StoredCheckpoint:
        with self._read() as conn:
            row = conn.execute(
                checkpoint_select().where(
                    checkpoints.c.log_id == self.log_id, checkpoints.c.size == size
                )
            ).one_or_none()
        if row is None:
            raise StorageError(f"no signed checkpoint of size {size}")
        return checkpoint_row(row)

    def entries_of_kind(self, kind: str) -> list[StoredEntry]:
        """Every stored entry of ``kind``, in log order (e.g. the key history)."""
        with self._read() as conn:
            rows = conn.execute(
                entry_select()
                .where(entries.c.log_id == self.log_id, entries.c.kind == kind)
                .order_by(entries.c.seq)
            ).all()
        return [StoredEntry(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def checkpoints(self) -> list[StoredCheckpoint]:
        with self._read() as conn:
            rows = conn.execute(
                checkpoint_select()
                .where(checkpoints.c.log_id == self.log_id)
                .order_by(checkpoints.c.size)
            ).all()
        return [checkpoint_row(row) for row in rows]

    def _latest_checkpoint(self, conn: Connection) -> StoredCheckpoint | None:
        row = conn.execute(
            checkpoint_select()
            .where(checkpoints.c.log_id == self.log_id)
            .order_by(checkpoints.c.size.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else checkpoint_row(row)

    def sign_checkpoint(
        self, signers: Sequence[NoteSigner], now_ms: int, size: int | None = None
    ) -> StoredCheckpoint:
        """Sign (and store) a checkpoint at ``size`` (default: the current size).

        Never signs two inconsistent checkpoints: refuses a size below the last
        signed one. Signing the last signed size again returns it, re-signed with
        ``signers`` if they differ (same body; cosignatures stay valid).
        """
        if not signers:
            raise StorageError("signing a checkpoint needs at least one key")
        with self._write() as (conn, head):
            return self._sign_on(conn, head, signers, now_ms, size)

    def _sign_on(
        self,
        conn: Connection,
        head: _Head,
        signers: Sequence[NoteSigner],
        now_ms: int,
        size: int | None,
    ) -> StoredCheckpoint:
        if not signers:
            raise StorageError("signing a checkpoint needs at least one key")
        head_size = head.size
        size = head_size if size is None else size
        if not 0 <= size <= head_size:
            raise StorageError(f"tree size {size} is outside the log (size {head_size})")
        if size == head_size:
            root = head.root()
        else:
            root = root_from_nodes(size, self._nodes(conn, root_node_ids(size)))
        latest = self._latest_checkpoint(conn)
        if latest is not None and size < latest.size:
            raise StorageError(f"refusing to sign size {size}: below the signed size {latest.size}")
        if latest is not None and size == latest.size and root != latest.root:
            raise StorageError(
                f"refusing to sign size {size} with another root than the signed checkpoint"
            )
        note = sign_checkpoint(Checkpoint(self.origin, size, root), signers)
        if latest is not None and size == latest.size:
            if note != latest.note:
                conn.execute(
                    update(checkpoints)
                    .where(checkpoints.c.log_id == self.log_id, checkpoints.c.size == size)
                    .values(note=note, signed_ms=now_ms)
                )
                return StoredCheckpoint(size, root, note, latest.cosignatures, now_ms)
            return latest
        conn.execute(
            insert(checkpoints).values(
                log_id=self.log_id,
                size=size,
                root=root,
                note=note,
                cosignatures="",
                signed_ms=now_ms,
            )
        )
        return StoredCheckpoint(size, root, note, "", now_ms)

    def add_cosignatures(self, size: int, lines: Iterable[str]) -> StoredCheckpoint:
        """Append witnesses' cosignature lines (verified by the caller) to a checkpoint."""
        with self._write() as (conn, _head):
            row = conn.execute(
                checkpoint_select().where(
                    checkpoints.c.log_id == self.log_id, checkpoints.c.size == size
                )
            ).one_or_none()
            if row is None:
                raise StorageError(f"no signed checkpoint of size {size}")
            stored = checkpoint_row(row)
            have = set(stored.cosignatures.splitlines())
            new: list[str] = []
            for line in lines:
                if "\n" in line or not line.startswith("\u2014 "):
                    raise StorageError(
                        "a cosignature must be one signature line ('\u2014 name sig')"
                    )
                if line not in have:
                    have.add(line)
                    new.append(f"{line}\n")
            added = "".join(new)
            if not added:
                return stored
            conn.execute(
                update(checkpoints)
                .where(checkpoints.c.log_id == self.log_id, checkpoints.c.size == size)
                .values(cosignatures=stored.cosignatures + added)
            )
            return StoredCheckpoint(
                size, stored.root, stored.note, stored.cosignatures + added, stored.signed_ms
            )

    # -- retention -------------------------------------------------------------

    def delete_payloads(self, seqs: Iterable[int]) -> int:
        """Forget the leaf bytes of these entries (their hashes and proofs remain).

        Returns how many payloads were deleted (entries already without payload,
        or outside the log, are not counted). Key-history (``key.rotate``) entries
        are kept: verifiers need them to learn the log's keys.
        """
        wanted = sorted(set(seqs))
        deleted = 0
        with self.engine.begin() as conn:
            for i in range(0, len(wanted), _CHUNK):
                deleted += conn.execute(
                    update(entries)
                    .where(
                        entries.c.log_id == self.log_id,
                        entries.c.seq.in_(wanted[i : i + _CHUNK]),
                        entries.c.leaf.is_not(None),
                        entries.c.kind != KEY_ROTATE_KIND,
                    )
                    .values(leaf=None)
                ).rowcount
        return deleted

    # -- verification ----------------------------------------------------------

    def verify_all(
        self,
        verifiers: Sequence[NoteVerifier],
        progress: Callable[[int], None] | None = None,
    ) -> VerifyReport:
        """Re-verify everything stored; raises ChainError naming the first bad index."""
        from ledger.storage._verify import verify_log

        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                return verify_log(conn, self, verifiers, progress or (lambda _n: None))


class LedgerWriter:
    """Writes inside one :meth:`LedgerStore.transaction` (the log's write lock held).

    ``conn`` is the transaction's connection: the caller writes its own rows on
    it, so they commit (or roll back) with the entries. Appends made here are
    visible to this transaction only until it commits.
    """

    def __init__(self, store: LedgerStore, conn: Connection, head: _Head) -> None:
        self.store = store
        self.conn = conn
        self._head = head

    @property
    def size(self) -> int:
        """The log's size in this transaction (after this writer's appends)."""
        return self._head.size

    def append_many(self, items: Sequence[NewEntry]) -> list[Appended]:
        """Append entries in order (durable when the transaction commits)."""
        if not items:
            return []
        done, self._head = self.store._append_on(self.conn, self._head, items)
        return done

    def append(self, kind: str, body: dict[str, JSONValue], now_ms: int) -> Appended:
        return self.append_many([NewEntry(kind, body, now_ms)])[0]

    def sign_checkpoint(
        self, signers: Sequence[NoteSigner], now_ms: int, size: int | None = None
    ) -> StoredCheckpoint:
        """Sign a checkpoint at ``size`` (default: this transaction's size), stored
        in this transaction; see :meth:`LedgerStore.sign_checkpoint`."""
        return self.store._sign_on(self.conn, self._head, signers, now_ms, size)
