"""What the store needs from an SQLAlchemy engine.

SQLite: write-ahead logging (readers never block the writer), a busy timeout (a
writer waits for the lock instead of failing), ``synchronous=FULL`` (a commit is on
disk when it returns) and foreign keys. Python's sqlite3 module opens
transactions lazily and only before DML, so a read-then-write transaction would
not hold the write lock while it reads the log head. The store therefore takes
over ``BEGIN``: connections marked with the execution option ``ledger_write``
start with ``BEGIN IMMEDIATE`` (the database write lock, taken before the head is
read); all others with a plain deferred ``BEGIN`` (a consistent read snapshot).

PostgreSQL needs nothing here: writers lock the head row with
``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event

__all__ = ["BUSY_TIMEOUT_MS", "WRITE_OPTION", "configure_engine"]

WRITE_OPTION = "ledger_write"
# how long a writer waits for another process's transaction before giving up
BUSY_TIMEOUT_MS = 30_000
_READY = "ledger_sqlite_ready"


def _prepare(dbapi_connection: Any) -> None:
    # Autocommit at the driver level; the "begin" hook issues BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_begin(conn: Connection) -> None:
    # Done here rather than on "connect" so that connections an engine opened
    # before configure_engine() was called are prepared too (once each).
    record = conn.connection
    if not record.info.get(_READY):
        _prepare(record.dbapi_connection)
        record.info[_READY] = True
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def configure_engine(engine: Engine) -> Engine:
    """Install the SQLite pragmas and transaction hook (idempotent); returns ``engine``.

    Engines of other dialects are returned unchanged.
    """
    if engine.dialect.name == "sqlite" and not event.contains(engine, "begin", _on_begin):
        event.listen(engine, "begin", _on_begin)
    return engine
