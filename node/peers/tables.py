"""The peer registry table and the peer loop's network-fault state per peer."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, Text

__all__ = ["metadata", "peer_faults", "peers"]

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

#: One row per peer the loop has checked: the current fault (``kind`` None when the
#: peer answered well), since when, the last check and its latency, and the last
#: time the peer answered at all.
peer_faults = Table(
    "peer_faults",
    metadata,
    Column("peer_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=True),  # slow | down | garbage | forked
    Column("since_ms", BigInteger, nullable=True),
    Column("detail", Text, nullable=True),
    Column("checked_ms", BigInteger, nullable=False),
    Column("latency_ms", BigInteger, nullable=True),
    Column("reachable_ms", BigInteger, nullable=True),
)
