"""The borrower's private financing tables (openings and plaintext never leave them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table, Text

__all__ = ["finance_grants", "finance_pledges", "metadata"]

metadata = MetaData()

# One row per grant logged as a finance.grant entry (the grant itself is in
# disclosure_grants).
finance_grants = Table(
    "finance_grants",
    metadata,
    Column("grant_id", String(32), primary_key=True),
    Column("bank", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("subjects", Text, nullable=False),  # JSON list of subject hashes
    Column("from_ms", BigInteger, nullable=False),
    Column("to_ms", BigInteger, nullable=False),
    Index("ix_finance_grants_bank", "bank"),
)

finance_pledges = Table(
    "finance_pledges",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("state", String(16), nullable=False),  # requested | active | refused
    Column("grant_id", String(32), nullable=False),
    Column("bank", String(200), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("site", String(200), nullable=False),
    Column("quantity", BigInteger, nullable=False),  # plaintext (private)
    Column("opening", String(128), nullable=False),  # hex (secret)
    Column("from_ms", BigInteger, nullable=False),
    Column("to_ms", BigInteger, nullable=False),
    Column("pledge", Text, nullable=False),  # RFC 8785 JSON of the pledge body
    Column("signatures", Text, nullable=False),  # JSON list of signature lines
    Column("seq", BigInteger, nullable=True),  # the finance.pledge entry, once logged
    Column("reason", Text, nullable=True),  # why it was refused
    Column("created_ms", BigInteger, nullable=False),
    Index("ix_finance_pledges_subject", "subject", "state"),
    Index("ix_finance_pledges_bank", "bank"),
)
