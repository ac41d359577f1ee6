"""Tables of the disclosure package: stored policy versions and grant records."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

__all__ = ["disclosure_grants", "disclosure_policies", "metadata"]

metadata = MetaData()

disclosure_policies = Table(
    "disclosure_policies",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", Text, nullable=False),  # RFC 8785 JSON of the policy
    Column("digest", String(71), nullable=False),  # sha256:<hex>
    Column("source", String(16), nullable=False),  # home | api
    Column("stored_ms", BigInteger, nullable=False),
)

disclosure_grants = Table(
    "disclosure_grants",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("grantee", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("skus", Text, nullable=False),  # JSON list of patterns
    Column("locations", Text, nullable=False),  # JSON list of patterns
    Column("from_ms", BigInteger, nullable=False),
    Column("to_ms", BigInteger, nullable=False),
    Column("buckets", Text, nullable=False),  # JSON list
    Column("created_ms", BigInteger, nullable=False),
    Column("revoked_ms", BigInteger, nullable=True),
    Index("ix_disclosure_grants_grantee", "grantee", "role"),
)
