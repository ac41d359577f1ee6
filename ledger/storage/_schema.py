"""The ledger's tables (SQLAlchemy Core), keyed by ``log_id`` so that one database
can hold many logs.

* ``ledger_logs``: one row per log: its origin and its *head* (size, hash of the
  last leaf, and the compact-range border of the tree). Every write locks this row
  first, which serialises appends and checkpoint signing across processes.
* ``ledger_entries``: one row per leaf. ``leaf`` holds the exact leaf bytes and may
  be set to NULL for retention; ``leaf_hash`` stays, so proofs keep working.
* ``ledger_nodes``: every complete perfect subtree ``(level, idx)`` of the RFC 9162
  tree (level 0 = leaf hashes), so a proof needs O(log n) rows.
* ``ledger_checkpoints``: every signed checkpoint, by size, with the signed note
  and the witnesses' cosignature lines.

The migration in ``node/migrations`` creates exactly these tables; a test compares
the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["checkpoints", "entries", "logs", "metadata", "nodes"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

logs = Table(
    "ledger_logs",
    metadata,
    Column("log_id", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(255), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("last_leaf_hash", LargeBinary(32), nullable=False),
    # hashes of root_node_ids(size), left to right, concatenated (32 bytes each)
    Column("border", LargeBinary, nullable=False),
)

entries = Table(
    "ledger_entries",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_logs.log_id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf", LargeBinary, nullable=True),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("kind", String(128), nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Index("ix_ledger_entries_kind", "log_id", "kind", "seq"),
    sqlite_with_rowid=False,
)

nodes = Table(
    "ledger_nodes",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_logs.log_id"), primary_key=True),
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_logs.log_id"), primary_key=True),
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    # witnesses' cosignature lines ("— name base64\n" ...), appended as they arrive
    Column("cosignatures", Text, nullable=False, default=""),
    Column("signed_ms", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
