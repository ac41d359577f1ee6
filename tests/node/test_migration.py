"""The service's alembic revision creates exactly the tables its code declares."""

from __future__ import annotations

import pytest

from node.auth.tables import metadata as auth_metadata
from node.peers.tables import metadata as peers_metadata
from tests.node.schema_drift import schema_drift

db = pytest.importorskip("node.db")


def test_migrated_schema_matches_table_definitions(database_url: str) -> None:
    _ours, drift = schema_drift(database_url, auth_metadata, peers_metadata)
    assert drift == []
    assert db.current_revision(database_url) is not None
