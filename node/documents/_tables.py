"""Tables of the documents service (created by migration ``0006_documents``).

* ``documents``: one row per signed document this node sent or received, in the
  order the chain's state machine accepted them (``id``). ``body`` is the signed
  wire form (plaintext: it stays in this database). Sent documents carry their
  delivery state: ``delivered_ms`` once the counterparty acknowledged them,
  ``refused`` if it refused them for good, else ``attempts``/``next_attempt_ms``.
* ``document_findings``: governance findings raised by a document.
* ``document_events``: the change feed behind ``GET /v1/documents/events``.
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
)

__all__ = ["document_events", "document_findings", "documents", "metadata"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("doc_id", String(240), nullable=False),
    Column("type", String(32), nullable=False),
    Column("chain_id", String(420), nullable=False),
    Column("author", String(200), nullable=False),
    Column("counterparty", String(200), nullable=False),
    Column("peer_id", String(32), nullable=False),
    Column("direction", String(8), nullable=False),  # sent | received
    Column("body", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("ledger_seq", BigInteger, nullable=True),
    Column("delivered_ms", BigInteger, nullable=True),
    Column("refused", Text, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_ms", BigInteger, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Index("ix_documents_chain", "chain_id", "id"),
    Index("uq_documents_chain_doc", "chain_id", "doc_id", unique=True),
)

document_findings = Table(
    "document_findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(64), nullable=False, index=True),
    Column("finding", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

document_events = Table(
    "document_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(64), nullable=False),
    Column("event", String(16), nullable=False),  # sent | received | delivered | refused
    Column("counterparty", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)
