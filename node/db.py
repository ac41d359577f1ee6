"""The node's database: engines and schema migrations.

``create_engine(url)`` makes an engine the ledger store can rely on (SQLite: WAL,
busy timeout, ``synchronous=FULL``, foreign keys, ``BEGIN IMMEDIATE`` for writers;
see :mod:`ledger.storage`). ``upgrade(url)`` brings a database to the newest schema
with alembic; the alembic configuration is built here in code, so it works from an
installed package without any ``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from ledger.storage import configure_engine

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["DatabaseError", "alembic_config", "create_engine", "current_revision", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(Exception):
    """The database URL is invalid or the database cannot be reached or upgraded."""


def _check_url(url: str) -> str:
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise DatabaseError("not a valid database URL") from None
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseError(f"unsupported database {backend!r}: use sqlite:// or postgresql://")
    return backend


def create_engine(url: str, *, pool: bool = True, pool_size: int | None = None) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL) prepared for the ledger store.

    ``pool_size`` (PostgreSQL): connections kept open, as many again on demand
    (a multi-tenant host shares one pool among its tenants)."""
    backend = _check_url(url)
    if backend == "sqlite":
        args = {"connect_args": {"check_same_thread": False}}
        engine = (
            sqlalchemy.create_engine(url, **args)
            if pool
            else sqlalchemy.create_engine(url, poolclass=NullPool, **args)
        )
    elif pool and pool_size is not None:
        engine = sqlalchemy.create_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size
        )
    elif pool:
        engine = sqlalchemy.create_engine(url, pool_pre_ping=True)
    else:
        engine = sqlalchemy.create_engine(url, poolclass=NullPool)
    return configure_engine(engine)


def alembic_config(url: str) -> Config:
    """The alembic ``Config`` for ``url`` (script location: this package's migrations)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the newest)."""
    from alembic import command
    from sqlalchemy.exc import SQLAlchemyError

    _check_url(url)
    try:
        command.upgrade(alembic_config(url), revision)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        where = make_url(url).render_as_string(hide_password=True)
        raise DatabaseError(f"cannot upgrade the database {where}: {reason}") from exc


def current_revision(url: str) -> str | None:
    """The schema revision the database at ``url`` is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url, pool=False)
    try:
        with engine.connect() as conn:
            rev = MigrationContext.configure(conn).get_current_revision()
            return None if rev is None else str(rev)
    finally:
        engine.dispose()
