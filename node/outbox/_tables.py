"""Tables of the outbox and the inbox (created by migration ``0003_witness_outbox``).

* ``outbox``: one row per message for one peer, numbered ``seq`` 1, 2, ... per
  peer; delivered strictly in that order. ``idempotency_key`` is fixed at enqueue
  time, so a resend after a crash carries the same key.
* ``outbox_cursors``: per peer, the last ledger entry and checkpoint size queued,
  so that queuing from the ledger is resumable and never skips or repeats.
* ``inbox``: what peers delivered to this node, one row per (peer, seq), with the
  idempotency key unique per peer: a duplicate delivery is recognised, not stored.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["inbox", "metadata", "outbox", "outbox_cursors"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("peer_id", String(32), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_ms", BigInteger, nullable=False),
    Column("delivered_ms", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("peer_id", "seq", name="uq_outbox_peer_seq"),
    Index("ix_outbox_pending", "peer_id", "delivered_ms", "seq"),
)

outbox_cursors = Table(
    "outbox_cursors",
    metadata,
    Column("peer_id", String(32), primary_key=True),
    Column("next_seq", BigInteger, nullable=False),
    Column("entries_queued", BigInteger, nullable=False),
    Column("checkpoint_queued", BigInteger, nullable=False),
)

inbox = Table(
    "inbox",
    metadata,
    Column("peer_id", String(32), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("idempotency_key", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    UniqueConstraint("peer_id", "idempotency_key", name="uq_inbox_peer_key"),
)
