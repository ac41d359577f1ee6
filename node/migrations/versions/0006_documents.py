"""Business documents: signed documents sent and received, their findings, the
change feed.

Revision ID: 0006_documents
Revises: 0005_governance
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_documents"
down_revision = "0005_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("doc_id", sa.String(length=240), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("chain_id", sa.String(length=420), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("counterparty", sa.String(length=200), nullable=False),
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=True),
        sa.Column("delivered_ms", sa.BigInteger(), nullable=True),
        sa.Column("refused", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint("hash", name="uq_documents_hash"),
    )
    op.create_index("ix_documents_chain", "documents", ["chain_id", "id"])
    op.create_index("uq_documents_chain_doc", "documents", ["chain_id", "doc_id"], unique=True)
    op.create_table(
        "document_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_document_findings"),
    )
    op.create_index("ix_document_findings_hash", "document_findings", ["hash"])
    op.create_table(
        "document_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("counterparty", sa.String(length=200), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_document_events"),
    )


def downgrade() -> None:
    op.drop_table("document_events")
    op.drop_index("ix_document_findings_hash", table_name="document_findings")
    op.drop_table("document_findings")
    op.drop_index("uq_documents_chain_doc", table_name="documents")
    op.drop_index("ix_documents_chain", table_name="documents")
    op.drop_table("documents")
