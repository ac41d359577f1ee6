"""The node service: ``create_app(settings)`` builds a FastAPI app.

Nothing happens at import time. Each call makes its own database engine, its own
metrics registry and (unless ``settings.run_migrations`` is off) brings the
database schema up to date first, so tests can build an app on a fresh database
and each uvicorn worker builds its own from ``SCNODE_*`` variables
(:func:`app_from_environment`, uvicorn's factory mode).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from node.api.problems import install_problem_handlers, install_problem_openapi
from node.api.routes import health, peers, tokens
from node.api.services import Services
from node.metrics import Metrics, NodeState
from node.peers.tables import peers as peers_table
from node.settings import Settings, SettingsError, load_settings

__all__ = ["Services", "app_from_environment", "create_app", "make_engine", "upgrade_database"]

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str) -> Engine:
    """An engine for the node database (SQLite: WAL, foreign keys, busy timeout)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade_database(url: str) -> None:
    """Run the schema migrations (``node.db.upgrade``) on ``url``."""
    try:
        db = importlib.import_module("node.db")
    except ImportError as exc:  # pragma: no cover - node.db ships with the package
        raise RuntimeError("schema migrations are not available (node.db missing)") from exc
    db.upgrade(url)


def _state_reader(engine: Engine) -> NodeState:
    with engine.connect() as conn:
        active = conn.execute(
            select(func.count()).select_from(peers_table).where(peers_table.c.status == "active")
        ).scalar_one()
    return NodeState(peers_active=int(active))


def create_app(settings: Settings) -> FastAPI:
    """Build the node service for ``settings``."""
    if settings.tenancy != "single":
        raise SettingsError("multi-tenant hosting (tenancy = 'multi') is not available yet")
    if settings.run_migrations:
        upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    metrics = Metrics(lambda: _state_reader(engine))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="scnode",
        version="0.1.0",
        summary="Supply-chain collaboration network node",
        description="API of a scnode node. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
    )
    app.state.services = Services(settings=settings, engine=engine, metrics=metrics)
    app.state.started_at = datetime.now(UTC)
    install_problem_handlers(app)
    install_problem_openapi(app)
    app.middleware("http")(metrics.middleware)
    for router in (health.router, tokens.router, peers.router):
        app.include_router(router)
    return app


def app_from_environment() -> FastAPI:
    """uvicorn factory: settings from ``SCNODE_*`` variables and the home folder."""
    return create_app(load_settings())
