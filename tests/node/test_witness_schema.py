"""Migration 0003 creates exactly the witness and outbox tables the code declares."""

from __future__ import annotations

from node.app import make_engine
from node.db import upgrade
from node.outbox import metadata as outbox_metadata
from node.witness import metadata as witness_metadata
from tests.node.schema_drift import schema_drift


def test_migrated_schema_matches_table_definitions(database_url: str) -> None:
    ours, drift = schema_drift(database_url, witness_metadata, outbox_metadata)
    assert ours == {
        "witness_logs",
        "split_view_evidence",
        "peer_witness_keys",
        "outbox",
        "outbox_cursors",
        "inbox",
    }
    assert drift == []


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
