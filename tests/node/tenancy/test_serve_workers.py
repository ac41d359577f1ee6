"""``scnode serve --multi-tenant --workers 2`` on PostgreSQL, over real HTTP: tenants
onboarded through the API, publishes to one tenant at once from many clients (the
workers share its ledger), every ledger verifies with no fork and no skip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ledger import NoteVerifier
from ledger.storage import LedgerStore
from node.tenancy import TenantStorage
from tests.node.helpers import free_port, wait_healthy
from tests.node.inventory_support import canonical
from tests.node.tenancy.support import host_admin_token, host_settings

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
TENANTS = 8
HOT = 6
CLIENTS = 4


def _serve(home: Path, database_url: str, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "from node.cli import main; main()",
        "--home",
        str(home),
        "serve",
        "--multi-tenant",
        "--workers",
        "2",
        "--port",
        str(port),
        "--database-url",
        database_url,
    ]
    # no governance sweeps: the ledgers hold exactly what the test published
    env = {**os.environ, "SCNODE_GOVERNANCE_SWEEP_S": "0"}
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


@POSTGRES_ONLY
def test_two_workers_many_tenants_one_ledger_each(database_url: str, tmp_path: Path) -> None:
    settings = host_settings(database_url, tmp_path)
    admin = {"Authorization": f"Bearer {host_admin_token(settings)}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(settings.home, database_url, port)
    try:
        wait_healthy(url, proc)
        with httpx.Client(base_url=url, timeout=300) as client:

            def create(n: int) -> dict[str, str]:
                made = client.post(
                    "/v1/tenants", json={"name": f"s{n:02d}.example/node"}, headers=admin
                )
                assert made.status_code == 201, made.text
                body: dict[str, str] = made.json()
                return body

            with ThreadPoolExecutor(CLIENTS) as pool:
                tenants = list(pool.map(create, range(TENANTS)))
            assert len({t["id"] for t in tenants}) == TENANTS
            listed = client.get("/v1/tenants", headers=admin).json()
            assert {t["id"] for t in listed} == {t["id"] for t in tenants}

            def publish(job: tuple[int, dict[str, str]]) -> tuple[str, int]:
                n, tenant = job
                body = canonical(1, prefix=f"P{n:03d}-")
                done = client.post(
                    f"/t/{tenant['id']}/v1/inventory/snapshots",
                    content=json.dumps(body),
                    headers={
                        "Authorization": f"Bearer {tenant['token']}",
                        "content-type": "application/json",
                    },
                )
                assert done.status_code == 201, done.text
                return tenant["id"], int(done.json()["index"])

            hot = tenants[0]
            jobs = [(n, hot) for n in range(HOT)] + [(HOT + n, t) for n, t in enumerate(tenants)]
            with ThreadPoolExecutor(CLIENTS) as pool:
                done = list(pool.map(publish, jobs))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    by_tenant: dict[str, list[int]] = {}
    for tenant_id, index in done:
        by_tenant.setdefault(tenant_id, []).append(index)
    assert sorted(by_tenant[hot["id"]]) == list(range(HOT + 1))  # no fork, no skip
    storage = TenantStorage(database_url, settings.home)
    try:
        for tenant in tenants:
            engine = storage.engine_for(tenant["id"])
            store = LedgerStore.open(engine, tenant["name"])
            state = store.verify_all([NoteVerifier.from_vkey(tenant["vkey"])])
            entries = store.entries(0, store.size())
            assert state.size == len(entries) == len(by_tenant[tenant["id"]])
            assert sorted(by_tenant[tenant["id"]]) == [e.seq for e in entries]
            assert {e.kind for e in entries} == {"inventory.snapshot"}
            storage.release(engine)
    finally:
        storage.dispose()
