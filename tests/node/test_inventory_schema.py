"""The migrations (0004, 0011) create exactly the inventory and disclosure tables the
code declares."""

from __future__ import annotations

from node.disclosure._tables import metadata as disclosure_metadata
from node.inventory._tables import metadata as inventory_metadata
from tests.node.schema_drift import schema_drift


def test_migrated_schema_matches_the_table_definitions(database_url: str) -> None:
    ours, drift = schema_drift(database_url, inventory_metadata, disclosure_metadata)
    assert len(ours) == 8
    assert drift == []
