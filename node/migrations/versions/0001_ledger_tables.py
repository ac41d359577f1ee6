"""Ledger tables: logs (with their head), entries, tree nodes, checkpoints.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_logs",
        sa.Column("log_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("last_leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("border", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("log_id", name="pk_ledger_logs"),
        sa.UniqueConstraint("origin", name="uq_ledger_logs_origin"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=128), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.log_id"], name="fk_ledger_entries_log_id_ledger_logs"
        ),
        sa.PrimaryKeyConstraint("log_id", "seq", name="pk_ledger_entries"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ledger_entries_kind", "ledger_entries", ["log_id", "kind", "seq"])
    op.create_table(
        "ledger_nodes",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.log_id"], name="fk_ledger_nodes_log_id_ledger_logs"
        ),
        sa.PrimaryKeyConstraint("log_id", "level", "idx", name="pk_ledger_nodes"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("cosignatures", sa.Text(), nullable=False),
        sa.Column("signed_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.log_id"], name="fk_ledger_checkpoints_log_id_ledger_logs"
        ),
        sa.PrimaryKeyConstraint("log_id", "size", name="pk_ledger_checkpoints"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_nodes")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_logs")
