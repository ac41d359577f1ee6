"""The tenant registry of a multi-tenant host.

Revision ID: 0009_tenants
Revises: 0008_planning_connectors
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_tenants"
down_revision = "0008_planning_connectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("schema_name", sa.String(length=63), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("sealed_keys", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_tenants_name"),
    )


def downgrade() -> None:
    op.drop_table("tenants")
