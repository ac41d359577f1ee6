"""The owner's private inventory tables (plaintext and openings never leave them
except through a route that asked :func:`node.disclosure.evaluate`)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "inventory_exceptions",
    "inventory_findings",
    "inventory_items",
    "inventory_movements",
    "inventory_positions",
    "inventory_snapshots",
    "metadata",
]

metadata = MetaData()

# One row per item (sku, site, lot): the salt of its public subject hash.
inventory_items = Table(
    "inventory_items",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("sku", String(200), nullable=False),
    Column("location", String(200), nullable=False),  # '' when none
    Column("lot", String(200), nullable=False),  # '' when none
    Column("salt", String(64), nullable=False),
    UniqueConstraint("sku", "location", "lot", name="uq_inventory_items_key"),
)

inventory_snapshots = Table(
    "inventory_snapshots",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("state", String(16), nullable=False),  # pending | published
    Column("seq", BigInteger, nullable=True),
    Column("leaf_hash", String(64), nullable=True),
    Column("checkpoint_size", BigInteger, nullable=True),
    Column("source", String(64), nullable=True),
    Column("profile_version", Integer, nullable=True),
    Column("rule_set", String(200), nullable=False),
    Column("rule_set_digest", String(71), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    Column("position_count", Integer, nullable=False),
    Column("body_digest", String(71), nullable=False),
    Column("published_by", String(200), nullable=False),
)

inventory_positions = Table(
    "inventory_positions",
    metadata,
    Column("snapshot_id", String(32), nullable=False),
    Column("n", Integer, nullable=False),
    Column("subject", String(64), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("location", String(200), nullable=True),
    Column("lot", String(200), nullable=True),
    Column("as_of_ms", BigInteger, nullable=False),
    Column("uom", String(64), nullable=True),
    Column("quantities", Text, nullable=False),  # JSON bucket -> integer (plaintext)
    Column("safety_stock", Text, nullable=True),  # decimal text (plaintext)
    Column("extras", Text, nullable=False),  # JSON: other attributes and figures
    Column("commitments", Text, nullable=False),  # JSON name -> hex
    Column("openings", Text, nullable=False),  # JSON name -> hex (secret)
    Column("facts", Text, nullable=False),  # JSON list, as in the ledger entry
    PrimaryKeyConstraint("snapshot_id", "n", name="pk_inventory_positions"),
    Index("ix_inventory_positions_sku", "sku", "location"),
    Index("ix_inventory_positions_subject", "subject"),
)

inventory_findings = Table(
    "inventory_findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("snapshot_id", String(32), nullable=False),
    Column("n", Integer, nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("rule_set", String(200), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("field", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_inventory_findings_snapshot", "snapshot_id"),
)

inventory_exceptions = Table(
    "inventory_exceptions",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("snapshot_id", String(32), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("document", Text, nullable=False),  # governance case_to_dict JSON (private)
    Column("opened_ms", BigInteger, nullable=False),
    Index("ix_inventory_exceptions_subject", "subject", "type"),
)

# The document effects (and adjustments) each snapshot's sum statements consumed:
# one row per term, with the quantity and the opening of its commitment (secret).
# A document's effect on an item's bucket is consumed once (the unique key).
inventory_movements = Table(
    "inventory_movements",
    metadata,
    Column("snapshot_id", String(32), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("bucket", String(32), nullable=False),
    Column("n", Integer, nullable=False),
    Column("document", String(64), nullable=True),  # None for an adjustment term
    Column("document_seq", BigInteger, nullable=True),
    Column("direction", String(3), nullable=False),  # in | out
    Column("quantity", Text, nullable=False),  # plaintext
    Column("commitment", String(66), nullable=False),
    Column("opening", Text, nullable=False),  # hex (secret)
    PrimaryKeyConstraint("snapshot_id", "subject", "bucket", "n", name="pk_inventory_movements"),
    UniqueConstraint(
        "document", "subject", "bucket", "direction", name="uq_inventory_movements_document"
    ),
    Index("ix_inventory_movements_document", "document"),
)
