"""A multi-tenant host under a TestClient, with a host admin token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from node.app import make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.db import upgrade
from node.settings import Settings, load_settings
from node.tenancy import create_host
from tests.node.inventory_support import canonical

__all__ = ["Host", "TenantInfo", "host_settings", "running_host"]


@dataclass(frozen=True)
class TenantInfo:
    id: str
    name: str
    vkey: str
    token: str

    @property
    def prefix(self) -> str:
        return f"/t/{self.id}"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Host:
    settings: Settings
    client: TestClient
    admin_token: str

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def create_tenant(self, name: str) -> TenantInfo:
        made = self.client.post("/v1/tenants", json={"name": name}, headers=self.admin())
        assert made.status_code == 201, made.text
        body = made.json()
        return TenantInfo(body["id"], body["name"], body["vkey"], body["token"])

    def publish(self, tenant: TenantInfo, prefix: str, rows: int = 2) -> dict[str, Any]:
        body = json.dumps(canonical(rows, prefix=prefix)).encode()
        done = self.client.post(
            f"{tenant.prefix}/v1/inventory/snapshots",
            content=body,
            headers={**tenant.auth(), "content-type": "application/json"},
        )
        assert done.status_code == 201, done.text
        out: dict[str, Any] = done.json()
        return out


def host_settings(database_url: str, tmp_path: Path, **extra: Any) -> Settings:
    home = tmp_path / "host"
    home.mkdir(parents=True, exist_ok=True)
    return load_settings(
        home=home, database_url=database_url, tenancy="multi", governance_sweep_s=0, **extra
    )


def host_admin_token(settings: Settings) -> str:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            return create_token(conn, role=Role.ADMIN, name="host-admin").token
    finally:
        engine.dispose()


@contextmanager
def running_host(database_url: str, tmp_path: Path, **extra: Any) -> Iterator[Host]:
    settings = host_settings(database_url, tmp_path, **extra)
    token = host_admin_token(settings)
    with TestClient(create_host(settings), raise_server_exceptions=False) as client:
        yield Host(settings, client, token)
