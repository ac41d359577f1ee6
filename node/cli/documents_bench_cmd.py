"""``scnode bench documents``: how fast a document created on one node appears on
the other, over HTTP on loopback.

Two fresh nodes (``scnode init`` homes in a temporary folder, SQLite, each served
by uvicorn in a thread of this process) know each other as partners. Their
delivery retry loops wait 60 s, so every document that arrives sooner was pushed
by the request that created it. The supplier's server-sent event stream
(``GET /v1/documents/events``) is read in a thread; the buyer creates ``--count``
purchase orders one after the other. For each: ``create`` is the round trip of
``POST /v1/documents`` (sign, record, deliver), ``visible`` the time from sending
that request to the supplier's stream showing the document. One purchase order
before them warms both nodes up (first connection, lazily made services) and is
not counted.
"""

from __future__ import annotations

import json
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import click
import httpx

from node.cli._app import CliError, bench
from node.cli._progress import progress

__all__ = ["bench_documents"]

RETRY_S: Final = 60.0
START_LIMIT_S: Final = 60.0
WAIT_S: Final = 60.0


class _BenchError(Exception):
    pass


@dataclass
class _Node:
    name: str
    home: Path
    port: int
    admin: str
    engine: Any
    server: Any = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make(root: Path, label: str, name: str) -> _Node:
    from click.testing import CliRunner

    from node.app import make_engine
    from node.auth.roles import Role
    from node.auth.tokens import create_token
    from node.cli import main
    from node.settings import load_settings

    home = root / label
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", name])
    if made.exit_code != 0:
        raise _BenchError(f"scnode init failed: {made.output.strip()}")
    engine = make_engine(load_settings(home=home).database_url)
    with engine.begin() as conn:
        admin = create_token(conn, role=Role.ADMIN, name="bench").token
    return _Node(name, home, _port(), admin, engine)


def _start(node: _Node) -> None:
    import uvicorn

    from node.app import create_app
    from node.settings import load_settings

    app = create_app(load_settings(home=node.home, run_migrations=False))
    app.state.peer_interval_s = 0
    app.state.governance_sweep_s = 0
    app.state.documents_retry_s = RETRY_S  # deliveries in time are pushes, not retries
    config = uvicorn.Config(app, host="127.0.0.1", port=node.port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"bench-{node.name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_LIMIT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise _BenchError(f"node {node.name} did not start")
        time.sleep(0.02)
    node.server, node.thread = server, thread


def _stop(node: _Node) -> None:
    if node.server is not None and node.thread is not None:
        node.server.should_exit = True
        node.thread.join(timeout=15)
    node.engine.dispose()


def _peer(node: _Node, other: _Node) -> str:
    from node.auth.roles import Role
    from node.keys import load_keys
    from node.peers.registry import PeerRegistry

    with node.engine.begin() as conn:
        vkey = load_keys(other.home).active.vkey
        return PeerRegistry(conn).add(url=other.url, vkey=vkey, role=Role.PARTNER).id


def _listen(node: _Node, count: int, seen: dict[str, float], ready: threading.Event) -> None:
    """Read the node's event stream until ``count`` documents were received."""
    params = {"limit": str(count)}
    with (
        httpx.Client(timeout=httpx.Timeout(WAIT_S, connect=5.0)) as client,
        client.stream(
            "GET", node.url + "/v1/documents/events", params=params, headers=node.auth
        ) as stream,
    ):
        ready.set()
        for line in stream.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                if event.get("event") == "received":
                    seen[event["hash"]] = time.perf_counter()


def _order(n: int) -> dict[str, Any]:
    return {
        "type": "purchase_order",
        "po_number": f"BENCH-{n}",
        "version": 1,
        "issued_at": "2026-03-01T08:00:00Z",
        "currency": "EUR",
        "lines": [
            {
                "line": 1,
                "sku": "SKU-A",
                "quantity_ordered": 10,
                "uom": "EA",
                "unit_price": "1.00",
                "requested_date": "2026-03-10T00:00:00Z",
            }
        ],
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def run(count: int, advance: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="scnode-bench-documents-") as tmp:
        root = Path(tmp)
        buyer = _make(root, "buyer", "buyer.bench/node")
        supplier = _make(root, "supplier", "supplier.bench/node")
        try:
            _start(buyer)
            _start(supplier)
            to = _peer(buyer, supplier)
            _peer(supplier, buyer)
            seen: dict[str, float] = {}
            ready = threading.Event()
            listener = threading.Thread(
                target=_listen, args=(supplier, count + 1, seen, ready), daemon=True
            )
            listener.start()
            ready.wait(START_LIMIT_S)
            sent: dict[str, float] = {}
            create_ms: list[float] = []
            pushed = 0
            with httpx.Client(timeout=WAIT_S) as client:
                warm = client.post(
                    buyer.url + "/v1/documents",
                    json={"counterparty": to, "document": _order(count)},
                    headers=buyer.auth,
                )
                if warm.status_code != 201:
                    raise _BenchError(f"create answered {warm.status_code}: {warm.text[:200]}")
                for n in range(count):
                    t0 = time.perf_counter()
                    r = client.post(
                        buyer.url + "/v1/documents",
                        json={"counterparty": to, "document": _order(n)},
                        headers=buyer.auth,
                    )
                    create_ms.append((time.perf_counter() - t0) * 1000)
                    if r.status_code != 201:
                        raise _BenchError(f"create answered {r.status_code}: {r.text[:200]}")
                    sent[r.json()["hash"]] = t0
                    pushed += int(r.json()["delivered_ms"] is not None)
                    advance(1)
            listener.join(WAIT_S)
            missing = [h for h in sent if h not in seen]
            if missing:
                raise _BenchError(f"{len(missing)} documents did not appear within {WAIT_S} s")
            visible = [(seen[h] - t0) * 1000 for h, t0 in sent.items()]
        finally:
            _stop(buyer)
            _stop(supplier)
    return {
        "documents": count,
        "delivered_in_request": pushed,
        "retry_interval_s": RETRY_S,
        "create_p50_ms": _pct(create_ms, 0.5),
        "create_p95_ms": _pct(create_ms, 0.95),
        "visible_p50_ms": _pct(visible, 0.5),
        "visible_p95_ms": _pct(visible, 0.95),
        "visible_max_ms": round(max(visible), 2),
        "visible_mean_ms": round(statistics.fmean(visible), 2),
    }


@bench.command("documents")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--count",
    type=click.IntRange(1, 10_000),
    default=50,
    show_default=True,
    help="Purchase orders created, one after the other.",
)
def bench_documents(as_json: bool, count: int) -> None:
    """Time from creating a document on one node to seeing it on the other (loopback)."""
    try:
        with progress("documents benchmark", count, quiet=as_json) as advance:
            result = run(count, advance)
    except (_BenchError, httpx.HTTPError) as exc:
        raise CliError(f"documents benchmark failed: {exc}") from None
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"{result['documents']} documents, {result['delivered_in_request']} delivered by the "
        f"creating request (retry loop every {RETRY_S:g} s)"
    )
    click.echo(f"create (sign, record, deliver): p50 {result['create_p50_ms']} ms, "
               f"p95 {result['create_p95_ms']} ms")  # fmt: skip
    click.echo(
        f"visible on the other node: p50 {result['visible_p50_ms']} ms, "
        f"p95 {result['visible_p95_ms']} ms, max {result['visible_max_ms']} ms"
    )
