"""Witnessing, split-view evidence, peer witness keys, outbox and inbox.

Revision ID: 0003_witness_outbox
Revises: 0002_node_service
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_witness_outbox"
down_revision = "0002_node_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witness_logs",
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("verified_ms", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("claimed_size", sa.BigInteger(), nullable=False),
        sa.Column("claimed_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("origin", name="pk_witness_logs"),
    )
    op.create_table(
        "split_view_evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("note_a", sa.Text(), nullable=False),
        sa.Column("note_b", sa.Text(), nullable=False),
        sa.Column("proof", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("detected_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_split_view_evidence"),
        sa.UniqueConstraint("fingerprint", name="uq_split_view_evidence_fingerprint"),
    )
    op.create_index("ix_split_view_evidence_origin", "split_view_evidence", ["origin"])
    op.create_table(
        "peer_witness_keys",
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("witness_vkey", sa.Text(), nullable=False),
        sa.Column("endorsement", sa.Text(), nullable=False),
        sa.Column("cosigned_size", sa.BigInteger(), nullable=False),
        sa.Column("fetched_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("peer_id", name="pk_peer_witness_keys"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger(), nullable=False),
        sa.Column("delivered_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
        sa.UniqueConstraint("peer_id", "seq", name="uq_outbox_peer_seq"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["peer_id", "delivered_ms", "seq"])
    op.create_table(
        "outbox_cursors",
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("entries_queued", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_queued", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("peer_id", name="pk_outbox_cursors"),
    )
    op.create_table(
        "inbox",
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("peer_id", "seq", name="pk_inbox"),
        sa.UniqueConstraint("peer_id", "idempotency_key", name="uq_inbox_peer_key"),
    )


def downgrade() -> None:
    op.drop_table("inbox")
    op.drop_table("outbox_cursors")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("peer_witness_keys")
    op.drop_index("ix_split_view_evidence_origin", table_name="split_view_evidence")
    op.drop_table("split_view_evidence")
    op.drop_table("witness_logs")
