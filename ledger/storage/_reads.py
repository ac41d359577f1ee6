"""Single-statement reads of one log, for the API's hot read paths.

A request for the latest checkpoint, or for an inclusion proof against it, costs
one or two statements here, each on a pooled driver connection without an
SQLAlchemy ``Connection``, transaction hook or result machinery around it (that
overhead is several times the statement's own cost). Each statement is atomic on
its own; the rows they read never change once written (tree nodes, and a
checkpoint's size and root), so two statements need no common snapshot: an
inclusion proof for a checkpoint of size ``n`` reads nodes of the tree of ``n``
leaves, all committed before that checkpoint was.

Every read sees everything committed before it started: nothing is cached here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from ledger import NodeId, StorageError, inclusion_plan
from ledger.storage._records import StoredCheckpoint
from ledger.storage._sql import PARAMSTYLES, mark, nodes_sql

__all__ = ["LogReads"]


@functools.lru_cache(maxsize=4)
def _latest_sql(paramstyle: str) -> str:
    return (
        "SELECT size, root, note, cosignatures, signed_ms FROM ledger_checkpoints "  # noqa: S608
        f"WHERE log_id = {mark(paramstyle)} ORDER BY size DESC LIMIT 1"
    )


class LogReads:
    """Fast reads of the log ``log_id`` in ``engine`` (see the module docstring)."""

    def __init__(self, engine: Engine, log_id: int) -> None:
        style = engine.dialect.paramstyle
        if style not in PARAMSTYLES:
            raise StorageError(f"unsupported database driver {engine.dialect.driver!r}")
        self.engine = engine
        self.log_id = log_id
        self._style = style

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            try:
                yield cur
            finally:
                cur.close()
        finally:
            conn.close()  # back to the pool (which rolls back any open transaction)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The latest signed checkpoint (with its cosignatures), or None."""
        with self._cursor() as cur:
            cur.execute(_latest_sql(self._style), (self.log_id,))
            row = cur.fetchone()
        if row is None:
            return None
        return StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), str(row[3]), int(row[4]))

    def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """Leaf hash of entry ``index`` and its RFC 9162 inclusion proof in the tree
        of ``size`` leaves, in one statement. The caller checks ``size`` against
        the log (a signed checkpoint's size always is in it); StorageError if
        ``index`` is outside the tree or a node is missing."""
        if not 0 <= index < size:
            raise StorageError(f"entry {index} is not in the tree of size {size}")
        plan = inclusion_plan(index, size)
        leaf: NodeId = (0, index)
        hashes = self._nodes([leaf, *plan.ids])
        return hashes[0], plan.fold(hashes[1:])

    def _nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        wanted = sorted(set(ids))
        params: list[int] = []
        for level, idx in wanted:
            params += (self.log_id, level, idx)
        with self._cursor() as cur:
            cur.execute(nodes_sql(len(wanted), self._style), tuple(params))
            found = {(int(r[0]), int(r[1])): bytes(r[2]) for r in cur.fetchall()}
        missing = [node for node in ids if node not in found]
        if missing:
            raise StorageError(f"tree nodes missing from storage: {missing[:5]}")
        return [found[node] for node in ids]
