"""The service's alembic revision creates exactly the tables its code declares."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData

from node.app import make_engine
from node.auth.tables import metadata as auth_metadata
from node.peers.tables import metadata as peers_metadata

db = pytest.importorskip("node.db")


def _table_of(diff: object) -> str | None:
    """The table an alembic diff item is about (tables of other packages are ignored)."""
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        if isinstance(part, str) and part in {"api_tokens", "seen_nonces", "peers"}:
            return part
        name = getattr(getattr(part, "table", part), "name", None)
        if isinstance(name, str):
            return name
    return None


def test_migrated_schema_matches_table_definitions(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db.upgrade(database_url)
    combined = MetaData()
    for source in (auth_metadata, peers_metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), combined)
    finally:
        engine.dispose()
    ours = set(combined.tables)
    relevant = [d for d in diff if _table_of(d) in ours]
    assert relevant == []
    assert db.current_revision(database_url) is not None
