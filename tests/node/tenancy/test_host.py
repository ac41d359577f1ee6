"""The host's dispatch: lazy tenant apps in a bounded cache, their lifespans,
suspension, and request URLs under ``/t/<id>``."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.tenancy import SUSPENDED, TenantDispatcher, host_registry
from tests.node.tenancy.support import running_host

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _worker_running(app: object) -> bool:
    worker = app.state.peer_worker  # type: ignore[attr-defined]
    thread = worker._thread
    return thread is not None and thread.is_alive()


@SQLITE_ONLY
def test_tenant_apps_are_loaded_lazily_and_evicted_beyond_the_cache(
    database_url: str, tmp_path: Path
) -> None:
    with running_host(database_url, tmp_path, tenant_cache=1) as host:
        dispatcher = host.client.app
        assert isinstance(dispatcher, TenantDispatcher)
        apps = dispatcher.apps
        a = host.create_tenant("a.example/node")
        b = host.create_tenant("b.example/node")
        assert len(apps) == 0  # nothing loaded before first use
        assert host.client.get(f"{a.prefix}/healthz").json()["node_name"] == a.name
        first = apps._loaded[a.id].app
        assert _worker_running(first)
        assert host.client.get(f"{b.prefix}/healthz").json()["node_name"] == b.name
        assert list(apps._loaded) == [b.id]  # A was shut down to make room
        assert not _worker_running(first)
        again = host.client.get(f"{a.prefix}/v1/tokens", headers=a.auth())
        assert again.status_code == 200  # reloaded on demand, same data
        last = apps._loaded[a.id].app
    assert not _worker_running(last)  # host shutdown stops every tenant app


@SQLITE_ONLY
def test_a_tenant_suspended_elsewhere_stops_being_served(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_host(database_url, tmp_path) as host:
        a = host.create_tenant("a.example/node")
        assert host.client.get(f"{a.prefix}/v1/tokens", headers=a.auth()).status_code == 200
        registry = host_registry(host.settings)  # as the CLI or another worker would
        try:
            registry.set_status(a.id, SUSPENDED)
        finally:
            registry.storage.dispose()
        monkeypatch.setattr("node.tenancy._apps.STATUS_RECHECK_S", 0.0)
        gone = host.client.get(f"{a.prefix}/v1/tokens", headers=a.auth())
        assert gone.status_code == 404
        assert gone.json()["type"].endswith("/no-such-tenant")
        resumed = host.client.post(f"/v1/tenants/{a.id}/resume", headers=host.admin())
        assert resumed.json()["status"] == "active"
        assert host.client.get(f"{a.prefix}/v1/tokens", headers=a.auth()).status_code == 200


@SQLITE_ONLY
def test_the_tenant_app_sees_the_whole_request_path(database_url: str, tmp_path: Path) -> None:
    with running_host(database_url, tmp_path) as host:
        a = host.create_tenant("a.example/node")
        missing = host.client.get(f"{a.prefix}/v1/no-such-route", headers=a.auth())
        assert missing.status_code == 404
        assert missing.json()["instance"] == f"{a.prefix}/v1/no-such-route"
        spec = host.client.get(f"{a.prefix}/openapi.json").json()
        assert spec["servers"] == [{"url": a.prefix}]  # clients resolve paths under the prefix
        host_spec = host.client.get("/openapi.json").json()
        assert set(host_spec["paths"]) >= {"/v1/tenants", "/healthz", "/metrics"}
        metrics = host.client.get("/metrics").text
        assert "scnode_tenants_loaded 1.0" in metrics


@SQLITE_ONLY
def test_tenant_creation_is_validated(database_url: str, tmp_path: Path) -> None:
    with running_host(database_url, tmp_path) as host:
        for body in ({"name": "bad name"}, {"name": ""}, {}, {"name": "a.example/x", "x": 1}):
            r = host.client.post("/v1/tenants", json=body, headers=host.admin())
            assert r.status_code in {400, 422}, body
            assert r.headers["content-type"] == "application/problem+json"
        host.create_tenant("a.example/node")
        dup = host.client.post("/v1/tenants", json={"name": "a.example/node"}, headers=host.admin())
        assert dup.status_code == 409
        for verb in ("suspend", "resume"):
            r = host.client.post(f"/v1/tenants/0000000000000000/{verb}", headers=host.admin())
            assert r.status_code == 404
