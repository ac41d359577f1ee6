"""Where each tenant's data lives, isolated by construction.

PostgreSQL: one schema per tenant (``t_<id>``) in the host's database, reached
through one engine (one connection pool per process) that all tenants share and
the host never uses itself: a tenant's engine is
``engine.execution_options(schema_translate_map={None: schema})`` and sets the
session's ``search_path`` to the tenant's schema alone on every connection it
checks out, so table statements, the store's driver-level SQL and raw DBAPI
reads all resolve to the tenant's own tables, and no name resolves to the host's
or another tenant's.

SQLite: one database file per tenant in its home folder.

New tenants get the schema of the newest migration in one transaction (the
migrations' DDL rendered once per process by alembic, then run in the tenant's
schema: a tenant is created whole or not at all); existing tenants are upgraded
with alembic online, version table in their own schema.
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from node.db import DatabaseError, alembic_config, create_engine, upgrade

__all__ = [
    "TENANT_DATABASE_FILE",
    "TENANT_ID_RE",
    "TenantStorage",
    "tenant_schema",
]

TENANT_ID_RE: Final = re.compile(r"^[0-9a-f]{16}$")
TENANT_DATABASE_FILE: Final = "scnode.sqlite"
TENANTS_DIR: Final = "tenants"
SCHEMA_PREFIX: Final = "t_"
TENANT_POOL_SIZE: Final = 8
HOST_POOL_SIZE: Final = 2

_ddl_lock = threading.Lock()
_ddl_cache: dict[str, str] = {}


def tenant_schema(tenant_id: str) -> str:
    """The PostgreSQL schema of ``tenant_id`` (ids are checked: 16 hex digits)."""
    if not TENANT_ID_RE.fullmatch(tenant_id):
        raise ValueError("a tenant id is 16 lowercase hex digits")
    return SCHEMA_PREFIX + tenant_id


def _scope_connections(engine: Engine, schema: str) -> None:
    """Point every connection ``engine`` checks out at ``schema``.

    SQLAlchemy connections and driver-level reads both get their DBAPI connection
    from ``engine.raw_connection()``; the override sets the session's search path
    (in autocommit, so no transaction is left open and no rollback undoes it)
    before handing the connection out. Only tenant engines use the tenants' pool,
    and each sets its own path on every checkout."""
    original = engine.raw_connection
    statement = f"SET search_path TO {schema}"

    def raw_connection() -> Any:
        conn = original()
        try:
            dbapi = conn.dbapi_connection
            dbapi.autocommit = True  # type: ignore[union-attr]
            try:
                dbapi.execute(statement)  # type: ignore[union-attr]
            finally:
                dbapi.autocommit = False  # type: ignore[union-attr]
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        return conn

    setattr(engine, "raw_connection", raw_connection)  # noqa: B010  an instance override


def _alembic_script() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("postgresql://"))


def head_revision() -> str:
    """The newest schema revision of the migrations."""
    with _ddl_lock:
        if "head" not in _ddl_cache:
            _ddl_cache["head"] = str(_alembic_script().get_current_head())
        return _ddl_cache["head"]


def _head_ddl() -> str:
    """The DDL of every migration up to head, for PostgreSQL, unqualified names."""
    with _ddl_lock:
        if "postgresql" not in _ddl_cache:
            from alembic.runtime.environment import EnvironmentContext

            config = alembic_config("postgresql://")
            script = _alembic_script()
            out = io.StringIO()

            def revisions(rev: Any, _context: Any) -> Any:
                return script._upgrade_revs("head", rev)

            with EnvironmentContext(
                config, script, fn=revisions, as_sql=True, starting_rev=None, destination_rev="head"
            ) as env:
                env.configure(
                    dialect_name="postgresql",
                    output_buffer=out,
                    literal_binds=True,
                    transactional_ddl=False,
                )
                with env.begin_transaction():
                    env.run_migrations()
            _ddl_cache["postgresql"] = out.getvalue()
        return _ddl_cache["postgresql"]


class TenantStorage:
    """The host's database and the tenants' storage in it (or beside it)."""

    def __init__(self, host_url: str, home: Path) -> None:
        self.host_url = host_url
        self.home = home
        self.backend = make_url(host_url).get_backend_name()
        self.engine = create_engine(host_url, pool_size=HOST_POOL_SIZE)
        self._tenants_engine: Engine | None = None
        self._lock = threading.Lock()

    def _tenant_pool(self) -> Engine:
        """The one engine (connection pool) all tenants share; never used unscoped."""
        with self._lock:
            if self._tenants_engine is None:
                self._tenants_engine = create_engine(self.host_url, pool_size=TENANT_POOL_SIZE)
            return self._tenants_engine

    def dispose(self) -> None:
        self.engine.dispose()
        if self._tenants_engine is not None:
            self._tenants_engine.dispose()

    def tenant_home(self, tenant_id: str) -> Path:
        tenant_schema(tenant_id)  # validates the id before it becomes a path
        return self.home / TENANTS_DIR / tenant_id

    def tenant_url(self, tenant_id: str) -> str:
        """The database URL a tenant's settings name (PostgreSQL: the host's)."""
        if self.backend == "postgresql":
            return self.host_url
        return f"sqlite:///{(self.tenant_home(tenant_id) / TENANT_DATABASE_FILE).absolute()}"

    def engine_for(self, tenant_id: str) -> Engine:
        """An engine that sees only ``tenant_id``'s tables."""
        if self.backend == "postgresql":
            schema = tenant_schema(tenant_id)
            engine = self._tenant_pool().execution_options(schema_translate_map={None: schema})
            _scope_connections(engine, schema)
            return engine
        return create_engine(self.tenant_url(tenant_id))

    def release(self, engine: Engine) -> None:
        """Give back an engine of :meth:`engine_for` (SQLite: closes its file)."""
        if self.backend != "postgresql":
            engine.dispose()

    def make_home(self, tenant_id: str) -> Path:
        home = self.tenant_home(tenant_id)
        home.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        home.mkdir(mode=0o700, exist_ok=True)
        return home

    def provision(self, tenant_id: str) -> None:
        """Create the tenant's storage at the newest schema (all or nothing on PostgreSQL)."""
        self.make_home(tenant_id)
        if self.backend == "postgresql":
            schema = tenant_schema(tenant_id)
            ddl = _head_ddl()
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
                conn.exec_driver_sql(f"SET LOCAL search_path TO {schema}")
                conn.exec_driver_sql(ddl)
            return
        path = self.tenant_home(tenant_id) / TENANT_DATABASE_FILE
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        upgrade(self.tenant_url(tenant_id))

    def revision(self, tenant_id: str) -> str | None:
        """The schema revision of the tenant's storage (None: not migrated)."""
        from alembic.runtime.migration import MigrationContext

        engine = self.engine_for(tenant_id)
        try:
            with engine.connect() as conn:
                rev = MigrationContext.configure(conn).get_current_revision()
        finally:
            self.release(engine)
        return None if rev is None else str(rev)

    def upgrade(self, tenant_id: str) -> None:
        """Bring an existing tenant's storage to the newest schema (a no-op if it is)."""
        if self.revision(tenant_id) == head_revision():
            return
        if self.backend != "postgresql":
            upgrade(self.tenant_url(tenant_id))
            return
        from alembic.runtime.environment import EnvironmentContext
        from sqlalchemy.exc import SQLAlchemyError

        script = _alembic_script()
        engine = self.engine_for(tenant_id)

        def revisions(rev: Any, _context: Any) -> Any:
            return script._upgrade_revs("head", rev)

        try:
            with engine.connect() as conn:
                with EnvironmentContext(
                    alembic_config(self.host_url), script, fn=revisions, destination_rev="head"
                ) as env:
                    env.configure(connection=conn)
                    with env.begin_transaction():
                        env.run_migrations()
                conn.commit()
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
            raise DatabaseError(f"cannot upgrade tenant {tenant_id}: {reason}") from exc

    def drop(self, tenant_id: str) -> None:
        """Delete the tenant's storage (its schema, or its database file)."""
        if self.backend == "postgresql":
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {tenant_schema(tenant_id)} CASCADE")
            return
        for suffix in ("", "-wal", "-shm"):
            (self.tenant_home(tenant_id) / (TENANT_DATABASE_FILE + suffix)).unlink(missing_ok=True)
