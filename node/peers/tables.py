"""The peer registry table."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text

__all__ = ["metadata", "peers"]

metadata = MetaData()

peers = Table(
    "peers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("url", Text, nullable=False),
    Column("vkey", Text, nullable=False),
    # "name+keyidhex": what the peer puts in its request signatures' keyid.
    Column("keyid", String(300), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # "active" | "removed"
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True), nullable=True),
)
