"""Inventory publishing (items, snapshots, positions, findings, exception cases) and
disclosure (policy versions, grants).

Revision ID: 0004_inventory
Revises: 0003_witness_outbox
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_inventory"
down_revision = "0003_witness_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_items",
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("lot", sa.String(length=200), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_inventory_items"),
        sa.UniqueConstraint("sku", "location", "lot", name="uq_inventory_items_key"),
    )
    op.create_table(
        "inventory_snapshots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("leaf_hash", sa.String(length=64), nullable=True),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("profile_version", sa.Integer(), nullable=True),
        sa.Column("rule_set", sa.String(length=200), nullable=False),
        sa.Column("rule_set_digest", sa.String(length=71), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
        sa.Column("position_count", sa.Integer(), nullable=False),
        sa.Column("body_digest", sa.String(length=71), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_snapshots"),
    )
    op.create_table(
        "inventory_positions",
        sa.Column("snapshot_id", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("lot", sa.String(length=200), nullable=True),
        sa.Column("as_of_ms", sa.BigInteger(), nullable=False),
        sa.Column("uom", sa.String(length=64), nullable=True),
        sa.Column("quantities", sa.Text(), nullable=False),
        sa.Column("safety_stock", sa.Text(), nullable=True),
        sa.Column("extras", sa.Text(), nullable=False),
        sa.Column("commitments", sa.Text(), nullable=False),
        sa.Column("openings", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id", "n", name="pk_inventory_positions"),
    )
    op.create_index("ix_inventory_positions_sku", "inventory_positions", ["sku", "location"])
    op.create_index("ix_inventory_positions_subject", "inventory_positions", ["subject"])
    op.create_table(
        "inventory_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("snapshot_id", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_set", sa.String(length=200), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_findings"),
    )
    op.create_index("ix_inventory_findings_snapshot", "inventory_findings", ["snapshot_id"])
    op.create_table(
        "inventory_exceptions",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("snapshot_id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("opened_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_inventory_exceptions"),
    )
    op.create_index("ix_inventory_exceptions_subject", "inventory_exceptions", ["subject", "type"])
    op.create_table(
        "disclosure_policies",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("stored_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_disclosure_policies"),
    )
    op.create_table(
        "disclosure_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("grantee", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("skus", sa.Text(), nullable=False),
        sa.Column("locations", sa.Text(), nullable=False),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("to_ms", sa.BigInteger(), nullable=False),
        sa.Column("buckets", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_disclosure_grants"),
    )
    op.create_index("ix_disclosure_grants_grantee", "disclosure_grants", ["grantee", "role"])


def downgrade() -> None:
    op.drop_index("ix_disclosure_grants_grantee", table_name="disclosure_grants")
    op.drop_table("disclosure_grants")
    op.drop_table("disclosure_policies")
    op.drop_index("ix_inventory_exceptions_subject", table_name="inventory_exceptions")
    op.drop_table("inventory_exceptions")
    op.drop_index("ix_inventory_findings_snapshot", table_name="inventory_findings")
    op.drop_table("inventory_findings")
    op.drop_index("ix_inventory_positions_subject", table_name="inventory_positions")
    op.drop_index("ix_inventory_positions_sku", table_name="inventory_positions")
    op.drop_table("inventory_positions")
    op.drop_table("inventory_snapshots")
    op.drop_table("inventory_items")
