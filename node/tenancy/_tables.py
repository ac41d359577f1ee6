"""The host's tenant registry (one row per tenant; keys sealed, never plaintext)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text, UniqueConstraint

__all__ = ["metadata", "tenants"]

metadata = MetaData()

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("schema_name", String(63), nullable=False),
    Column("vkey", Text, nullable=False),
    Column("sealed_keys", Text, nullable=False),
    UniqueConstraint("name", name="uq_tenants_name"),
)
