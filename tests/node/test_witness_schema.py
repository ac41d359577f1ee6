"""Migration 0003 creates exactly the witness and outbox tables the code declares."""

from __future__ import annotations

from sqlalchemy import MetaData

from node.app import make_engine
from node.db import upgrade
from node.outbox import metadata as outbox_metadata
from node.witness import metadata as witness_metadata


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        name = getattr(getattr(part, "table", part), "name", None)
        if isinstance(name, str):
            return name
        if isinstance(part, str):
            return part
    return None


def test_migrated_schema_matches_table_definitions(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(database_url)
    combined = MetaData()
    for source in (witness_metadata, outbox_metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), combined)
    finally:
        engine.dispose()
    ours = set(combined.tables)
    assert ours == {
        "witness_logs",
        "split_view_evidence",
        "peer_witness_keys",
        "outbox",
        "outbox_cursors",
        "inbox",
    }
    relevant = [d for d in diff if _table_of(d) in ours]
    assert relevant == []


def test_downgrade_removes_the_tables(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from node.db import alembic_config

    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "0002_node_service")
    engine = make_engine(database_url)
    try:
        names = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert not names & {"witness_logs", "outbox", "inbox", "split_view_evidence"}
    upgrade(database_url)
