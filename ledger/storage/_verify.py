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
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, func, or_, select

from ledger import (
    ENTRY_TYPE,
    GENESIS_PREV,
    HASH_SIZE,
    ChainError,
    CompactRange,
    LedgerError,
    NodeId,
    NoteVerifier,
    open_checkpoint,
)
from ledger.storage._records import StoredCheckpoint, VerifyReport
from ledger.storage._schema import checkpoints, entries, logs, nodes

if TYPE_CHECKING:
    from ledger.storage._store import LedgerStore

__all__ = ["verify_log"]

_CHUNK_BITS = 13
_CHUNK = 1 << _CHUNK_BITS
_LEAF_PREFIX = b"\x00"


def _check_leaf(
    index: int,
    leaf: bytes,
    stored: tuple[bytes, str, int],
    *,
    prev: bytes,
    origin: str,
    blamed: int,
) -> bytes:
    """Check one stored leaf; return its hash. Lean: one JSON parse, one SHA-256.

    ``blamed`` is the index named when ``prev`` does not match: the predecessor's,
    when its payload was deleted and only its stored hash speaks for it.
    """
    stored_hash, kind, ts = stored
    digest = hashlib.sha256(_LEAF_PREFIX + leaf).digest()
    if digest != stored_hash:
        raise ChainError(index, f"entry {index}: leaf bytes do not match the stored leaf hash")
    try:
        value = json.loads(leaf)
        fields = (
            value["type"],
            value["seq"],
            value["prev"],
            value["origin"],
            value["kind"],
            value["timestamp_ms"],
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ChainError(index, f"entry {index}: leaf is not a readable entry") from exc
    if fields[0] != ENTRY_TYPE or fields[3] != origin:
        raise ChainError(index, f"entry {index}: leaf is not an entry of this log")
    if fields[1] != index:
        raise ChainError(index, f"entry {index}: leaf says seq {fields[1]!r}")
    if fields[2] != prev.hex():
        raise ChainError(
            blamed, f"entry {index}: prev does not match the hash of entry {index - 1}"
        )
    if fields[4] != kind or fields[5] != ts:
        raise ChainError(index, f"entry {index}: stored kind/timestamp differ from the leaf")
    return digest


def _chunk_nodes(conn: Connection, log_id: int, start: int, end: int) -> dict[NodeId, bytes]:
    """Stored nodes of level <= _CHUNK_BITS completed by leaves in [start, end)."""
    top = min(_CHUNK_BITS, max(end - start, 1).bit_length())
    ranges = [
        and_(nodes.c.level == level, nodes.c.idx >= start >> level, nodes.c.idx < end >> level)
        for level in range(top + 1)
    ]
    rows = conn.execute(
        select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(
            nodes.c.log_id == log_id, or_(*ranges)
        )
    )
    return {(r[0], r[1]): r[2] for r in rows}


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
    """The state of one pass over the log, leaf by leaf."""

    def __init__(
        self,
        origin: str,
        high: dict[NodeId, bytes],
        cps: list[StoredCheckpoint],
        verifiers: Sequence[NoteVerifier],
    ) -> None:
        self.origin = origin
        self.high = high
        self.cps = cps
        self.verifiers = verifiers
        self.tree = CompactRange()
        self.prev = GENESIS_PREV
        self.had_payload = True
        self.with_payload = 0
        self.next_cp = 0

    def checkpoints_upto(self, size: int) -> None:
        """Check the stored checkpoints of ``size`` (the tree now has ``size`` leaves)."""
        cps = self.cps
        while self.next_cp < len(cps) and cps[self.next_cp].size == size:
            _checkpoint_check(cps[self.next_cp], self.tree.root(), self.origin, self.verifiers)
            self.next_cp += 1

    def leaf(
        self, index: int, row: tuple[bytes | None, bytes, str, int], stored: dict[NodeId, bytes]
    ) -> None:
        leaf, stored_hash, kind, ts = row
        if leaf is None:
            digest = stored_hash
            if len(digest) != HASH_SIZE:
                raise ChainError(index, f"entry {index}: stored leaf hash is malformed")
        else:
            blamed = index if self.had_payload else index - 1
            digest = _check_leaf(
                index,
                leaf,
                (stored_hash, kind, ts),
                prev=self.prev,
                origin=self.origin,
                blamed=blamed,
            )
            self.with_payload += 1
        self.had_payload = leaf is not None
        for node, expected in self.tree.append(digest):
            got = stored.get(node) if node[0] <= _CHUNK_BITS else self.high.get(node)
            if got != expected:
                what = "missing" if got is None else "wrong"
                raise ChainError(index, f"tree node {node} (up to entry {index}) is {what}")
        self.prev = digest
        self.checkpoints_upto(index + 1)


def _load_checkpoints(conn: Connection, log_id: int) -> list[StoredCheckpoint]:
    rows = conn.execute(
        select(
            checkpoints.c.size,
            checkpoints.c.root,
            checkpoints.c.note,
            checkpoints.c.cosignatures,
            checkpoints.c.signed_ms,
        )
        .where(checkpoints.c.log_id == log_id)
        .order_by(checkpoints.c.size)
    )
    return [StoredCheckpoint(int(r[0]), bytes(r[1]), r[2], r[3], int(r[4])) for r in rows]


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
    cps = _load_checkpoints(conn, log_id)
    if cps and cps[-1].size > size:
        raise ChainError(size, f"checkpoint of size {cps[-1].size} is beyond the log (size {size})")
    scan = _Scan(store.origin, high, cps, verifiers)
    scan.checkpoints_upto(0)
    for start in range(0, size, _CHUNK):
        end = min(start + _CHUNK, size)
        stored = _chunk_nodes(conn, log_id, start, end)
        rows = conn.execute(
            select(
                entries.c.seq,
                entries.c.leaf,
                entries.c.leaf_hash,
                entries.c.kind,
                entries.c.timestamp_ms,
            )
            .where(entries.c.log_id == log_id, entries.c.seq >= start, entries.c.seq < end)
            .order_by(entries.c.seq)
        )
        index = start
        for seq, leaf, stored_hash, kind, ts in rows:
            if seq != index:
                raise ChainError(index, f"entry {index} is missing")
            scan.leaf(index, (leaf, stored_hash, kind, ts), stored)
            index += 1
        if index != end:
            raise ChainError(index, f"entry {index} is missing")
        progress(end - start)
    _check_tails(conn, log_id, size)
    if last_hash != scan.prev or border != b"".join(scan.tree.hashes):
        raise ChainError(max(size - 1, 0), "the stored log head does not match the entries")
    node_total = sum(size >> level for level in range(size.bit_length()))
    return VerifyReport(size, scan.tree.root(), scan.with_payload, node_total, len(cps))


def _check_tails(conn: Connection, log_id: int, size: int) -> None:
    """No entry rows outside [0, size); exactly size >> level nodes on every level."""
    outside = conn.execute(
        select(func.min(entries.c.seq)).where(
            entries.c.log_id == log_id, or_(entries.c.seq >= size, entries.c.seq < 0)
        )
    ).scalar_one()
    if outside is not None:
        raise ChainError(min(int(outside), size), f"entry row {outside} is beyond the log head")
    per_level = conn.execute(
        select(nodes.c.level, func.count(), func.min(nodes.c.idx), func.max(nodes.c.idx))
        .where(nodes.c.log_id == log_id)
        .group_by(nodes.c.level)
    ).all()
    for level, count, low, high in per_level:
        want = size >> level if level >= 0 else 0
        if count != want or (want and (low != 0 or high != want - 1)):
            raise ChainError(size, f"unexpected tree nodes on level {level} (beyond the log head)")
