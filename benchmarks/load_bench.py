"""``scnode bench load``: many clients against a multi-worker node on PostgreSQL.

1. ``scnode init`` makes a fresh node home whose database is the given (empty)
   PostgreSQL database; an operator token (publishes) and an auditor token
   (reads) are created; one snapshot is published so every read has data.
2. ``scnode serve --workers N`` serves it on a free loopback port, in a child
   process whose log goes to a file (scanned for tracebacks afterwards).
3. ``clients`` paced asyncio clients (:mod:`benchmarks.load_clients`) publish
   small snapshots and read checkpoints, entries, proofs, facts and governance
   health for ``duration_s`` seconds.
4. The server is stopped, and the ledger is re-verified end to end
   (``LedgerStore.verify_all``: every leaf, tree node and signed checkpoint);
   every acknowledged publish must be at its acknowledged index with its leaf
   hash, and its snapshot must be in exactly one ``inventory.snapshot`` entry.

An error is any reply other than 2xx, or no reply (connection error, timeout).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from benchmarks._serve import free_port, stop_server, wait_until_serving
from benchmarks.load_clients import (
    OPERATIONS,
    ClientPlan,
    OpStats,
    Tally,
    percentile,
    run_clients,
    snapshot_body,
)
from benchmarks.load_ledger import LedgerCheck, check_ledger

__all__ = ["LoadBenchError", "LoadPlan", "format_results", "run", "steps"]

NODE_NAME: Final = "load.example/node"
START_LIMIT_S: Final = 90.0
STOP_LIMIT_S: Final = 30.0
_CLI: Final = "from node.cli import main; main()"
TRACEBACK: Final = "Traceback (most recent call last):"
Advance = Callable[[int], None]


class LoadBenchError(RuntimeError):
    """The benchmark could not run (bad database, the server did not start)."""


@dataclass(frozen=True, kw_only=True)
class LoadPlan:
    """What to run; the defaults are those of ``scnode bench load`` (the README's figures)."""

    database_url: str
    workers: int = 4
    clients: int = 50
    duration_s: float = 300.0
    rate: float = 0.5  # requests per second per client, at most
    publish_share: float = 0.1
    positions: tuple[int, int] = (1, 3)  # positions per published snapshot, min and max
    seed: int = 1
    timeout_s: float = 60.0

    def __repr__(self) -> str:  # the URL may carry a password
        return f"LoadPlan(database_url={_redacted(self.database_url)!r}, workers={self.workers})"


def steps(duration_s: float) -> int:
    """Progress steps of :func:`run`: set-up, one per second of load, verification."""
    return 1 + int(duration_s) + 1


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def check_empty_postgres(url: str) -> None:
    """Refuse anything but an empty PostgreSQL database (the benchmark writes its own node)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise LoadBenchError("--database-url is not a SQLAlchemy URL") from None
    if parsed.get_backend_name() != "postgresql":
        raise LoadBenchError("the load benchmark needs a PostgreSQL URL (postgresql+psycopg://…)")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        raise LoadBenchError(f"cannot open {_redacted(url)}: {detail[:200]}") from None
    finally:
        engine.dispose()
    if tables:
        raise LoadBenchError(
            f"database {_redacted(url)} is not empty ({len(tables)} tables); give an empty one"
        )


def _scnode(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", _CLI, "--home", str(home), *args]


def _init_node(home: Path, url: str) -> tuple[str, str]:
    made = subprocess.run(  # noqa: S603  (our own interpreter, fixed arguments)
        _scnode(home, "init", "--name", NODE_NAME, "--database-url", url),
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        raise LoadBenchError(f"scnode init failed: {made.stderr.strip()[-300:]}")
    from node.app import make_engine
    from node.auth.roles import Role
    from node.auth.tokens import create_token

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            operator = create_token(conn, role=Role.OPERATOR, name="load-publisher").token
            reader = create_token(conn, role=Role.AUDITOR, name="load-reader").token
    finally:
        engine.dispose()
    return operator, reader


@contextmanager
def _serving(home: Path, workers: int, log: Path) -> Iterator[str]:
    port = free_port()
    command = _scnode(home, "serve", "--port", str(port), "--workers", str(workers))
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603  (our own interpreter, fixed arguments)
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"

    def exited(status: int) -> str:
        tail = log.read_text(errors="replace").strip()[-300:]
        return f"scnode serve exited ({status}): {tail}"

    try:
        wait_until_serving(process, url, limit_s=START_LIMIT_S, fail=LoadBenchError, exited=exited)
        yield url
    finally:
        stop_server(
            process,
            timeout_s=STOP_LIMIT_S,
            kill=lambda: os.killpg(process.pid, signal.SIGKILL),
        )


def _seed(url: str, operator: str) -> int:
    reply = httpx.post(
        f"{url}/v1/inventory/snapshots",
        json=snapshot_body(999, 0, 3),
        headers={"Authorization": f"Bearer {operator}"},
        timeout=120,
    )
    if reply.status_code != 201:
        raise LoadBenchError(f"the first publish answered {reply.status_code}: {reply.text[:300]}")
    return int(reply.json()["index"]) + 1


def _op_figures(stats: OpStats, elapsed_s: float) -> dict[str, Any]:
    return {
        "count": stats.count,
        "errors": stats.errors,
        "error_rate": round(stats.errors / stats.count, 6) if stats.count else 0.0,
        "client_errors": stats.client_errors,
        "server_errors": stats.server_errors,
        "transport_errors": stats.transport_errors,
        "p50_ms": round(percentile(stats.latencies_ms, 0.50), 1),
        "p95_ms": round(percentile(stats.latencies_ms, 0.95), 1),
        "p99_ms": round(percentile(stats.latencies_ms, 0.99), 1),
        "throughput_rps": round(stats.ok / elapsed_s, 2) if elapsed_s > 0 else 0.0,
    }


def server_tracebacks(log: str) -> list[str]:
    """Each Python traceback in the server's log, up to its exception line."""
    found: list[str] = []
    for block in log.split(TRACEBACK)[1:]:
        lines = block.splitlines()
        # the exception line is the first one after the frames that is not indented
        end = next((i for i, line in enumerate(lines[1:], 1) if line[:1] not in (" ", "")), 0)
        found.append("\n".join([TRACEBACK, *lines[1 : end + 1]]))
    return found


def _figures(
    plan: LoadPlan, tally: Tally, check: LedgerCheck, tracebacks: list[str]
) -> dict[str, Any]:
    every = OpStats()
    for stats in tally.ops.values():
        every.latencies_ms += stats.latencies_ms
        every.ok += stats.ok
        every.client_errors += stats.client_errors
        every.server_errors += stats.server_errors
        every.transport_errors += stats.transport_errors
    total = _op_figures(every, tally.elapsed_s)
    return {
        "workers": plan.workers,
        "clients": plan.clients,
        "duration_s": round(tally.elapsed_s, 1),
        "rate_per_client": plan.rate,
        "publish_share": plan.publish_share,
        "positions_per_snapshot": list(plan.positions),
        "requests": total["count"],
        "errors": total["errors"],
        "error_rate": total["error_rate"],
        "server_errors": total["server_errors"],
        "p50_ms": total["p50_ms"],
        "p95_ms": total["p95_ms"],
        "p99_ms": total["p99_ms"],
        "throughput_rps": total["throughput_rps"],
        "operations": {op: _op_figures(tally.ops[op], tally.elapsed_s) for op in OPERATIONS},
        "publishes_acknowledged": len(tally.acks),
        "ledger_size": check.size,
        "ledger_verified": check.error is None,
        "ledger_error": check.error,
        "verify_s": check.seconds,
        "lost_publishes": check.lost,
        "duplicate_publishes": check.duplicated,
        "server_tracebacks": len(tracebacks),
        "server_traceback_samples": [t[-2000:] for t in tracebacks[:3]],
        "error_samples": tally.error_samples,
        "cpus": os.cpu_count(),
    }


def run(
    plan: LoadPlan, *, root: Path | None = None, advance: Advance = lambda _n: None
) -> dict[str, Any]:
    """Serve a fresh node on ``plan.database_url`` and load it; raises LoadBenchError."""
    check_empty_postgres(plan.database_url)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="scnode-load-bench-", dir=root) as tmp:
        home = Path(tmp) / "home"
        log = Path(tmp) / "serve.log"
        operator, reader = _init_node(home, plan.database_url)
        with _serving(home, plan.workers, log) as url:
            size = _seed(url, operator)
            advance(1)
            client_plan = ClientPlan(
                url=url,
                publisher_token=operator,
                reader_token=reader,
                clients=plan.clients,
                duration_s=plan.duration_s,
                rate=plan.rate,
                publish_share=plan.publish_share,
                positions=plan.positions,
                seed=plan.seed,
                timeout_s=plan.timeout_s,
            )
            tally = run_clients(client_plan, size, lambda: advance(1))
        tracebacks = server_tracebacks(log.read_text(errors="replace"))
        check = check_ledger(home, plan.database_url, tally.acks)
        advance(1)
    figures = _figures(plan, tally, check, tracebacks)
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def format_results(result: dict[str, Any]) -> list[str]:
    """Human-readable lines of :func:`run`'s figures."""
    lines = [
        f"load benchmark: scnode serve, {result['workers']} worker(s) on PostgreSQL, "
        f"{result['clients']} clients at most {result['rate_per_client']} req/s each, "
        f"{result['duration_s']} s, loopback, {result['cpus']} CPUs (clients on the same machine)",
        f"  {'operation':<18} {'count':>7} {'errors':>7} {'rate':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}",
    ]
    rows = [*result["operations"].items(), ("all", result)]
    for op, f in rows:
        count = f["requests"] if op == "all" else f["count"]
        lines.append(
            f"  {op:<18} {count:>7} {f['errors']:>7} {f['error_rate']:>8.2%} "
            f"{f['p50_ms']:>8} {f['p95_ms']:>8} {f['p99_ms']:>8} {f['throughput_rps']:>7}"
        )
    verified = "verifies" if result["ledger_verified"] else f"FAILS: {result['ledger_error']}"
    lines += [
        f"  server errors (5xx): {result['server_errors']}, "
        f"tracebacks in the server log: {result['server_tracebacks']}",
        f"  ledger: {result['ledger_size']} entries, {verified} ({result['verify_s']} s); "
        f"{result['publishes_acknowledged']} acknowledged publishes, "
        f"{result['lost_publishes']} lost, {result['duplicate_publishes']} duplicated",
        f"  load average before {result['load_average_before']}, "
        f"after {result['load_average_after']}",
    ]
    return lines
