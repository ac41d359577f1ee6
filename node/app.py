"""The node service: ``create_app(settings)`` builds a FastAPI app.

Nothing happens at import time. Each call makes its own database engine, its own
metrics registry and (unless ``settings.run_migrations`` is off) brings the
database schema up to date first, so tests can build an app on a fresh database
and each uvicorn worker builds its own from ``SCNODE_*`` variables
(:func:`app_from_environment`, uvicorn's factory mode).

A multi-tenant host (``tenancy = "multi"``, :mod:`node.tenancy`) builds one such
app per tenant, handing it the tenant's engine and its unsealed keys.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from starlette.types import ASGIApp

from node.api.node_log import KeySource, NodeLog
from node.api.problems import install_problem_handlers, install_problem_openapi
from node.api.routes import (
    connectors,
    dashboard,
    documents,
    epcis,
    facts,
    finance,
    governance,
    health,
    inventory,
    ledger,
    peer_status,
    peers,
    planning,
    tokens,
    upload,
    witness,
)
from node.api.services import Services
from node.api.text_guard import JsonTextGuard
from node.finance import start_finance
from node.governance import freeze_heap, governance_service, start_governance
from node.metrics import Metrics, MetricsMiddleware, NodeState
from node.peers.tables import peers as peers_table
from node.settings import Settings, SettingsError, load_settings

__all__ = ["Services", "app_from_environment", "create_app", "make_engine", "upgrade_database"]


def make_engine(url: str) -> Engine:
    """An engine for the node database, prepared as the ledger store needs it
    (``node.db.create_engine``: SQLite WAL, busy timeout, write transactions)."""
    from node.db import create_engine

    return create_engine(url)


def upgrade_database(url: str) -> None:
    """Run the schema migrations (``node.db.upgrade``) on ``url``."""
    from node.db import upgrade

    upgrade(url)


def _state_reader(engine: Engine, node_log: NodeLog) -> NodeState:
    with engine.connect() as conn:
        active = conn.execute(
            select(func.count()).select_from(peers_table).where(peers_table.c.status == "active")
        ).scalar_one()
    store = node_log.store_if_ready()
    if store is None:
        return NodeState(peers_active=int(active))
    latest = store.checkpoint()
    age = 0.0 if latest is None else max(0.0, time.time() - latest.signed_ms / 1000)
    from node.documents import delivery_gauges
    from node.outbox import peer_gauges

    lag, waiting = peer_gauges(engine)
    documents = delivery_gauges(engine, int(time.time() * 1000))
    return NodeState(
        ledger_size=store.size(),
        checkpoint_age_s=age,
        peers_active=int(active),
        peer_lag_entries=lag,
        outbox_depth=waiting,
        document_queue=documents.waiting,
        document_oldest_s=documents.oldest_age_s,
        documents_refused=documents.refused,
    )


def create_app(
    settings: Settings, *, engine: Engine | None = None, keys: KeySource | None = None
) -> FastAPI:
    """Build the node service for ``settings``.

    ``engine``: the database to use instead of one made from ``settings`` (not
    migrated here and not disposed at shutdown: its owner does both); ``keys``:
    where the node's keys come from instead of the home folder's key files. A
    multi-tenant host passes both for each tenant (see :mod:`node.tenancy`).
    """
    if settings.tenancy != "single":
        raise SettingsError(
            "multi-tenant hosting (tenancy = 'multi') is served by node.tenancy.create_host,"
            " not by create_app"
        )
    owns_engine = engine is None
    if engine is None:
        if settings.run_migrations:
            upgrade_database(settings.database_url)
        engine = make_engine(settings.database_url)
    node_log = NodeLog(settings, engine, keys)
    metrics = Metrics(lambda: _state_reader(engine, node_log))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop_governance = start_governance(_app)
        stop_finance = start_finance(_app)
        if getattr(_app.state, "freeze_heap", False):
            # A served process: the governance metrics out of the collector's reach
            # (full collections over them were the health query's p99 outliers).
            freeze_heap(governance_service(_app))
        yield
        await stop_finance()
        await stop_governance()
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="scnode",
        version="0.1.0",
        summary="Supply-chain collaboration network node",
        description="API of a scnode node. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
    )
    app.state.services = Services(settings=settings, engine=engine, metrics=metrics)
    app.state.node_log = node_log
    install_problem_handlers(app)
    install_problem_openapi(app)
    app.add_middleware(JsonTextGuard)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for router in (
        health.router,
        tokens.router,
        peer_status.router,
        peers.router,
        ledger.router,
        witness.router,
        inventory.router,
        facts.router,
        documents.router,
        epcis.router,
        governance.router,
        dashboard.router,
        finance.router,
        planning.router,
        connectors.router,
        upload.router,
    ):
        app.include_router(router)
    return app


def app_from_environment() -> ASGIApp:
    """uvicorn factory: settings from ``SCNODE_*`` variables and the home folder
    (``tenancy = "multi"``: the multi-tenant host of :mod:`node.tenancy`)."""
    settings = load_settings()
    if settings.tenancy == "multi":
        from node.tenancy import create_host

        return create_host(settings)
    app = create_app(settings)
    app.state.freeze_heap = True  # one long-lived app per process (uvicorn worker)
    return app
