"""Tables of the connectors (created by migration ``0008_planning_connectors``).

* ``connector_webhooks``: per webhook source, its Frappe webhook secret (the
  shared HMAC key; never returned by the API, never logged).
* ``connector_deliveries``: every accepted delivery: body SHA-256 (unique per
  source: the same body twice is a replay), the document and its ``modified``
  stamp (an older or equal version of a document is refused as stale).
* ``connector_documents``: purchase orders and receipts imported from an ERP, in
  the governance document shape, for the documents service to take up.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, UniqueConstraint

__all__ = ["connector_deliveries", "connector_documents", "connector_webhooks", "metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

connector_webhooks = Table(
    "connector_webhooks",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("secret", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

connector_deliveries = Table(
    "connector_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("doctype", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    UniqueConstraint("source", "digest", name="uq_connector_deliveries_digest"),
)

connector_documents = Table(
    "connector_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("document_type", String(32), nullable=False),
    Column("number", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
)
