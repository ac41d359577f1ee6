"""Partner metrics kept in memory and in the database, bucket by bucket.

Each observation updates the partner's :class:`governance.PartnerMetrics` in
memory and writes back only what changed: the (at most three) buckets holding
the observation and the partner's state row, whose ``revision`` grows by one. A
query first compares the stored revisions with the ones it holds and reloads
just the partners another process (another uvicorn worker, the CLI) changed, so
every process answers from the database's figures without re-reading them all.

Writers of one partner are serialised: :meth:`MetricsStore.begin` takes a lock
on the partner (a transaction-scoped advisory lock on PostgreSQL; SQLite's
write transactions already hold the database's write lock) until the writing
transaction ends, and reloads the partner if the stored revision is not the one
held. Without it two workers could both start from revision ``r``, and the one
committing last would store its own watermark next to the other's newer
buckets: a state its loader refuses. A write that rolls back marks its partners
for reload, so a revision number is never trusted for content that was not
committed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, bindparam, delete, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from governance import MetricsStateError, NetworkMetrics, PartnerMetrics
from node.governance._tables import governance_metric_buckets, governance_metric_state

__all__ = ["MetricsStore", "StoredMetricsError", "upsert"]

#: Bucket sizes by level name (``PartnerMetrics.buckets()`` levels).
_SIZES: Final = {"minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
_METRICS_FORMAT: Final = "scnode-governance-metrics/v1"
#: Buckets older than this are outside every window; the sweep deletes them.
RETENTION_MS: Final = 31 * 86_400_000


_UPSERTS: dict[tuple[str, str], Any] = {}


class StoredMetricsError(RuntimeError):
    """The node's own stored metrics do not load: a server-side fault, never the
    client's (not a :class:`governance.GovernanceError`, so the API answers 500)."""


def upsert(conn: Connection, table: Table, values: dict[str, Any], keys: Iterable[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE on SQLite and PostgreSQL.

    The statement is built once per dialect and table (every call for a table
    passes the same columns) and executed with bound parameters.
    """
    cache_key = (conn.dialect.name, table.name)
    stmt = _UPSERTS.get(cache_key)
    if stmt is None:
        keys = tuple(keys)
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        ins = dialect.insert(table)
        changed = {k: ins.excluded[k] for k in values if k not in keys}
        stmt = _UPSERTS[cache_key] = ins.on_conflict_do_update(
            index_elements=list(keys), set_=changed
        )
    conn.execute(stmt, values)


#: One row that changes whenever any partner's state row is written (revisions only grow).
_SUMMARY = select(
    func.count(), func.coalesce(func.sum(governance_metric_state.c.revision), 0)
).select_from(governance_metric_state)

_REVISION = select(governance_metric_state.c.revision).where(
    governance_metric_state.c.partner == bindparam("partner")
)
#: PostgreSQL: one partner's writers queue here until their transactions end.
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
#: Namespace of the advisory lock keys (other users of advisory locks differ).
_LOCK_DOMAIN: Final = b"scnode.governance.metrics.partner\x00"
#: Revision held for a partner whose in-memory copy must be reloaded (never stored).
_RELOAD: Final = -1


class MetricsStore:
    """The node's :class:`NetworkMetrics`, persisted per bucket. Thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.network = NetworkMetrics()
        self._revisions: dict[str, int] = {}
        self.lock = threading.RLock()
        #: ``conn.info`` key of the partners written in the connection's transaction.
        self._pending_key = ("scnode.governance.metrics.pending", id(self))
        event.listen(engine, "commit", self._ended)
        event.listen(engine, "rollback", self._rolled_back)

    # -- reading -------------------------------------------------------------

    def refresh(self, conn: Connection) -> None:
        """Reload the partners whose stored revision differs from the one held.

        One aggregate row first: when the number of state rows and the sum of
        their revisions equal what this process holds, nothing changed (revisions
        only grow, so any write elsewhere changes the sum)."""
        count, total = conn.execute(_SUMMARY).one()
        with self.lock:
            held = self._revisions
            if int(count) == len(held) and int(total) == sum(held.values()):
                return
        rows = conn.execute(
            select(governance_metric_state.c.partner, governance_metric_state.c.revision)
        ).all()
        with self.lock:
            stored = {str(p): int(rev) for p, rev in rows}
            stale = [p for p, rev in stored.items() if self._revisions.get(p) != rev]
            stale += [p for p in self._revisions if p not in stored]
            if stale:
                self._reload(conn, stale)

    def _reload(self, conn: Connection, partners: list[str]) -> None:
        states = {
            str(r.partner): r
            for r in conn.execute(
                select(governance_metric_state).where(
                    governance_metric_state.c.partner.in_(partners)
                )
            )
        }
        buckets: dict[str, list[dict[str, Any]]] = {p: [] for p in partners}
        for r in conn.execute(
            select(governance_metric_buckets).where(
                governance_metric_buckets.c.partner.in_(partners)
            )
        ):
            buckets[str(r.partner)].append({"level": r.level, **json.loads(r.data)})
        current = {p: self.network.partner(p) for p in self.network.partners()}
        for p in partners:
            state = states.get(p)
            if state is None:  # not stored (a write of it rolled back): forget it
                current.pop(p, None)
                self._revisions.pop(p, None)
                continue
            try:
                current[p] = PartnerMetrics.from_dict(
                    {
                        "format": _METRICS_FORMAT,
                        "partner": p,
                        "watermark": int(state.watermark),
                        "state": json.loads(state.state),
                        "buckets": buckets[p],
                    }
                )
            except (MetricsStateError, ValueError) as exc:
                raise StoredMetricsError(
                    f"stored governance metrics of partner {p!r} do not load: {exc}"
                ) from exc
            self._revisions[p] = int(state.revision)
        self.network = NetworkMetrics(current.values())

    # -- writing -------------------------------------------------------------

    def begin(self, conn: Connection, partner: str) -> int:
        """Before writing ``partner`` in ``conn``'s transaction: lock the partner
        until the transaction ends (another writer of it waits), reload it if
        another process changed it; returns the stored revision (0 if none).

        The partner's lock is taken before this store's in-process lock, so a
        thread waiting for it never holds up the transaction it waits for."""
        stored = self._lock_row(conn, partner)
        with self.lock:
            if stored != self._revisions.get(partner):
                self._reload(conn, [partner])
            return 0 if stored is None else stored

    def _lock_row(self, conn: Connection, partner: str) -> int | None:
        """Lock ``partner`` for writing until ``conn``'s transaction ends; its stored
        revision (None if not stored yet).

        On PostgreSQL a transaction-scoped advisory lock keyed by the partner id
        (it also covers a partner without a state row yet: two first writers);
        the revision is read after it is granted, so it is the newest committed
        one. SQLite's write transactions already exclude each other."""
        if conn.dialect.name == "postgresql":
            conn.execute(_ADVISORY_LOCK, {"key": _lock_key(partner)})
        stored = conn.execute(_REVISION, {"partner": partner}).scalar_one_or_none()
        return None if stored is None else int(stored)

    def apply(self, partner: str, change: Callable[[PartnerMetrics], Any]) -> Any:
        """Apply ``change`` to ``partner``'s metrics in memory; returns its result."""
        with self.lock:
            return change(self.network.partner(partner))

    def observe(
        self, conn: Connection, partner: str, at: int, change: Callable[[PartnerMetrics], Any]
    ) -> Any:
        """Apply ``change`` to ``partner``'s metrics (an observation at ``at``) and
        write the touched buckets and the state row on ``conn``; returns its result."""
        revision = self.begin(conn, partner)  # holds the partner until conn commits
        result = self.apply(partner, change)
        self.write(conn, partner, (at,), revision=revision)
        return result

    def write(self, conn: Connection, partner: str, times: Iterable[int], *, revision: int) -> None:
        """Write the buckets of ``partner`` holding any of ``times``, and its state row
        with revision ``revision + 1``."""
        with self.lock:
            metrics = self.network.partner(partner)
            times = sorted(set(times))
            rows = [
                {
                    "partner": partner,
                    "level": level,
                    "start": bucket.start,
                    "data": json.dumps(bucket.to_dict(), separators=(",", ":")),
                }
                for level, bucket in metrics.buckets()
                if _holds_any(times, bucket.start, bucket.start + _SIZES[level])
            ]
            state = {
                "partner": partner,
                "watermark": metrics.watermark,
                "state": json.dumps(metrics.state.to_dict(), separators=(",", ":")),
                "revision": revision + 1,
            }
            self._revisions[partner] = revision + 1
        conn.info.setdefault(self._pending_key, set()).add(partner)
        for row in rows:
            upsert(conn, governance_metric_buckets, row, ("partner", "level", "start"))
        upsert(conn, governance_metric_state, state, ("partner",))

    def _ended(self, conn: Connection) -> None:
        """A transaction committed: its writes are the stored revisions."""
        conn.info.pop(self._pending_key, None)

    def _rolled_back(self, conn: Connection) -> None:
        """A transaction rolled back: the partners it wrote are reloaded before use
        (another process may store the revision numbers this one held)."""
        partners = conn.info.pop(self._pending_key, None)
        if partners:
            with self.lock:
                for p in partners:
                    self._revisions[p] = _RELOAD

    def prune(self, conn: Connection, *, now: int) -> int:
        """Delete bucket rows outside every window; the number deleted."""
        done = conn.execute(
            delete(governance_metric_buckets).where(
                governance_metric_buckets.c.start < now - RETENTION_MS
            )
        )
        return int(done.rowcount or 0)


def _lock_key(partner: str) -> int:
    """The partner's advisory lock key: a signed 64-bit digest of its id."""
    digest = hashlib.sha256(_LOCK_DOMAIN + partner.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _holds_any(times: list[int], start: int, end: int) -> bool:
    """Whether sorted ``times`` has a value in ``[start, end)``."""
    i = bisect_left(times, start)
    return i < len(times) and times[i] < end


def check_partner_id(partner: str) -> str:
    if not isinstance(partner, str) or not partner.strip() or len(partner) > 200:
        raise MetricsStateError("a partner id must be 1-200 characters of text")
    return partner
