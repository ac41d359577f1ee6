"""The loaded tenant apps of one host process: built on first use, kept in a
bounded least-recently-used cache, each running its lifespan (background
workers) while loaded and shut down when evicted or when the host stops.

A loaded tenant's status is re-read from the registry every
``STATUS_RECHECK_S`` seconds, so a tenant suspended through another worker or
the CLI stops being served within that time (at once in the process that
suspended it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Final

from fastapi import FastAPI
from sqlalchemy import Engine

from node.api.node_log import HeldKeys
from node.settings import Settings
from node.tenancy._registry import ACTIVE, Tenant, TenantRegistry

__all__ = ["STATUS_RECHECK_S", "TenantApps", "tenant_settings"]

STATUS_RECHECK_S: Final = 5.0
_log = logging.getLogger("scnode.tenancy")


def tenant_settings(host: Settings, registry: TenantRegistry, tenant: Tenant) -> Settings:
    """The settings of a tenant's node app: its own home folder and database, the
    host's listener, public URL and intervals."""
    storage = registry.storage
    return Settings(
        home=storage.tenant_home(tenant.id),
        database_url=storage.tenant_url(tenant.id),
        tenancy="single",
        run_migrations=False,
        node_name=tenant.name,
        host=host.host,
        port=host.port,
        workers=host.workers,
        public_url=host.public_url,
        signature_tolerance_s=host.signature_tolerance_s,
        governance_sweep_s=host.governance_sweep_s,
        finance_cover_s=host.finance_cover_s,
        peer_slow_ms=host.peer_slow_ms,
    )


@dataclass
class _Loaded:
    app: FastAPI
    engine: Engine
    stack: AsyncExitStack
    checked: float


class TenantApps:
    """Tenant id → running node app, at most ``capacity`` at a time."""

    def __init__(self, host: Settings, registry: TenantRegistry, capacity: int) -> None:
        self.host = host
        self.registry = registry
        self.capacity = capacity
        self._loaded: OrderedDict[str, _Loaded] = OrderedDict()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._loaded)

    async def get(self, tenant_id: str) -> FastAPI | None:
        """The running app of an active tenant, else None (unknown or suspended)."""
        now = time.monotonic()
        loaded = self._loaded.get(tenant_id)
        if loaded is not None and now - loaded.checked < STATUS_RECHECK_S:
            self._loaded.move_to_end(tenant_id)
            return loaded.app
        async with self._lock:
            loaded = self._loaded.get(tenant_id)
            tenant = await asyncio.to_thread(self.registry.get, tenant_id)
            if tenant is None or tenant.status != ACTIVE:
                if loaded is not None:
                    await self._unload(tenant_id)
                return None
            if loaded is None:
                loaded = await self._load(tenant)
                self._loaded[tenant_id] = loaded
                while len(self._loaded) > self.capacity:
                    await self._unload(next(iter(self._loaded)))
            loaded.checked = time.monotonic()
            self._loaded.move_to_end(tenant_id)
            return loaded.app

    async def _load(self, tenant: Tenant) -> _Loaded:
        from node.app import create_app

        keys = await asyncio.to_thread(self.registry.keys, tenant.id)
        engine = self.registry.storage.engine_for(tenant.id)
        try:
            settings = tenant_settings(self.host, self.registry, tenant)
            app = create_app(settings, engine=engine, keys=HeldKeys(keys.node_keys(), keys.witness))
            app.state.tenant_id = tenant.id
            stack = AsyncExitStack()
            await stack.enter_async_context(app.router.lifespan_context(app))
        except BaseException:
            self.registry.storage.release(engine)
            raise
        return _Loaded(app, engine, stack, time.monotonic())

    async def _unload(self, tenant_id: str) -> None:
        loaded = self._loaded.pop(tenant_id, None)
        if loaded is None:
            return
        try:
            await loaded.stack.aclose()
        except Exception:  # noqa: BLE001  one tenant's failing shutdown must not stop the others
            _log.exception("tenant %s did not shut down cleanly", tenant_id)
        finally:
            self.registry.storage.release(loaded.engine)

    async def forget(self, tenant_id: str) -> None:
        """Shut down a tenant's app now (after it was suspended)."""
        async with self._lock:
            await self._unload(tenant_id)

    async def close(self) -> None:
        """Shut down every loaded tenant app (host shutdown)."""
        async with self._lock:
            while self._loaded:
                await self._unload(next(iter(self._loaded)))
