"""End to end over real HTTP: ``scnode serve`` under uvicorn on a loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.cli import main
from node.peers.client import PeerClient
from tests.node.helpers import free_port, vkey_of, wait_healthy

pytest.importorskip("node.db")


@dataclass(frozen=True)
class Server:
    url: str
    home: Path
    admin: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("served") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCNODE_")}
    made = CliRunner().invoke(
        main, ["--home", str(home), "token", "create", "--role", "admin"], env=env
    )
    assert made.exit_code == 0, made.output
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from node.cli import main; main()",
            "--home",
            str(home),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env={**env, "SCNODE_NODE_NAME": "served-node"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield Server(url=url, home=home, admin=made.stdout.strip())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_health_and_openapi(server: Server) -> None:
    r = httpx.get(f"{server.url}/healthz")
    assert r.json() == {"status": "ok", "database": "ok", "node_name": "served-node"}
    assert "server" not in r.headers
    assert httpx.get(f"{server.url}/openapi.json").json()["info"]["title"] == "scnode"


def test_signed_peer_requests_over_http(server: Server) -> None:
    key = Ed25519PrivateKey.generate()
    admin = {"Authorization": f"Bearer {server.admin}"}
    body = {"url": "http://127.0.0.1:1", "vkey": vkey_of("gamma.example", key), "role": "partner"}
    added = httpx.post(f"{server.url}/v1/peers", json=body, headers=admin)
    assert added.status_code == 201, added.text
    with PeerClient(server.url, key=key, name="gamma.example") as peer:
        for _ in range(4):  # both workers see the same registry and nonce store
            r = peer.post("/v1/peers/hello", json={"hello": "node"})
            assert r.status_code == 200, r.text
            assert r.json()["peer_name"] == "gamma.example"
        signed = next(peer.auth.auth_flow(peer.build_request("POST", "/v1/peers/hello", json={})))  # type: ignore[union-attr]
        assert peer.send(signed, auth=None).status_code == 200
        replay = peer.send(signed, auth=None)
        assert replay.status_code == 401
        assert replay.headers["content-type"] == "application/problem+json"
        assert "replayed" in replay.json()["detail"]
    forger = PeerClient(server.url, key=Ed25519PrivateKey.generate(), name="gamma.example")
    with forger:
        assert forger.post("/v1/peers/hello", json={}).status_code == 401
    assert httpx.post(f"{server.url}/v1/peers/hello", json={}).status_code == 401


def test_metrics_over_http(server: Server) -> None:
    # One keep-alive connection is served by one worker, whose registry counts it
    # (each worker keeps its own registry; see docs/api.md).
    with httpx.Client(base_url=server.url) as c:
        for _ in range(3):
            c.get("/healthz")
        text = c.get("/metrics").text
    assert 'scnode_http_requests_total{method="GET",route="/healthz",status="200"}' in text
