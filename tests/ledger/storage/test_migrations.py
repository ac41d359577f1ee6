"""The migrations create exactly the tables the store uses, from an installed package."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from ledger.storage import metadata
from node.db import DatabaseError, alembic_config, create_engine, current_revision, upgrade


def _ledger_tables_only(name: str | None, kind: str, _parent: object) -> bool:
    return kind != "table" or (name or "").startswith("ledger_")


def test_upgrade_creates_the_schema_of_the_store(database_url: str) -> None:
    assert current_revision(database_url) is None
    upgrade(database_url)
    upgrade(database_url)  # idempotent
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert current_revision(database_url) == head
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            assert {"ledger_logs", "ledger_entries", "ledger_nodes", "ledger_checkpoints"} <= names
            context = MigrationContext.configure(conn, opts={"include_name": _ledger_tables_only})
            diff = compare_metadata(context, metadata)
        assert diff == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://u:p@localhost/db", "postgresql+psycopg://u:p@127.0.0.1:1/none"]
)
def test_bad_urls_give_a_clear_error(url: str) -> None:
    with pytest.raises(DatabaseError) as info:
        upgrade(url)
    assert ":p@" not in str(info.value)  # no password in the message
