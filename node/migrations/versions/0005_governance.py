"""Governance: rule sets in force, metric buckets, inbound record lineage, exception
cases and their events, verified peer facts, the SLA sweep's lease.

Revision ID: 0005_governance
Revises: 0004_inventory
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_governance"
down_revision = "0004_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "governance_rule_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_set_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("published_at", sa.BigInteger(), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_governance_rule_sets"),
    )
    op.create_index(
        "uq_governance_rule_sets_version",
        "governance_rule_sets",
        ["rule_set_id", "version"],
        unique=True,
    )
    op.create_table(
        "governance_metric_buckets",
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("partner", "level", "start", name="pk_governance_metric_buckets"),
    )
    op.create_table(
        "governance_metric_state",
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("partner", name="pk_governance_metric_state"),
    )
    op.create_table(
        "governance_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.BigInteger(), nullable=True),
        sa.Column("record_ref", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.String(length=600), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=True),
        sa.Column("mapping_profile", sa.String(length=200), nullable=True),
        sa.Column("source_fields", sa.Text(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_governance_records"),
    )
    op.create_index(
        "ix_governance_records_partner_time", "governance_records", ["partner", "received_at"]
    )
    op.create_table(
        "governance_cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=False),
        sa.Column("raised_by", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=600), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("breached_at", sa.BigInteger(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_governance_cases"),
    )
    op.create_index("ix_governance_cases_assignee", "governance_cases", ["assignee", "state"])
    op.create_index("ix_governance_cases_state", "governance_cases", ["state"])
    op.create_table(
        "governance_case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_governance_case_events"),
    )
    op.create_index("ix_governance_case_events_case", "governance_case_events", ["case_id"])
    op.create_table(
        "governance_facts",
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("partner", name="pk_governance_facts"),
    )
    op.create_table(
        "governance_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_governance_leases"),
    )


def downgrade() -> None:
    op.drop_table("governance_leases")
    op.drop_table("governance_facts")
    op.drop_index("ix_governance_case_events_case", table_name="governance_case_events")
    op.drop_table("governance_case_events")
    op.drop_index("ix_governance_cases_state", table_name="governance_cases")
    op.drop_index("ix_governance_cases_assignee", table_name="governance_cases")
    op.drop_table("governance_cases")
    op.drop_index("ix_governance_records_partner_time", table_name="governance_records")
    op.drop_table("governance_records")
    op.drop_table("governance_metric_state")
    op.drop_table("governance_metric_buckets")
    op.drop_index("uq_governance_rule_sets_version", table_name="governance_rule_sets")
    op.drop_table("governance_rule_sets")
