"""Tables of the auth subsystem: API tokens and seen request nonces."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, MetaData, String, Table

__all__ = ["api_tokens", "metadata", "seen_nonces"]

metadata = MetaData()

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    # SHA-256 of the whole token, hex; the token itself is never stored.
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

seen_nonces = Table(
    "seen_nonces",
    metadata,
    # The signer's key id and the nonce form the primary key, so recording a nonce
    # is one atomic INSERT: a replay hits the uniqueness constraint.
    Column("keyid", String(300), primary_key=True),
    Column("nonce", String(128), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),  # unix seconds
    Index("ix_seen_nonces_expires_at", "expires_at"),
)
