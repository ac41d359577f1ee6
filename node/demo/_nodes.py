"""The demo's nodes: real node services under uvicorn on loopback ports.

Each party gets a home folder made by ``scnode init`` (its own key and SQLite
database), its disclosure policy and approved mapping profiles, and its app
served by uvicorn in a thread of this process on a free loopback port.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import Engine

from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.keys import NodeKeys, load_keys
from node.peers.client import PeerClient
from node.peers.registry import Peer, PeerRegistry
from node.settings import load_settings
from node.witness import client_for

START_LIMIT_S = 60.0
HTTP_TIMEOUT_S = 60.0


class DemoError(Exception):
    """A step of the demo could not run (a node did not start, a call failed)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DemoNode:
    """One party's node: its home, database, admin token and running server."""

    label: str
    name: str
    home: Path
    port: int
    engine: Engine
    admin: str
    app: FastAPI | None = None
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=HTTP_TIMEOUT_S))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def keys(self) -> NodeKeys:
        return load_keys(self.home)

    @property
    def vkey(self) -> str:
        return self.keys.active.vkey

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}

    def start(self, *, background: bool) -> None:
        settings = load_settings(home=self.home, run_migrations=False)
        app = create_app(settings)
        if not background:
            # the scenario drives witness rounds and SLA sweeps itself
            app.state.peer_interval_s = 0
            app.state.governance_sweep_s = 0
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"demo-{self.label}", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_LIMIT_S
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise DemoError(f"the {self.label} node did not start on port {self.port}")
            time.sleep(0.02)
        self.app, self.server, self.thread = app, server, thread

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=15)
        self.server = self.thread = None
        self.http.close()
        self.engine.dispose()

    def add_peer(self, other: DemoNode, role: Role) -> Peer:
        with self.engine.begin() as conn:
            return PeerRegistry(conn).add(url=other.url, vkey=other.vkey, role=role)

    def peer(self, other: DemoNode) -> Peer:
        with self.engine.connect() as conn:
            for peer in PeerRegistry(conn).list():
                if peer.vkey == other.vkey:
                    return peer
        raise DemoError(f"{self.label} has no peer {other.label}")

    def signed_client(self, other: DemoNode) -> PeerClient:
        """A client whose requests to ``other`` are signed with this node's key."""
        return client_for(self.peer(other), self.keys.active, timeout=HTTP_TIMEOUT_S)

    def call(
        self,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200, 201),
        raw: bool = False,
        **kw: Any,
    ) -> Any:
        """An admin call on this node's API; the JSON answer, or DemoError."""
        headers = {**self.auth, **kw.pop("headers", {})}
        response = self.http.request(method, self.url + path, headers=headers, **kw)
        if response.status_code not in expect:
            raise DemoError(
                f"{self.label}: {method} {path} -> {response.status_code}: {response.text[:300]}"
            )
        media = response.headers.get("content-type", "")
        if not raw and media.startswith(("application/json", "application/problem")):
            return response.json()
        return response.content


def make_node(root: Path, label: str, name: str, policy: dict[str, Any] | None) -> DemoNode:
    """``scnode init`` a home for ``name`` under ``root``, with its policy and an admin token."""
    from node.cli import main  # the CLI imports every command module

    home = root / label
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", name])
    if made.exit_code != 0:
        raise DemoError(f"scnode init for {label} failed: {made.output.strip()}")
    if policy is not None:
        (home / "disclosure-policy.json").write_text(json.dumps(policy))
    settings = load_settings(home=home)
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        admin = create_token(conn, role=Role.ADMIN, name=f"{label}-admin").token
    return DemoNode(
        label=label, name=name, home=home, port=_free_port(), engine=engine, admin=admin
    )
