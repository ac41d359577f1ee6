"""Alembic environment: the URL comes from ``node.db.upgrade`` (config attributes)."""

from __future__ import annotations

from alembic import context

from ledger.storage import metadata
from node.db import create_engine

config = context.config
_given = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
if not isinstance(_given, str) or not _given:
    raise RuntimeError("no database URL: run migrations with node.db.upgrade(url)")
url: str = _given


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(url, pool=False)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
