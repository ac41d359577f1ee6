"""Network faults per peer: the peer loop's latest classification of each peer.

Revision ID: 0010_peer_faults
Revises: 0009_tenants
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_peer_faults"
down_revision = "0009_tenants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_faults",
        sa.Column("peer_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("since_ms", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("checked_ms", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.BigInteger(), nullable=True),
        sa.Column("reachable_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("peer_id"),
    )


def downgrade() -> None:
    op.drop_table("peer_faults")
