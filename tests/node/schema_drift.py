"""Does a migrated database hold exactly the tables the code declares?

Shared by the schema tests of each package: migrate a fresh database, compare it
with the package's table definitions (alembic autogenerate), keep the differences
about the package's own tables.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from node.app import make_engine
from node.db import upgrade

__all__ = ["schema_drift"]


def _table_of(diff: object) -> str | None:
    """The table an alembic diff item is about."""
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        name = getattr(getattr(part, "table", part), "name", None)
        if isinstance(name, str):
            return name
        if isinstance(part, str):
            return part
    return None


def schema_drift(database_url: str, *sources: MetaData) -> tuple[set[str], list[object]]:
    """Migrate ``database_url``; (the tables of ``sources``, the differences about them)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(database_url)
    combined = MetaData()
    for source in sources:
        for table in source.tables.values():
            table.to_metadata(combined)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), combined)
    finally:
        engine.dispose()
    ours = set(combined.tables)
    return ours, [d for d in diff if _table_of(d) in ours]
