"""Tables of the planning service (created by migration ``0008_planning_connectors``).

* ``planning_messages``: every forecast and capacity report this node sent or
  received (plaintext, point to point: it stays in this database), with its hash,
  the ledger entry recording that hash, and — for sent ones — delivery state.
* ``planning_gaps``: the gaps found between a forecast and a capacity report.
* ``planning_facts``: capacity facts this node proved: the ledger entry, the sku
  and salt behind the subject, and the secret openings (never leave the node,
  except demand openings disclosed to the customer).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, UniqueConstraint

__all__ = ["metadata", "planning_facts", "planning_gaps", "planning_messages"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

planning_messages = Table(
    "planning_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("direction", String(8), nullable=False),  # sent | received
    Column("peer_id", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # forecast | capacity
    Column("ref", String(200), nullable=False),  # forecast_id or capacity_id
    Column("hash", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("seq", BigInteger, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("delivered_ms", BigInteger, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_ms", BigInteger, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("direction", "peer_id", "hash", name="uq_planning_messages_hash"),
)

planning_gaps = Table(
    "planning_gaps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("peer_id", String(200), nullable=False),
    Column("forecast_hash", String(64), nullable=False),
    Column("capacity_hash", String(64), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("group_id", String(200), nullable=True),
    Column("skus", Text, nullable=False),
    Column("week", String(8), nullable=False),
    Column("demand", BigInteger, nullable=False),
    Column("actual", BigInteger, nullable=True),
    Column("maximum", BigInteger, nullable=True),
    Column("committed", BigInteger, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

planning_facts = Table(
    "planning_facts",
    metadata,
    Column("fact_id", String(100), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("sku", String(200), nullable=False),
    Column("salt", String(64), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("weeks", Text, nullable=False),  # [[week, capacity, demand], ...] plaintext
    Column("openings", Text, nullable=False),  # {week: {capacity, demand}} hex, secret
    Column("created_ms", BigInteger, nullable=False),
)
