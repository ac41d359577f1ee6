"""Financing: grants logged for banks, pledges with their secret openings.

Revision ID: 0007_finance
Revises: 0006_documents
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_finance"
down_revision = "0006_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finance_grants",
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("bank", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("to_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name="pk_finance_grants"),
    )
    op.create_index("ix_finance_grants_bank", "finance_grants", ["bank"])
    op.create_table(
        "finance_pledges",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("bank", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("opening", sa.String(length=128), nullable=False),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("to_ms", sa.BigInteger(), nullable=False),
        sa.Column("pledge", sa.Text(), nullable=False),
        sa.Column("signatures", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_finance_pledges"),
    )
    op.create_index("ix_finance_pledges_subject", "finance_pledges", ["subject", "state"])
    op.create_index("ix_finance_pledges_bank", "finance_pledges", ["bank"])


def downgrade() -> None:
    op.drop_index("ix_finance_pledges_bank", table_name="finance_pledges")
    op.drop_index("ix_finance_pledges_subject", table_name="finance_pledges")
    op.drop_table("finance_pledges")
    op.drop_index("ix_finance_grants_bank", table_name="finance_grants")
    op.drop_table("finance_grants")
