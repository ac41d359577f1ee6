"""``scnode bench api``: the node service's speed over HTTP on loopback.

A fresh node (``scnode init`` in a temporary home) is served by ``scnode serve``
in a child process on a free loopback port. Publishing is timed from this process
(httpx, one request at a time). The timed read and witness phases are driven by
``clients`` client processes of :mod:`benchmarks.api_client` (raw asyncio
HTTP/1.1 keep-alive connections, one request in flight each, each phase bounded
in wall time); throughput is the successful requests over the window from the
first client's start to the last one's end.

* ``publish100_p50_ms`` / ``publish100_p99_ms``: ``POST /v1/inventory/snapshots``
  of 100 canonical positions (commitments, an at-least proof per position,
  one ledger append and a signed checkpoint), one request at a time.
* ``read_rps`` / ``read_p99_ms``: mixed ``GET /v1/ledger/checkpoint`` and
  ``GET /v1/ledger/proof/inclusion?index=`` (random index) with a bearer token,
  ``concurrency`` connections (requests in flight) over the client processes.
* ``witness_rps``: C2SP ``POST /v1/witness/add-checkpoint`` of other logs'
  checkpoints (``witness_logs`` growing logs, one connection each, each known to
  the node as a peer; every request carries a consistency proof from the
  previous size).
* ``load_average_before`` / ``_after``: the machine's load (a busy machine gives
  lower figures). Client processes and server share the machine's cores.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks._serve import free_port, stop_server, wait_until_serving
from benchmarks._stats import percentile
from benchmarks.api_client import ClientError, LoadResult, LoadSpec, run_load
from benchmarks.api_log import GrowingLog
from node.app import make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.peers.registry import PeerRegistry
from node.settings import load_settings

__all__ = ["ApiBenchError", "GrowingLog", "format_results", "run", "steps"]

NODE_NAME = "bench.example/node"
POSITIONS = 100
START_LIMIT_S = 180.0
REQUEST_TIMEOUT_S = 120.0
Advance = Callable[[int], None]
_CLI = "from node.cli import main; main()"


class ApiBenchError(RuntimeError):
    """The benchmark could not run (the server did not start, a request failed)."""


def steps(publish_runs: int) -> int:
    """Progress steps of :func:`run`: setup, each publish, reads, witness."""
    return 1 + publish_runs + 2


@dataclass
class _Server:
    url: str
    home: Path
    operator: str
    reader: str
    logs: list[GrowingLog] = field(default_factory=list)


def _scnode(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", _CLI, "--home", str(home), *args]


def _init_node(home: Path, witness_logs: int) -> tuple[str, str, list[GrowingLog]]:
    made = subprocess.run(  # noqa: S603  (our own interpreter, fixed arguments)
        _scnode(home, "init", "--name", NODE_NAME), capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        raise ApiBenchError(f"scnode init failed: {made.stderr.strip()[-300:]}")
    settings = load_settings(home=home)
    engine = make_engine(settings.database_url)
    logs = [GrowingLog(f"peer{i}.bench.example/log") for i in range(witness_logs)]
    try:
        with engine.begin() as conn:
            operator = create_token(conn, role=Role.OPERATOR, name="bench-operator").token
            reader = create_token(conn, role=Role.AUDITOR, name="bench-reader").token
            registry = PeerRegistry(conn)
            for log in logs:
                # an unreachable URL: the node witnesses these logs, never fetches from them
                registry.add(url="http://127.0.0.1:9", vkey=log.signer.vkey, role=Role.PARTNER)
    finally:
        engine.dispose()
    return operator, reader, logs


@contextmanager
def _serving(home: Path, workers: int) -> Iterator[str]:
    port = free_port()
    command = _scnode(home, "serve", "--port", str(port), "--workers", str(workers))
    process = subprocess.Popen(  # noqa: S603  (our own interpreter, fixed arguments)
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(
            process,
            url,
            limit_s=START_LIMIT_S,
            fail=ApiBenchError,
            probe="/v1/witness/key",
            interval_s=0.1,
        )
        yield url
    finally:
        stop_server(process, timeout_s=20)


def _positions(run_no: int, count: int) -> dict[str, Any]:
    as_of = datetime.now(UTC).replace(microsecond=0).isoformat()
    return {
        "positions": [
            {
                "sku": f"BENCH-{i:04d}",
                "location": f"DC-{run_no % 3:02d}",
                "lot": f"R{run_no}",
                "as_of": as_of,
                "quantities": {
                    "available": 5000 + i * 7,
                    "in_transit": 100 + i,
                    "in_inspection": 3,
                },
                "safety_stock": 100 + i,
            }
            for i in range(count)
        ]
    }


def _publish(server: _Server, runs: int, positions: int, advance: Advance) -> list[float]:
    times: list[float] = []
    headers = {"Authorization": f"Bearer {server.operator}"}
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        for n in range(runs):
            body = _positions(n, positions)
            start = time.perf_counter()
            r = client.post(f"{server.url}/v1/inventory/snapshots", json=body, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            if r.status_code != 201:
                raise ApiBenchError(f"publish answered {r.status_code}: {r.text[:300]}")
            times.append(elapsed)
            advance(1)
    return times


def _split(total: int, parts: int) -> list[int]:
    """``total`` connections over ``parts`` client processes (none left empty)."""
    parts = max(1, min(parts, total))
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _reads(
    server: _Server, size: int, concurrency: int, clients: int, duration_s: float
) -> LoadResult:
    host, port = _host_port(server.url)
    specs = [
        LoadSpec(
            "reads", host, port, duration_s, connections=n, token=server.reader, size=size, seed=i
        )
        for i, n in enumerate(_split(concurrency, clients))
    ]
    return run_load(specs)


def _witness(server: _Server, clients: int, duration_s: float) -> LoadResult:
    host, port = _host_port(server.url)
    logs = [(log.origin, log.seed) for log in server.logs]
    specs: list[LoadSpec] = []
    taken = 0
    for n in _split(len(logs), clients):
        mine = tuple(logs[taken : taken + n])
        taken += n
        specs.append(LoadSpec("witness", host, port, duration_s, connections=n, logs=mine))
    return run_load(specs)


def _host_port(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition(":")
    return host, int(port)


def _rps(phase: LoadResult) -> float:
    elapsed = phase.ended - phase.started
    return len(phase.latencies_ms) / elapsed if elapsed > 0 else 0.0


def run(
    *,
    workers: int = 2,
    duration_s: float = 5.0,
    publish_runs: int = 5,
    positions: int = POSITIONS,
    concurrency: int = 16,
    clients: int = 2,
    witness_logs: int = 8,
    root: Path | None = None,
    advance: Advance = lambda _n: None,
) -> dict[str, Any]:
    """Serve a fresh node and measure it; raises :class:`ApiBenchError` on failure.

    ``positions`` other than 100 is for quick checks only: the ``publish100``
    figures then time snapshots of that many positions."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="scnode-api-bench-", dir=root) as tmp:
        home = Path(tmp) / "home"
        operator, reader, logs = _init_node(home, witness_logs)
        with _serving(home, workers) as url:
            server = _Server(url, home, operator, reader, logs)
            advance(1)
            publish = _publish(server, publish_runs, positions, advance)
            checkpoint = httpx.get(
                f"{url}/v1/ledger/checkpoint",
                headers={"Authorization": f"Bearer {reader}"},
                timeout=REQUEST_TIMEOUT_S,
            )
            size = int(checkpoint.text.splitlines()[1])
            try:
                reads = _reads(server, size, concurrency, clients, duration_s)
                advance(1)
                witness = _witness(server, clients, duration_s)
                advance(1)
            except ClientError as exc:
                raise ApiBenchError(str(exc)) from None
    load_after = os.getloadavg()
    return {
        "publish100_p50_ms": round(statistics.median(publish), 1),
        "publish100_p99_ms": round(percentile(publish, 0.99), 1),
        "read_rps": round(_rps(reads), 1),
        "read_p50_ms": round(percentile(reads.latencies_ms, 0.5), 2),
        "read_p99_ms": round(percentile(reads.latencies_ms, 0.99), 2),
        "witness_rps": round(_rps(witness), 1),
        "witness_p99_ms": round(percentile(witness.latencies_ms, 0.99), 2),
        "read_errors": reads.errors,
        "witness_errors": witness.errors,
        "first_error": reads.first_error or witness.first_error,
        "reads": len(reads.latencies_ms),
        "witness_checkpoints": len(witness.latencies_ms),
        "publish_runs": publish_runs,
        "positions_per_snapshot": positions,
        "log_size": size,
        "workers": workers,
        "concurrency": concurrency,
        "client_processes": clients,
        "witness_logs": witness_logs,
        "duration_s": duration_s,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }


def format_results(result: dict[str, Any]) -> list[str]:
    """Human-readable lines of :func:`run`'s figures."""
    return [
        f"api benchmark: scnode serve, {result['workers']} worker(s), loopback, "
        f"{result['cpus']} CPUs ({result['client_processes']} client processes on the same "
        "machine)",
        f"  publish 100 positions: p50 {result['publish100_p50_ms']} ms, "
        f"p99 {result['publish100_p99_ms']} ms ({result['publish_runs']} runs)",
        f"  reads (checkpoint + inclusion proof, {result['concurrency']} in flight): "
        f"{result['read_rps']} req/s, p50 {result['read_p50_ms']} ms, "
        f"p99 {result['read_p99_ms']} ms, {result['read_errors']} errors",
        f"  witness add-checkpoint ({result['witness_logs']} logs): "
        f"{result['witness_rps']} req/s, p99 {result['witness_p99_ms']} ms, "
        f"{result['witness_errors']} errors",
        f"  load average before {result['load_average_before']}, "
        f"after {result['load_average_after']}",
    ]
