"""Hand-written SQL of the hot paths, and the statements the store reuses.

Proof lookups, verify scans and bulk inserts run as driver SQL: building the
same statements with SQLAlchemy expressions costs more than running them. Only
constant schema names are put into SQL text; every value is a bound parameter.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, Table, insert, select

from ledger.storage._records import StoredCheckpoint
from ledger.storage._schema import checkpoints, entries

__all__ = [
    "PARAMSTYLES",
    "bulk_insert",
    "checkpoint_row",
    "checkpoint_select",
    "entry_select",
    "head_sql",
    "mark",
    "nodes_sql",
]

# driver parameter styles the hand-written SQL supports (sqlite3: qmark; psycopg: %s)
PARAMSTYLES = ("qmark", "format", "pyformat")
# rows per multi-row INSERT (SQLite allows 32766 bound values per statement)
INSERT_ROWS = 2000


def mark(paramstyle: str) -> str:
    """The driver's placeholder."""
    return "?" if paramstyle == "qmark" else "%s"


@functools.lru_cache(maxsize=4)
def head_sql(paramstyle: str) -> str:
    return f"SELECT size, last_leaf_hash, border FROM ledger_logs WHERE log_id = {mark(paramstyle)}"  # noqa: S608


@functools.lru_cache(maxsize=256)
def nodes_sql(count: int, paramstyle: str) -> str:
    """SELECT of ``count`` nodes by full primary key, as an OR of exact keys.

    Each term is one index lookup on SQLite and PostgreSQL (a row-value IN list,
    or log_id outside the OR, makes SQLite's planner scan the whole log). Built
    as driver SQL: constructing the same statement with SQLAlchemy expressions
    costs more than running it.
    """
    m = mark(paramstyle)
    term = f"(log_id = {m} AND level = {m} AND idx = {m})"
    where = " OR ".join([term] * count)
    return f"SELECT level, idx, hash FROM ledger_nodes WHERE {where}"  # noqa: S608  no input in SQL


def bulk_insert(conn: Connection, table: Table, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert ``rows`` (values in column order) with few multi-row statements.

    One statement per ``INSERT_ROWS`` rows instead of one per row: far less
    per-row overhead, and the SQLite writer releases and re-takes the GIL a few
    times per batch instead of once per row.
    """
    style = conn.dialect.paramstyle
    if style not in PARAMSTYLES:
        names = [c.name for c in table.columns]
        conn.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])
        return
    columns = ", ".join(c.name for c in table.columns)
    one = "(" + ", ".join([mark(style)] * len(table.columns)) + ")"
    for start in range(0, len(rows), INSERT_ROWS):
        chunk = rows[start : start + INSERT_ROWS]
        values = ", ".join([one] * len(chunk))
        sql = f"INSERT INTO {table.name} ({columns}) VALUES {values}"  # noqa: S608  schema names; values are bound
        conn.exec_driver_sql(sql, tuple(value for row in chunk for value in row))


def checkpoint_select() -> Select[Any]:
    return select(
        checkpoints.c.size,
        checkpoints.c.root,
        checkpoints.c.note,
        checkpoints.c.cosignatures,
        checkpoints.c.signed_ms,
    )


def entry_select() -> Select[Any]:
    return select(
        entries.c.seq,
        entries.c.leaf,
        entries.c.leaf_hash,
        entries.c.kind,
        entries.c.timestamp_ms,
    )


def checkpoint_row(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), str(row[3]), int(row[4]))
