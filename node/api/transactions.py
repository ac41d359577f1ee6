"""Write transactions that take the database's write lock up front.

On SQLite a deferred transaction that reads and then writes fails at once with
"database is locked" if another connection committed in between (its read
snapshot is stale). The engine from ``node.db`` starts connections marked with
``ledger.storage``'s write option with ``BEGIN IMMEDIATE`` instead, so such a
transaction waits for the lock (busy timeout) and then reads current data.
PostgreSQL ignores the option.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from ledger.storage import WRITE_OPTION

__all__ = ["write_transaction"]


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction holding the write lock; committed on success."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn
