"""Planning (forecasts, capacity, gaps, capacity facts) and ERP connectors.

Revision ID: 0008_planning_connectors
Revises: 0007_finance
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_planning_connectors"
down_revision = "0007_finance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planning_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("peer_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("delivered_ms", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_planning_messages"),
        sa.UniqueConstraint("direction", "peer_id", "hash", name="uq_planning_messages_hash"),
    )
    op.create_table(
        "planning_gaps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("peer_id", sa.String(length=200), nullable=False),
        sa.Column("forecast_hash", sa.String(length=64), nullable=False),
        sa.Column("capacity_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("group_id", sa.String(length=200), nullable=True),
        sa.Column("skus", sa.Text(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("demand", sa.BigInteger(), nullable=False),
        sa.Column("actual", sa.BigInteger(), nullable=True),
        sa.Column("maximum", sa.BigInteger(), nullable=True),
        sa.Column("committed", sa.BigInteger(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_planning_gaps"),
    )
    op.create_table(
        "planning_facts",
        sa.Column("fact_id", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("weeks", sa.Text(), nullable=False),
        sa.Column("openings", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("fact_id", name="pk_planning_facts"),
    )
    op.create_table(
        "connector_webhooks",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_connector_webhooks"),
    )
    op.create_table(
        "connector_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("doctype", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("modified", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connector_deliveries"),
        sa.UniqueConstraint("source", "digest", name="uq_connector_deliveries_digest"),
    )
    op.create_table(
        "connector_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("document_type", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connector_documents"),
    )


def downgrade() -> None:
    for table in (
        "connector_documents",
        "connector_deliveries",
        "connector_webhooks",
        "planning_facts",
        "planning_gaps",
        "planning_messages",
    ):
        op.drop_table(table)
