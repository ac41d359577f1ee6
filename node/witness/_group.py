"""Group commit of the witness's compare-and-store.

The spec requires the witness to persist a checkpoint before it answers, so each
``add-checkpoint`` costs one durable commit (an fsync). Under concurrent requests
:class:`GroupStore` commits many of them together: the first request to arrive
becomes the leader, takes every request queued so far, runs each conditional
statement in its own savepoint of one transaction, commits once, and hands each
request its own outcome; requests that arrived meanwhile form the next group.
Each request keeps its exact compare-and-store meaning: within a group, a later
request for the same log sees the earlier one's update and fails its condition.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ledger import Checkpoint
from node.witness._views import LogView, cas, get_view

__all__ = ["MAX_GROUP", "GroupStore"]

MAX_GROUP = 128


@dataclass
class _Request:
    expected: LogView | None
    checkpoint: Checkpoint
    note: str
    source: str
    now_ms: int
    done: bool = False
    stored: bool = False
    winner: LogView | None = None
    error: BaseException | None = None


class GroupStore:
    """``compare_and_store`` with group commit (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._leading = False

    def compare_and_store(
        self,
        expected: LogView | None,
        checkpoint: Checkpoint,
        note: str,
        *,
        source: str,
        now_ms: int,
    ) -> LogView | None:
        """None if stored, else the row that won (as :func:`compare_and_store`)."""
        request = _Request(expected, checkpoint, note, source, now_ms)
        with self._cond:
            self._queue.append(request)
            while not request.done:
                if self._leading:
                    self._cond.wait()
                    continue
                self._leading = True
                group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                self._cond.release()
                try:
                    self._commit(group)
                finally:
                    self._cond.acquire()
                    self._leading = False
                    self._cond.notify_all()
        if request.error is not None:
            raise request.error
        if request.stored:
            return None
        if request.winner is None:  # pragma: no cover - a lost condition means a row exists
            raise RuntimeError("compare-and-store lost to a row that cannot be read")
        return request.winner

    def _commit(self, group: list[_Request]) -> None:
        try:
            with self.engine.begin() as conn:
                for r in group:
                    r.stored = _try(conn, r)
                for r in group:
                    if not r.stored:
                        r.winner = get_view(conn, r.checkpoint.origin)
        except Exception as exc:  # noqa: BLE001  the group's commit failed: every request fails
            for r in group:
                r.error = exc
                r.stored = False
        for r in group:
            r.done = True


def _try(conn: Connection, r: _Request) -> bool:
    """One request's conditional statement. A first store (an INSERT) runs in a
    savepoint: a concurrent first insert fails it on the primary key, rolling back
    only itself. A later store is an UPDATE guarded by the expected size and root,
    which cannot fail that way: it needs no savepoint."""
    if r.expected is not None:
        return cas(conn, r.expected, r.checkpoint, r.note, source=r.source, now_ms=r.now_ms)
    try:
        with conn.begin_nested():
            return cas(conn, r.expected, r.checkpoint, r.note, source=r.source, now_ms=r.now_ms)
    except IntegrityError:
        return False
