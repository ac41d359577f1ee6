"""The 0004 revision creates exactly the inventory and disclosure tables the code declares."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from node.app import make_engine
from node.db import upgrade
from node.disclosure._tables import metadata as disclosure_metadata
from node.inventory._tables import metadata as inventory_metadata


def _table(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(getattr(part, "table", part), "name", None)
        if isinstance(name, str):
            return name
        if isinstance(part, str):
            return part
    return None


def test_migrated_schema_matches_the_table_definitions(database_url: str) -> None:
    upgrade(database_url)
    combined = MetaData()
    for source in (inventory_metadata, disclosure_metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), combined)
    finally:
        engine.dispose()
    ours = set(combined.tables)
    assert len(ours) == 7
    assert [d for d in diff if _table(d) in ours] == []
