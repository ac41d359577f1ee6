"""Full re-verification of one stored log, streaming, in O(chunk) memory.

Leaves are read in order, in chunks aligned to ``2**_CHUNK_BITS``. Each leaf is
checked against its stored hash, its own fields (seq, prev, origin, kind,
timestamp) and the hash chain; the tree is rebuilt with a compact range and every
node it completes is compared with the stored node; at every signed checkpoint
the rebuilt root is compared with the checkpoint's root and its signatures are
verified. Finally the head row, the node count per level and rows beyond the head
are checked, so a changed, deleted, reordered or inserted row of any table is
found.

The error is a :class:`ChainError` whose ``index`` is the first entry at which the
stored data stops being consistent: every check involving only entries before it
passed. (A tree node spanning entries ``a..b`` is checked once entry ``b`` is read;
a checkpoint of size ``n`` once entry ``n - 1`` is read.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy import Connection, func, select

from ledger import (
    ENTRY_TYPE,
    GENESIS_PREV,
    HASH_SIZE,
    ChainError,
    LedgerError,
    NodeId,
    NoteVerifier,
    canonical_json,
    open_checkpoint,
    root_from_nodes,
)
from ledger.storage._leaf import BODY_START, leaf_tail
from ledger.storage._records import StoredCheckpoint, VerifyReport
from ledger.storage._schema import checkpoints, entries, logs, nodes
from ledger.storage._sql import checkpoint_row, checkpoint_select
from ledger.storage._sql import mark as sql_mark

if TYPE_CHECKING:
    from ledger.storage._store import LedgerStore

__all__ = ["verify_log"]

_CHUNK_BITS = 13
_CHUNK = 1 << _CHUNK_BITS
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_BODY_OBJECT = BODY_START + b"{"


class _LeafCheck:
    """Checks a stored leaf against what the log says entry ``index`` must be.

    A leaf is RFC 8785 JSON whose members sort as body, kind, origin, prev, seq,
    timestamp_ms, type; everything after the body is fixed by the entry's place
    in the log. So the check is a byte comparison of that tail (built from the
    expected seq, prev, origin and the stored kind/timestamp columns) plus one
    SHA-256, with no JSON parsing; the body bytes are covered by the leaf hash.
    Only when the tail differs is the leaf parsed, to say what is wrong.
    """

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.origin_json = canonical_json(origin)
        self.kinds: dict[str, bytes] = {}

    def tail(self, index: int, prev: bytes, kind: str, ts: int) -> bytes:
        kind_json = self.kinds.get(kind)
        if kind_json is None:
            kind_json = self.kinds[kind] = canonical_json(kind)
        return leaf_tail(kind_json, self.origin_json, prev, index, ts)

    def check(
        self, index: int, leaf: bytes, stored: tuple[bytes, str, int], prev: bytes, blamed: int
    ) -> bytes:
        """Return the leaf's hash; ChainError naming ``index`` (``blamed`` for prev)."""
        stored_hash, kind, ts = stored
        digest = hashlib.sha256(_LEAF_PREFIX + leaf).digest()
        if digest != stored_hash:
            raise ChainError(index, f"entry {index}: leaf bytes do not match the stored leaf hash")
        if not (leaf.startswith(_BODY_OBJECT) and leaf.endswith(self.tail(index, prev, kind, ts))):
            self.diagnose(index, leaf, stored, prev, blamed)
        return digest

    def diagnose(
        self, index: int, leaf: bytes, stored: tuple[bytes, str, int], prev: bytes, blamed: int
    ) -> NoReturn:
        _, kind, ts = stored
        try:
            value = json.loads(leaf)
            fields = tuple(
                value[k] for k in ("type", "seq", "prev", "origin", "kind", "timestamp_ms")
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise ChainError(index, f"entry {index}: leaf is not a readable entry") from exc
        if fields[0] != ENTRY_TYPE or fields[3] != self.origin:
            raise ChainError(index, f"entry {index}: leaf is not an entry of this log")
        if fields[1] != index:
            raise ChainError(index, f"entry {index}: leaf says seq {fields[1]!r}")
        if fields[2] != prev.hex():
            raise ChainError(
                blamed, f"entry {index}: prev does not match the hash of entry {index - 1}"
            )
        if fields[4] != kind or fields[5] != ts:
            raise ChainError(index, f"entry {index}: stored kind/timestamp differ from the leaf")
        raise ChainError(index, f"entry {index}: leaf is not in canonical form")


def _chunk_nodes(cur: Any, mark: str, log_id: int, start: int, end: int) -> dict[NodeId, bytes]:
    """Stored nodes of level <= _CHUNK_BITS completed by leaves in [start, end)."""
    top = min(_CHUNK_BITS, max(end - start, 1).bit_length())
    # log_id inside every term: each is one primary-key range scan (with log_id
    # outside the OR, SQLite scans the whole log for every chunk)
    term = f"(log_id = {mark} AND level = {mark} AND idx >= {mark} AND idx < {mark})"
    where = " OR ".join([term] * (top + 1))
    sql = f"SELECT level, idx, hash FROM ledger_nodes WHERE {where}"  # noqa: S608
    params: list[int] = []
    for level in range(top + 1):
        params += (log_id, level, start >> level, end >> level)
    cur.execute(sql, tuple(params))
    return {(r[0], r[1]): r[2] for r in cur.fetchall()}


def _checkpoint_check(
    cp: StoredCheckpoint, root: bytes, origin: str, verifiers: Sequence[NoteVerifier]
) -> None:
    index = max(cp.size - 1, 0)
    if cp.root != root:
        raise ChainError(index, f"checkpoint of size {cp.size}: stored root is not the tree's root")
    try:
        opened = open_checkpoint(cp.text, verifiers)
    except LedgerError as exc:
        raise ChainError(index, f"checkpoint of size {cp.size}: {exc}") from exc
    if opened.origin != origin or opened.size != cp.size or opened.root != root:
        raise ChainError(index, f"checkpoint of size {cp.size}: signed body is not the tree's")


class _Scan:
    """The state of one pass over the log, chunk by chunk.

    The tree is rebuilt with a plain border stack (the hashes of
    ``root_node_ids(size)``, as in a compact range): for leaf ``i`` every node it
    completes is hashed, compared with the stored node and merged, in one tight
    loop; this loop is the whole cost of a verify.
    """

    def __init__(
        self,
        origin: str,
        high: dict[NodeId, bytes],
        cps: list[StoredCheckpoint],
        verifiers: Sequence[NoteVerifier],
    ) -> None:
        self.origin = origin
        self.leaves = _LeafCheck(origin)
        self.high = high
        self.cps = cps
        self.verifiers = verifiers
        self.border: list[bytes] = []
        self.size = 0
        self.prev = GENESIS_PREV
        self.had_payload = True
        self.with_payload = 0
        self.next_cp = 0
        self.checked = 0

    def root(self) -> bytes:
        return root_from_nodes(self.size, self.border)

    def checkpoints_upto(self, size: int) -> None:
        """Check the stored checkpoints of ``size`` (the tree now has ``size`` leaves)."""
        cps = self.cps
        while self.next_cp < len(cps) and cps[self.next_cp].size == size:
            _checkpoint_check(cps[self.next_cp], self.root(), self.origin, self.verifiers)
            self.next_cp += 1
            self.checked += 1

    def load_checkpoints(self, cps: list[StoredCheckpoint]) -> None:
        """The checkpoints of the next chunk (in size order), replacing the last ones."""
        if self.next_cp < len(self.cps):
            cp = self.cps[self.next_cp]  # a size the scan never reached: none is left over
            raise ChainError(max(cp.size - 1, 0), f"checkpoint of size {cp.size} was skipped")
        self.cps, self.next_cp = cps, 0

    def _next_cp_size(self) -> int:
        return self.cps[self.next_cp].size if self.next_cp < len(self.cps) else -1

    def chunk(
        self, rows: Sequence[tuple[int, bytes | None, bytes, str, int]], stored: dict[NodeId, bytes]
    ) -> int:
        """Check the rows of one chunk (in seq order); return the next expected index."""
        index = self.size
        border, high, check = self.border, self.high, self.leaves.check
        sha256, node_prefix = hashlib.sha256, _NODE_PREFIX
        prev, had_payload, with_payload = self.prev, self.had_payload, self.with_payload
        cp_size = self._next_cp_size()
        for seq, leaf, stored_hash, kind, ts in rows:
            if seq != index:
                raise ChainError(index, f"entry {index} is missing")
            if leaf is None:
                digest = stored_hash
                if len(digest) != HASH_SIZE:
                    raise ChainError(index, f"entry {index}: stored leaf hash is malformed")
            else:
                # a payload-less predecessor has only its stored hash to go by: blame it
                blamed = index if had_payload else index - 1
                digest = check(index, leaf, (stored_hash, kind, ts), prev, blamed)
                with_payload += 1
            had_payload = leaf is not None
            if stored.get((0, index)) != digest:
                raise ChainError(index, f"tree node (0, {index}) (entry {index}) is wrong")
            node, level, pos = digest, 0, index
            while pos & 1:
                node = sha256(node_prefix + border.pop() + node).digest()
                level += 1
                pos >>= 1
                got = stored.get((level, pos)) if level <= _CHUNK_BITS else high.get((level, pos))
                if got != node:
                    what = "missing" if got is None else "wrong"
                    raise ChainError(
                        index, f"tree node ({level}, {pos}) (up to entry {index}) is {what}"
                    )
            border.append(node)
            prev = digest
            index += 1
            if index == cp_size:
                self.size, self.prev = index, prev
                self.checkpoints_upto(index)
                cp_size = self._next_cp_size()
        self.size, self.prev = index, prev
        self.had_payload, self.with_payload = had_payload, with_payload
        return index


def _load_checkpoints(conn: Connection, log_id: int, low: int, high: int) -> list[StoredCheckpoint]:
    """Stored checkpoints with ``low <= size <= high``, by size."""
    rows = conn.execute(
        checkpoint_select()
        .where(
            checkpoints.c.log_id == log_id,
            checkpoints.c.size >= low,
            checkpoints.c.size <= high,
        )
        .order_by(checkpoints.c.size)
    )
    return [checkpoint_row(r) for r in rows]


def verify_log(
    conn: Connection,
    store: LedgerStore,
    verifiers: Sequence[NoteVerifier],
    progress: Callable[[int], None],
) -> VerifyReport:
    log_id = store.log_id
    size, last_hash, border = conn.execute(
        select(logs.c.size, logs.c.last_leaf_hash, logs.c.border).where(logs.c.log_id == log_id)
    ).one()
    high = {
        (r[0], r[1]): r[2]
        for r in conn.execute(
            select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(
                nodes.c.log_id == log_id, nodes.c.level > _CHUNK_BITS
            )
        )
    }
    first_cp, last_cp = conn.execute(
        select(func.min(checkpoints.c.size), func.max(checkpoints.c.size)).where(
            checkpoints.c.log_id == log_id
        )
    ).one()
    if last_cp is not None and (last_cp > size or first_cp < 0):
        bad = last_cp if last_cp > size else first_cp
        raise ChainError(size, f"checkpoint of size {bad} is outside the log (size {size})")
    # checkpoints are read chunk by chunk too: a node may have signed one per entry
    scan = _Scan(store.origin, high, _load_checkpoints(conn, log_id, 0, 0), verifiers)
    scan.checkpoints_upto(0)
    mark = sql_mark(conn.dialect.paramstyle)
    entry_sql = (
        "SELECT seq, leaf, leaf_hash, kind, timestamp_ms FROM ledger_entries"  # noqa: S608
        f" WHERE log_id = {mark} AND seq >= {mark} AND seq < {mark} ORDER BY seq"
    )
    # the raw driver cursor, inside this connection's transaction: plain tuples,
    # no per-row result processing (this loop is the whole cost of a verify)
    cur = conn.connection.cursor()
    try:
        for start in range(0, size, _CHUNK):
            end = min(start + _CHUNK, size)
            stored = _chunk_nodes(cur, mark, log_id, start, end)
            scan.load_checkpoints(_load_checkpoints(conn, log_id, start + 1, end))
            cur.execute(entry_sql, (log_id, start, end))
            # (sqlite3 and psycopg both return bytes for BLOB / bytea)
            index = scan.chunk(cur.fetchall(), stored)
            if index != end:
                raise ChainError(index, f"entry {index} is missing")
            progress(end - start)
    finally:
        cur.close()
    _check_tails(conn, log_id, size)
    if last_hash != scan.prev or border != b"".join(scan.border):
        raise ChainError(max(size - 1, 0), "the stored log head does not match the entries")
    node_total = sum(size >> level for level in range(size.bit_length()))
    return VerifyReport(size, scan.root(), scan.with_payload, node_total, scan.checked)


def _check_tails(conn: Connection, log_id: int, size: int) -> None:
    """No entry or tree-node rows beyond the head (index lookups only, no scans).

    The scan already found every expected row; here only rows outside the
    expected key ranges can remain, so the extremes of each range suffice.
    """
    low, high = conn.execute(
        select(func.min(entries.c.seq), func.max(entries.c.seq)).where(entries.c.log_id == log_id)
    ).one()
    if low is not None and (low < 0 or high >= size):
        bad = high if high >= size else low
        raise ChainError(size, f"entry row {bad} is outside the log (size {size})")
    top = size.bit_length()
    levels = conn.execute(
        select(func.min(nodes.c.level), func.max(nodes.c.level)).where(nodes.c.log_id == log_id)
    ).one()
    if levels[0] is not None and (levels[0] < 0 or levels[1] >= max(top, 1)):
        raise ChainError(size, "unexpected tree nodes beyond the log head")
    for level in range(top):
        lo, hi = conn.execute(
            select(func.min(nodes.c.idx), func.max(nodes.c.idx)).where(
                nodes.c.log_id == log_id, nodes.c.level == level
            )
        ).one()
        if lo is not None and (lo < 0 or hi >= size >> level):
            raise ChainError(size, f"unexpected tree nodes on level {level} (beyond the log head)")
