"""The multi-tenant host: one ASGI app in front of many tenant node apps.

Routes of the host itself: ``/healthz``, ``/metrics`` and the tenant registry
under ``/v1/tenants`` (host admin tokens only: ``scnode token create`` on the
host's home). Everything under ``/t/<tenant id>/`` goes to that tenant's own
node app: ``scope["path"]`` stays whole and ``/t/<id>`` is appended to
``scope["root_path"]``, so the tenant app routes as usual while the request URL
it sees (and the ``@path`` / ``@target-uri`` its peers signed) is the one the
client used. An unknown or suspended tenant is a 404 problem.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from node.api.deps import require_role
from node.api.problems import (
    PROBLEM_BASE,
    PROBLEM_MEDIA_TYPE,
    ProblemError,
    install_problem_handlers,
    problem_responses,
)
from node.api.routes import health
from node.api.services import Services
from node.api.text_guard import JsonTextGuard
from node.auth.principal import Principal
from node.auth.roles import Role
from node.metrics import Metrics, MetricsMiddleware, NodeState
from node.settings import Settings
from node.tenancy._apps import TenantApps
from node.tenancy._registry import ACTIVE, SUSPENDED, Tenant, TenantError, TenantRegistry
from node.tenancy._storage import TENANT_ID_RE, TenantStorage

__all__ = ["TENANT_PREFIX", "TenantDispatcher", "create_host", "host_registry"]

TENANT_PREFIX: Final = "/t/"

HostAdmin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


class TenantCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(
        min_length=1,
        max_length=200,
        description="The tenant's node name: its ledger origin and key name",
        examples=["modules.example/node"],
    )


class TenantOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    status: str
    created_ms: int
    vkey: str = Field(description="The tenant's checkpoint verifier key (peers pin it)")
    path: str = Field(description="The tenant's API prefix on this host, e.g. /t/<id>")


class TenantCreated(TenantOut):
    token: str = Field(description="The tenant's first admin token; shown only this once")


def _out(tenant: Tenant) -> dict[str, Any]:
    return {**tenant.public(), "path": TENANT_PREFIX + tenant.id}


def host_registry(settings: Settings) -> TenantRegistry:
    """The tenant registry of the host in ``settings`` (the caller disposes
    ``registry.storage``)."""
    return TenantRegistry(
        TenantStorage(settings.database_url, settings.home), settings.master_key_path
    )


class _LoadedCollector(Collector):
    def __init__(self, apps: TenantApps) -> None:
        self.apps = apps

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "scnode_tenants_loaded", "Tenant apps loaded in this process", value=len(self.apps)
        )


def _not_found(scope: Scope) -> JSONResponse:
    return JSONResponse(
        {
            "type": PROBLEM_BASE + "no-such-tenant",
            "title": "No such tenant",
            "status": 404,
            "detail": "no active tenant with this id on this host",
            "instance": scope.get("path", ""),
        },
        status_code=404,
        media_type=PROBLEM_MEDIA_TYPE,
    )


class TenantDispatcher:
    """ASGI: ``/t/<id>/...`` to the tenant's app, everything else to the host app."""

    def __init__(self, host: FastAPI, apps: TenantApps) -> None:
        self.host = host
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            root = str(scope.get("root_path", ""))
            path = str(scope["path"])
            local = path[len(root) :] if root and path.startswith(root) else path
            if local.startswith(TENANT_PREFIX):
                tenant_id, _, _rest = local[len(TENANT_PREFIX) :].partition("/")
                app = await self.apps.get(tenant_id) if TENANT_ID_RE.fullmatch(tenant_id) else None
                if app is None:
                    if scope["type"] == "http":
                        await _not_found(scope)(scope, receive, send)
                    return
                child = dict(scope)
                child["root_path"] = root + TENANT_PREFIX + tenant_id
                await app(child, receive, send)
                return
        await self.host(scope, receive, send)


def create_host(settings: Settings) -> ASGIApp:
    """The multi-tenant host for ``settings`` (uvicorn factory: one per worker)."""
    registry = host_registry(settings)
    if settings.run_migrations:
        from node.db import upgrade

        upgrade(settings.database_url)
        registry.upgrade_all()
    apps = TenantApps(settings, registry, settings.tenant_cache)
    metrics = Metrics(NodeState)
    metrics.registry.register(_LoadedCollector(apps))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await apps.close()
            registry.storage.dispose()

    api = FastAPI(
        title="scnode host",
        version="0.1.0",
        summary="Multi-tenant host of scnode light nodes",
        description="Tenant registry of a scnode host; each tenant's own node API is "
        "under /t/{tenant_id}/. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
    )
    api.state.services = Services(settings=settings, engine=registry.engine, metrics=metrics)
    api.state.tenant_apps = apps
    api.state.registry = registry
    install_problem_handlers(api)
    api.add_middleware(JsonTextGuard)
    api.add_middleware(MetricsMiddleware, metrics=metrics)
    api.include_router(health.router)

    @api.post(
        "/v1/tenants",
        status_code=201,
        response_model=TenantCreated,
        responses=problem_responses(400, 401, 403, 409),
        tags=["tenants"],
    )
    def create_tenant(body: TenantCreate, _admin: HostAdmin) -> dict[str, Any]:
        """Onboard a tenant: keys, ledger and first admin token (returned once)."""
        try:
            made = registry.create(body.name, now_ms=time.time_ns() // 1_000_000)
        except TenantError as exc:
            status = 409 if "already exists" in str(exc) else 400
            raise ProblemError(status, "tenant", str(exc), title="Tenant not created") from None
        return {**_out(made.tenant), "token": made.token}

    @api.get(
        "/v1/tenants",
        response_model=list[TenantOut],
        responses=problem_responses(401, 403),
        tags=["tenants"],
    )
    def list_tenants(_admin: HostAdmin) -> list[dict[str, Any]]:
        """Every tenant of this host (never any key or token)."""
        return [_out(t) for t in registry.all()]

    async def _set_status(tenant_id: str, status: str) -> dict[str, Any]:
        try:
            tenant = await asyncio.to_thread(registry.set_status, tenant_id, status)
        except TenantError:
            raise ProblemError(
                404, "no-such-tenant", "no tenant with this id", title="No such tenant"
            ) from None
        if status != ACTIVE:
            await apps.forget(tenant_id)
        return _out(tenant)

    @api.post(
        "/v1/tenants/{tenant_id}/suspend",
        response_model=TenantOut,
        responses=problem_responses(401, 403, 404),
        tags=["tenants"],
    )
    async def suspend_tenant(tenant_id: str, _admin: HostAdmin) -> dict[str, Any]:
        """Stop serving a tenant (its data and keys are kept)."""
        return await _set_status(tenant_id, SUSPENDED)

    @api.post(
        "/v1/tenants/{tenant_id}/resume",
        response_model=TenantOut,
        responses=problem_responses(401, 403, 404),
        tags=["tenants"],
    )
    async def resume_tenant(tenant_id: str, _admin: HostAdmin) -> dict[str, Any]:
        """Serve a suspended tenant again."""
        return await _set_status(tenant_id, ACTIVE)

    return TenantDispatcher(api, apps)
