"""Network faults between nodes, over real loopback servers.

A peer that answers late (``slow``), not at all (``down``: a port nobody listens
on), with something that is not its signed checkpoint (``garbage``: a tiny
stdlib server), or with a forked log (``forked``: two copies of one log shown to
two witnesses): each is classified by the peer loop, shown in
``GET /v1/peers/{id}/status`` and on the dashboard's row of that partner, and
reaches the governance service (failed verifications, split views).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from node.governance import governance_service
from node.peers.registry import PeerRegistry
from node.peers.watch import WatchedPeerWorker
from tests.node.test_witness_helpers import Node, make_node, network, split_view


class FakePeer:
    """A stdlib HTTP server answering ``GET /v1/ledger/checkpoint`` with a fixed body
    after ``delay_s`` (every other request: a 404 problem)."""

    def __init__(self, body: bytes, *, delay_s: float = 0.0, status: int = 200) -> None:
        self.body, self.delay_s, self.status = body, delay_s, status
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/v1/ledger/checkpoint"):
                    time.sleep(fake.delay_s)
                    self._send(fake.status, fake.body, "text/plain; charset=utf-8")
                else:
                    self._send(404, b'{"status": 404}', "application/problem+json")

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._send(404, b'{"status": 404}', "application/problem+json")

            def _send(self, status: int, body: bytes, media: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[Node]:
    yield from (nodes[0] for nodes in network(tmp_path, "reader.example/node"))


def _ghost(tmp_path: Path, name: str) -> Node:
    """A node identity with a signed checkpoint, never started (a fake serves it)."""
    ghost = make_node(tmp_path, name)
    ghost.publish(2)
    return ghost


def _peer_id(node: Node, other: Node) -> str:
    with node.engine.connect() as conn:
        return next(p.id for p in PeerRegistry(conn).list() if p.vkey == other.vkey)


def _status(node: Node, other: Node) -> dict[str, Any]:
    got = node.get(f"/v1/peers/{_peer_id(node, other)}/status")
    assert got.status_code == 200, got.text
    return dict(got.json())


def _dashboard_fault(node: Node, origin: str) -> dict[str, Any] | None:
    got = node.get("/v1/governance/dashboard")
    assert got.status_code == 200, got.text
    rows = [r for r in got.json()["rows"] if r["partner"] == origin]
    assert len(rows) == 1, got.json()["rows"]
    fault: dict[str, Any] | None = rows[0]["fault"]
    return fault


def _now_ms(node: Node) -> int:
    return int(node.clock() * 1000)


def test_slow_peer_then_recovered(reader: Node, tmp_path: Path) -> None:
    ghost = _ghost(tmp_path, "slow.example/node")
    checkpoint = ghost.store.checkpoint()
    assert checkpoint is not None
    fake = FakePeer(checkpoint.text.encode(), delay_s=0.4)
    try:
        reader.add_peer(ghost, url=fake.url)
        worker = reader.worker
        assert isinstance(worker, WatchedPeerWorker)
        worker.watch.slow_ms = 150
        reader.worker.run_once()
        status = _status(reader, ghost)
        assert status["fault"]["kind"] == "slow"
        assert status["fault"]["since_ms"] == _now_ms(reader)
        assert "slow above 150 ms" in status["fault"]["detail"]
        assert status["latency_ms"] >= 400
        assert status["checkpoint"]["size"] == 2  # slow, yet verified
        shown = _dashboard_fault(reader, ghost.name)
        assert shown is not None
        assert shown["kind"] == "slow"

        fake.delay_s = 0.0
        reader.clock.advance(10)
        reader.worker.run_once()
        status = _status(reader, ghost)
        assert status["fault"] is None
        assert status["checked_ms"] == _now_ms(reader)
        assert _dashboard_fault(reader, ghost.name) is None
    finally:
        fake.close()
        ghost.engine.dispose()


def test_down_peer_keeps_its_since(reader: Node, tmp_path: Path) -> None:
    from tests.node.helpers import free_port

    ghost = _ghost(tmp_path, "down.example/node")
    try:
        reader.add_peer(ghost, url=f"http://127.0.0.1:{free_port()}")
        reader.worker.run_once()
        first = _status(reader, ghost)["fault"]
        assert first["kind"] == "down"
        assert first["detail"] == "ConnectError"
        reader.clock.advance(60)
        reader.worker.run_once()
        status = _status(reader, ghost)
        assert status["fault"] == first  # same fault, same since
        assert status["checked_ms"] == first["since_ms"] + 60_000
        assert status["latency_ms"] is None
        shown = _dashboard_fault(reader, ghost.name)
        assert shown is not None
        assert {k: shown[k] for k in first} == first
        assert shown["label"] == {"en": "peer down", "zh": "节点不可达"}
        assert shown["since_display"].endswith("+08:00")
    finally:
        ghost.engine.dispose()


@pytest.mark.parametrize("kind", ["unparseable", "wrong-key"])
def test_garbage_peer_counts_verification_failures(reader: Node, tmp_path: Path, kind: str) -> None:
    ghost = _ghost(tmp_path, "garbage.example/node")
    other = _ghost(tmp_path, "other.example/node")
    other_cp = other.store.checkpoint()
    assert other_cp is not None
    body = b"<html>502 upstream</html>" if kind == "unparseable" else other_cp.text.encode()
    fake = FakePeer(body)
    try:
        reader.add_peer(ghost, url=fake.url)
        reader.worker.run_once()
        fault = _status(reader, ghost)["fault"]
        assert fault["kind"] == "garbage"
        assert "does not verify" in fault["detail"]
        assert _status(reader, ghost)["checkpoint"] is None  # nothing believed
        # a partner id taken from a peer's key has a "/" in it: still one path
        health = reader.get(f"/v1/governance/health/{ghost.name}", window="hour").json()
        (row,) = health["partners"]
        assert row["partner"] == ghost.name
        assert row["windows"]["hour"]["verification_failures"] == 1
        # a sweep opens a failed-proof case for the partner
        gov = governance_service(reader.app)  # type: ignore[arg-type]
        gov.ensure_started()
        gov.sweep()
        cases = reader.get("/v1/governance/exceptions", type="failed_proof").json()
        assert [c["assignee"] for c in cases] == [ghost.name]
    finally:
        fake.close()
        ghost.engine.dispose()
        other.engine.dispose()


@pytest.fixture
def forked(tmp_path: Path) -> Iterator[tuple[Node, Node, Node, Node]]:
    yield from split_view(tmp_path)


def test_forked_peer_opens_a_split_view_case(forked: tuple[Node, Node, Node, Node]) -> None:
    log_a, log_b, w1, w2 = forked
    log_a.publish(3, tag="-a")
    log_b.publish(3, tag="-b")
    for log in (log_a, log_b):
        assert log.worker.run_once(sync=False).errors == {}
    assert _status(w1, log_a)["fault"] is None  # no round has compared notes yet
    w1.worker.run_once(witness=False)  # compares notes with w2: the fork shows
    fault = _status(w1, log_a)["fault"]
    assert fault["kind"] == "forked"
    assert fault["detail"] == "1 split-view evidence record(s) for its log"
    assert _status(w1, w2)["fault"] is None  # a witness with no log of its own is fine
    gov = governance_service(w1.app)  # type: ignore[arg-type]
    facts = gov.stored_facts(log_a.name)
    assert facts is not None
    assert len(facts.split_views) == 1
    gov.ensure_started()
    gov.sweep()
    cases = w1.get("/v1/governance/exceptions", type="split_view").json()
    assert [(c["assignee"], c["state"]) for c in cases] == [(log_a.name, "open")]
    shown = _dashboard_fault(w1, log_a.name)
    assert shown is not None
    assert shown["kind"] == "forked"
