"""Inventory movements: the document effects (and adjustments) a snapshot's sum
statements consumed, with their openings (private).

Revision ID: 0011_inventory_movements
Revises: 0010_peer_faults
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_inventory_movements"
down_revision = "0010_peer_faults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_movements",
        sa.Column("snapshot_id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=True),
        sa.Column("document_seq", sa.BigInteger(), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.Text(), nullable=False),
        sa.Column("commitment", sa.String(length=66), nullable=False),
        sa.Column("opening", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "snapshot_id", "subject", "bucket", "n", name="pk_inventory_movements"
        ),
        sa.UniqueConstraint(
            "document", "subject", "bucket", "direction", name="uq_inventory_movements_document"
        ),
    )
    op.create_index("ix_inventory_movements_document", "inventory_movements", ["document"])


def downgrade() -> None:
    op.drop_index("ix_inventory_movements_document", table_name="inventory_movements")
    op.drop_table("inventory_movements")
