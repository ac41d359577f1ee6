"""``scnode bench governance``: health queries and metric updates on this machine.

A fresh SQLite database (on disk, WAL, ``synchronous=FULL``) is seeded through
the node's own intake path (:func:`node.governance.inbound_batch`) with
``PARTNERS`` partners × ``DAYS`` days of per-record metrics, one inventory record
per partner every ``STEP_MS`` (so 100 × 30 × 24 = 72,000 records, every one with
a lineage row), then:

* ``health_p99_ms`` (and ``health_p50_ms``): ``GET /v1/governance/health``'s work
  (:func:`node.governance._views.health_json`: partner list, stored-revision
  check, cases, all three windows of every partner) after **every** partner
  received a new record since the previous query, so no partner's figures are
  cached: the worst case. ``health_p99_cpu_ms``: this thread's CPU time for the
  same queries, robust when other processes compete for the cores (the
  wall-clock figures are not; ``load_average_1m`` shows how busy the machine
  was). ``health_warm_p99_ms``: the same query with nothing new (figures cached
  until the next change).

Before the queries the bench calls :func:`node.governance.freeze_heap`, as a
served node does once after start-up: the metrics loaded so far move to the
collector's permanent generation, so its full passes no longer walk them.

* ``metric_update_ms_per_record``: one inbound record through
  ``InboundBatch.record_inbound`` (checks, metrics in memory, lineage row), the
  batch written in the caller's transaction, commit included, divided by the
  records of the batch (``BATCH`` records from one export).
* ``metric_update_single_ms_per_record``: :func:`node.governance.record_inbound`
  called once per record on the caller's connection (every call writes its
  buckets), commit of the whole run included.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from node.api.node_log import NodeLog
from node.db import create_engine, upgrade
from node.governance import GovernanceService, freeze_heap, inbound_batch, record_inbound
from node.governance._db import write_transaction
from node.governance._views import health_json
from node.settings import Settings

__all__ = ["run"]

PARTNERS: Final = 100
DAYS: Final = 30
STEP_MS: Final = 3_600_000
QUERIES: Final = 100
BATCH: Final = 500
#: 2026-09-01T00:00:00Z: a fixed start, so every run does the same work.
START_MS: Final = 1_788_220_800_000

Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


def _record(i: int, as_of: int) -> dict[str, Any]:
    quantities: dict[str, Any] = {"available": 100 + i % 7, "in_transit": i % 3}
    if i % 50:  # every 50th record misses in_inspection
        quantities["in_inspection"] = 0
    return {"sku": f"SKU-{i % 40}", "location": "WH1", "as_of": as_of, "quantities": quantities}


def _seed(engine: Engine, partners: int, days: int, advance: Callable[[int], None]) -> int:
    per_partner = days * 86_400_000 // STEP_MS
    for p in range(partners):
        name = f"partner-{p:03d}"
        with write_transaction(engine) as conn, inbound_batch(engine, conn) as batch:
            for i in range(per_partner):
                received = START_MS + i * STEP_MS + p
                batch.record_inbound(
                    name,
                    _record(i, received - 30_000 - (i * 7919 % 900_000)),
                    received_at=received,
                    ledger_index=i,
                    mapping_profile="erp-export@1",
                    source_fields={"sku": "物料编码", "available": "可用库存"},
                )
        advance(1)
    return START_MS + per_partner * STEP_MS


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (rank ``ceil(n·q)``)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def run(*, quick: bool = False, progress: Progress) -> dict[str, Any]:
    partners = 10 if quick else PARTNERS
    days = 3 if quick else DAYS
    queries = 20 if quick else QUERIES
    with tempfile.TemporaryDirectory(prefix="scnode-bench-gov-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        upgrade(url)
        engine = create_engine(url)
        try:
            with progress("seeding partners", partners) as advance:
                now = _seed(engine, partners, days, advance)
            settings = Settings(home=Path(tmp), database_url=url, node_name="bench-node")
            clock = [now]
            service = GovernanceService(engine, NodeLog(settings, engine), clock=lambda: clock[0])
            service.start()
            health_json(service, window=None)  # first load of every partner from the database
            freeze_heap(service)  # as a served node does after start-up
            cold, warm, cold_cpu = [], [], []
            with progress("health queries", queries) as advance:
                for q in range(queries):
                    clock[0] += 60_000
                    with write_transaction(engine) as conn, inbound_batch(engine, conn) as batch:
                        for p in range(partners):
                            batch.record_inbound(
                                f"partner-{p:03d}",
                                _record(q, clock[0] - 45_000),
                                received_at=clock[0],
                            )
                    t0, c0 = time.perf_counter(), time.thread_time()
                    out = health_json(service, window=None)
                    cold.append((time.perf_counter() - t0) * 1000)
                    cold_cpu.append((time.thread_time() - c0) * 1000)
                    t0 = time.perf_counter()
                    health_json(service, window=None)
                    warm.append((time.perf_counter() - t0) * 1000)
                    advance(1)
            if len(out["partners"]) != partners:
                raise RuntimeError("health did not cover every partner")
            batch_ms, single_ms = _updates(engine, clock[0] + 60_000, 200 if quick else 2000)
        finally:
            gc.unfreeze()
            engine.dispose()
    return {
        "partners": partners,
        "days": days,
        "records_seeded": partners * days * 86_400_000 // STEP_MS,
        "queries": queries,
        "health_p50_ms": round(statistics.median(cold), 2),
        "health_p99_ms": round(_pct(cold, 0.99), 2),
        "health_p99_cpu_ms": round(_pct(cold_cpu, 0.99), 2),
        "health_warm_p99_ms": round(_pct(warm, 0.99), 2),
        "metric_update_ms_per_record": round(batch_ms, 4),
        "metric_update_single_ms_per_record": round(single_ms, 4),
        "database": "sqlite (file, WAL, synchronous=FULL)",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _updates(engine: Engine, start: int, n: int) -> tuple[float, float]:
    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        for i in range(n):
            yield start + i, _record(i, start + i - 20_000)

    t0 = time.perf_counter()
    for chunk in range(0, n, BATCH):
        with write_transaction(engine) as conn, inbound_batch(engine, conn) as batch:
            for at, rec in list(records())[chunk : chunk + BATCH]:
                batch.record_inbound("bench-batch", rec, received_at=at, ledger_index=at)
    batch_ms = (time.perf_counter() - t0) * 1000 / n
    t0 = time.perf_counter()
    with write_transaction(engine) as conn:
        for at, rec in records():
            record_inbound(engine, "bench-single", rec, received_at=at, conn=conn)
    single_ms = (time.perf_counter() - t0) * 1000 / n
    return batch_ms, single_ms
