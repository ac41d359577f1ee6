"""``scnode bench tenants``: a multi-tenant host with many tenants, on PostgreSQL.

A fresh database is created next to the given PostgreSQL URL (and dropped at the
end). ``scnode serve --multi-tenant --workers W`` serves it from a temporary home
in a child process on a free loopback port. Then, all over HTTP from this
process:

* ``tenants`` tenants are onboarded with ``POST /v1/tenants`` (``concurrency``
  requests in flight): ``tenant_create_per_s``, ``tenant_create_p50_ms``;
* ``publishes`` snapshots (``POSITIONS`` canonical positions each) are published
  to tenants picked at random (most of them cold: their app is loaded on first
  use and evicted beyond the workers' tenant cache): ``publish_p50_ms`` /
  ``publish_p99_ms``;
* ``hot_publishes`` snapshots are published to ONE tenant, ``concurrency`` at
  once (spread over the workers): ``hot_publish_p50_ms`` / ``hot_publish_p99_ms``;
* every touched tenant's latest checkpoint is read back over the API
  (``GET /t/<id>/v1/ledger/checkpoint``, ``concurrency`` in flight): it must
  cover the tenant's last published index (``read_p50_ms`` / ``read_p99_ms``);
* every touched tenant's ledger is then read from the database and verified
  (hash chain, Merkle tree, every checkpoint signed by the tenant's key and
  consistent with the last) and must hold exactly one snapshot entry per
  successful publish, each at the index its publish returned: no fork, no skip,
  no loss (``verified_tenants``; any failure is counted in ``ledger_errors``).

``errors`` counts failed requests (non-2xx or transport errors). The machine's
load average is reported before and after (a busy machine gives lower figures).
"""

from __future__ import annotations

import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks._serve import free_port, stop_server, wait_until_serving
from benchmarks._stats import percentile
from ledger import NoteVerifier
from ledger.storage import LedgerStore
from node.app import make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.db import upgrade
from node.tenancy import TenantStorage

__all__ = ["TenantsBenchError", "format_results", "run", "steps"]

POSITIONS = 3
START_LIMIT_S = 120.0
REQUEST_TIMEOUT_S = 300.0
SNAPSHOT_KIND = "inventory.snapshot"
Advance = Callable[[int], None]
_CLI = "from node.cli import main; main()"


class TenantsBenchError(RuntimeError):
    """The benchmark could not run (no PostgreSQL, the server did not start, ...)."""


def steps(tenants: int, publishes: int, hot_publishes: int) -> int:
    """Progress steps of :func:`run`: tenants, publishes, verification of the touched."""
    return tenants + publishes + hot_publishes + 1


@dataclass(frozen=True)
class _Tenant:
    id: str
    name: str
    vkey: str
    token: str


@dataclass
class _Published:
    """Indexes the host returned per tenant, and failures (threads add under ``lock``)."""

    indexes: dict[str, list[int]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, why: str) -> None:
        with self.lock:
            self.errors += 1
            self.error_samples.append(why)

    def succeeded(self, tenant_id: str, index: int, took: float) -> None:
        with self.lock:
            self.latencies.append(took)
            self.indexes.setdefault(tenant_id, []).append(index)


@contextmanager
def _fresh_database(base_url: str) -> Iterator[str]:
    url = make_url(base_url)
    if url.get_backend_name() != "postgresql":
        raise TenantsBenchError("a postgresql:// URL is required (--database-url)")
    name = f"scnode_bench_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001  any failure: one clear line
        admin.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        raise TenantsBenchError(f"cannot create a scratch database: {reason}") from None
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _serving(home: Path, database_url: str, workers: int, cache: int) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-c",
        _CLI,
        "--home",
        str(home),
        "serve",
        "--multi-tenant",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--tenant-cache",
        str(cache),
        "--database-url",
        database_url,
    ]
    log = (home / "serve.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603  our own CLI
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, url, limit_s=START_LIMIT_S, fail=TenantsBenchError)
        yield url
    finally:
        stop_server(process, timeout_s=30)
        log.close()


def _positions(run_no: int) -> bytes:
    import json

    as_of = datetime.now(UTC).replace(microsecond=0).isoformat()
    body = {
        "positions": [
            {
                "sku": f"BENCH-{i:03d}",
                "location": "DC-01",
                "lot": f"R{run_no}",
                "as_of": as_of,
                "quantities": {
                    "available": 5000 + run_no + i,
                    "in_transit": 10,
                    "in_inspection": 1,
                },
                "safety_stock": 100,
            }
            for i in range(POSITIONS)
        ]
    }
    return json.dumps(body).encode()


def _create_tenants(
    client: httpx.Client, admin: str, count: int, concurrency: int, advance: Advance
) -> tuple[list[_Tenant], list[float], float, list[str]]:
    failures: list[str] = []

    def one(n: int) -> tuple[_Tenant | None, float]:
        started = time.perf_counter()
        try:
            made = client.post(
                "/v1/tenants",
                json={"name": f"supplier-{n:05d}.bench.example/node"},
                headers={"Authorization": f"Bearer {admin}"},
            )
        except httpx.HTTPError as exc:
            failures.append(f"create: {exc.__class__.__name__}")
            return None, 0.0
        finally:
            advance(1)
        took = time.perf_counter() - started
        if made.status_code != 201:
            failures.append(f"create: HTTP {made.status_code}")
            return None, took
        body = made.json()
        return _Tenant(body["id"], body["name"], body["vkey"], body["token"]), took

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        done = list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    tenants = [t for t, _ in done if t is not None]
    return tenants, [took for t, took in done if t is not None], wall, failures


def _publish(
    client: httpx.Client,
    targets: list[_Tenant],
    concurrency: int,
    out: _Published,
    advance: Advance,
) -> None:
    def one(job: tuple[int, _Tenant]) -> None:
        run_no, tenant = job
        started = time.perf_counter()
        try:
            done = client.post(
                f"/t/{tenant.id}/v1/inventory/snapshots",
                content=_positions(run_no),
                headers={
                    "Authorization": f"Bearer {tenant.token}",
                    "content-type": "application/json",
                },
            )
        except httpx.HTTPError as exc:
            out.failed(f"publish: {exc.__class__.__name__}")
            return
        finally:
            advance(1)
        if done.status_code != 201:
            out.failed(f"publish: HTTP {done.status_code} {done.text[:120]}")
            return
        out.succeeded(tenant.id, int(done.json()["index"]), time.perf_counter() - started)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, enumerate(targets)))


def _read_back(
    client: httpx.Client, tenants: dict[str, _Tenant], touched: _Published, concurrency: int
) -> tuple[list[float], list[str]]:
    """Each touched tenant's checkpoint over the API; (latencies, problems)."""
    problems: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def one(item: tuple[str, list[int]]) -> None:
        tenant_id, indexes = item
        tenant = tenants[tenant_id]
        started = time.perf_counter()
        try:
            got = client.get(
                f"/t/{tenant_id}/v1/ledger/checkpoint",
                headers={"Authorization": f"Bearer {tenant.token}"},
            )
        except httpx.HTTPError as exc:
            with lock:
                problems.append(f"{tenant_id}: checkpoint: {exc.__class__.__name__}")
            return
        took = time.perf_counter() - started
        lines = got.text.split("\n")
        ok = got.status_code == 200 and len(lines) > 2 and lines[0] == tenant.name
        with lock:
            if not ok or not lines[1].isdigit() or int(lines[1]) <= max(indexes):
                problems.append(f"{tenant_id}: checkpoint HTTP {got.status_code} {got.text[:80]}")
            else:
                latencies.append(took)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, sorted(touched.indexes.items())))
    return latencies, problems


def _verify(
    database_url: str, home: Path, tenants: dict[str, _Tenant], published: _Published
) -> tuple[int, list[str]]:
    """Verify each touched tenant's ledger in the database; (verified, problems)."""
    storage = TenantStorage(database_url, home)
    problems: list[str] = []
    verified = 0
    try:
        for tenant_id, indexes in sorted(published.indexes.items()):
            tenant = tenants[tenant_id]
            engine = storage.engine_for(tenant_id)
            try:
                store = LedgerStore.open(engine, tenant.name)
                state = store.verify_all([NoteVerifier.from_vkey(tenant.vkey)])
                entries = store.entries(0, store.size())
            except Exception as exc:  # noqa: BLE001  a broken ledger is a finding, reported
                problems.append(f"{tenant_id}: {exc.__class__.__name__}: {str(exc)[:120]}")
                continue
            finally:
                storage.release(engine)
            snapshots = sorted(e.seq for e in entries if e.kind == SNAPSHOT_KIND)
            if state.size != len(entries) or sorted(indexes) != snapshots:
                problems.append(
                    f"{tenant_id}: indexes {sorted(indexes)} != snapshot entries {snapshots}"
                )
                continue
            if len(set(indexes)) != len(indexes):
                problems.append(f"{tenant_id}: one index returned twice")
                continue
            verified += 1
    finally:
        storage.dispose()
    return verified, problems


def run(
    *,
    database_url: str,
    tenants: int,
    workers: int,
    publishes: int,
    hot_publishes: int,
    concurrency: int,
    tenant_cache: int,
    advance: Advance,
) -> dict[str, Any]:
    """Run the benchmark; the figures (see the module docstring)."""
    load_before = os.getloadavg()[0]
    with (
        _fresh_database(database_url) as url,
        tempfile.TemporaryDirectory(prefix="scnode-mt-") as tmp,
    ):
        home = Path(tmp) / "host"
        home.mkdir(mode=0o700)
        upgrade(url)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                admin = create_token(conn, role=Role.ADMIN, name="bench-host-admin").token
        finally:
            engine.dispose()
        with (
            _serving(home, url, workers, tenant_cache) as base,
            httpx.Client(
                base_url=base,
                timeout=REQUEST_TIMEOUT_S,
                limits=httpx.Limits(max_connections=concurrency * 2),
            ) as client,
        ):
            made, create_times, create_wall, failures = _create_tenants(
                client, admin, tenants, concurrency, advance
            )
            if not made:
                raise TenantsBenchError(f"no tenant could be created ({failures[:3]})")
            chooser = random.Random(20261122)
            spread = _Published()
            _publish(
                client,
                [chooser.choice(made) for _ in range(publishes)],
                concurrency,
                spread,
                advance,
            )
            hot = _Published()
            _publish(client, [made[0]] * hot_publishes, concurrency, hot, advance)
            touched = _Published(indexes={k: list(v) for k, v in spread.indexes.items()})
            for k, v in hot.indexes.items():
                touched.indexes.setdefault(k, []).extend(v)
            by_id = {t.id: t for t in made}
            reads, read_problems = _read_back(client, by_id, touched, concurrency)
            loaded = client.get("/metrics").text
        verified, problems = _verify(url, home, by_id, touched)
        problems = read_problems + problems
        advance(1)
    return {
        "tenants": len(made),
        "workers": workers,
        "tenant_cache": tenant_cache,
        "concurrency": concurrency,
        "tenant_create_per_s": round(len(made) / create_wall, 2) if create_wall else 0.0,
        "tenant_create_p50_ms": round(percentile(create_times, 0.5) * 1000, 1),
        "tenant_create_p99_ms": round(percentile(create_times, 0.99) * 1000, 1),
        "publishes": len(spread.latencies),
        "publish_p50_ms": round(percentile(spread.latencies, 0.5) * 1000, 1),
        "publish_p99_ms": round(percentile(spread.latencies, 0.99) * 1000, 1),
        "hot_publishes": len(hot.latencies),
        "hot_publish_p50_ms": round(percentile(hot.latencies, 0.5) * 1000, 1),
        "hot_publish_p99_ms": round(percentile(hot.latencies, 0.99) * 1000, 1),
        "reads": len(reads),
        "read_p50_ms": round(percentile(reads, 0.5) * 1000, 1),
        "read_p99_ms": round(percentile(reads, 0.99) * 1000, 1),
        "touched_tenants": len(touched.indexes),
        "verified_tenants": verified,
        "ledger_errors": len(problems),
        "ledger_error_samples": problems[:5],
        "errors": spread.errors + hot.errors + len(failures),
        "error_samples": (failures + spread.error_samples + hot.error_samples)[:5],
        "tenants_loaded_last_worker": _loaded(loaded),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def _loaded(metrics: str) -> int:
    for line in metrics.splitlines():
        if line.startswith("scnode_tenants_loaded "):
            return int(float(line.split()[1]))
    return 0


def format_results(result: dict[str, Any]) -> list[str]:
    r = result
    return [
        f"tenants               {r['tenants']} on {r['workers']} worker(s), "
        f"tenant cache {r['tenant_cache']} per worker, {r['concurrency']} requests in flight",
        f"tenant create         {r['tenant_create_per_s']:.2f}/s "
        f"(p50 {r['tenant_create_p50_ms']:.0f} ms, p99 {r['tenant_create_p99_ms']:.0f} ms)",
        f"publish, random       {r['publishes']} (p50 {r['publish_p50_ms']:.0f} ms, "
        f"p99 {r['publish_p99_ms']:.0f} ms)",
        f"publish, one tenant   {r['hot_publishes']} (p50 {r['hot_publish_p50_ms']:.0f} ms, "
        f"p99 {r['hot_publish_p99_ms']:.0f} ms)",
        f"checkpoint read back  {r['reads']} (p50 {r['read_p50_ms']:.0f} ms, "
        f"p99 {r['read_p99_ms']:.0f} ms)",
        f"ledgers verified      {r['verified_tenants']}/{r['touched_tenants']} "
        f"(problems: {r['ledger_errors']})",
        f"errors                {r['errors']}",
        f"load average          {r['load_average_before']:.2f} -> {r['load_average_after']:.2f}",
    ]
