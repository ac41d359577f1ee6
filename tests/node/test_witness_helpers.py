"""Nodes on loopback for the witness, split-view and outbox tests.

Each :class:`Node` is a real node: a home folder made by ``scnode init``, its own
SQLite database, and its app served by uvicorn on a free loopback port in a
thread. The background loops are off (``peer_interval_s = 0``, and governance's
sweep, which appends entries of its own): tests drive peer rounds themselves with
``node.worker.run_once()`` and a clock they control.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import Engine

from ledger import NoteVerifier
from ledger.storage import LedgerStore
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.keys import NodeKeys, load_keys
from node.outbox import PeerWorker
from node.peers.registry import Peer, PeerRegistry
from node.settings import load_settings
from tests.node.helpers import free_port

START_LIMIT_S = 20.0
T0_MS = 1_800_000_000_000


class FakeClock:
    """A settable clock (seconds), shared by a node's peer loop and the test."""

    def __init__(self, start_s: float = T0_MS / 1000) -> None:
        self.now = start_s

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Served:
    server: uvicorn.Server
    thread: threading.Thread


@dataclass
class Node:
    name: str
    home: Path
    port: int
    engine: Engine
    store: LedgerStore
    admin: str
    clock: FakeClock = field(default_factory=FakeClock)
    app: FastAPI | None = None
    served: Served | None = None
    appended: int = 0

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
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_vkey(self.vkey)

    @property
    def worker(self) -> PeerWorker:
        assert self.app is not None
        worker: PeerWorker = self.app.state.peer_worker
        return worker

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}

    def start(self) -> None:
        settings = load_settings(home=self.home, run_migrations=False)  # init migrated it
        self.app = create_app(settings)
        self.app.state.peer_interval_s = 0
        self.app.state.governance_sweep_s = 0  # no background ledger entries of its own
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + START_LIMIT_S
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise AssertionError(f"node {self.name} did not start")
            time.sleep(0.02)
        self.served = Served(server, thread)
        self.worker.clock = self.clock
        self.worker.deliverer.rng = random.Random(7)

    def stop(self) -> None:
        if self.served is None:
            return
        self.served.server.should_exit = True
        self.served.thread.join(timeout=15)
        self.served = None

    def publish(self, count: int, *, sign: bool = True, tag: str = "") -> None:
        """Append ``count`` entries (and sign a checkpoint) at the node's clock."""
        now = int(self.clock() * 1000)
        for _ in range(count):
            body = {"n": self.appended, "sku": f"SKU-{self.appended}{tag}"}
            self.store.append("test.item", body, now)  # type: ignore[arg-type]
            self.appended += 1
        if sign:
            self.store.sign_checkpoint(self.keys.signers(now), now)

    def add_peer(self, other: Node, *, url: str | None = None, role: Role = Role.PARTNER) -> Peer:
        with self.engine.begin() as conn:
            return PeerRegistry(conn).add(url=url or other.url, vkey=other.vkey, role=role)

    def get(self, path: str, **params: object) -> httpx.Response:
        return httpx.get(self.url + path, params=params or None, headers=self.auth, timeout=10)  # type: ignore[arg-type]


def make_node(root: Path, name: str) -> Node:
    home = root / name.replace("/", "_")
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", name])
    assert made.exit_code == 0, made.output
    return _open(home, name)


def fork_node(source: Node, root: Path, label: str) -> Node:
    """A second node with the same key and a copy of the database: a forked log."""
    home = root / f"{source.name.replace('/', '_')}-{label}"
    shutil.copytree(source.home, home)
    node = _open(home, source.name)
    node.appended = source.appended
    return node


def _open(home: Path, name: str) -> Node:
    settings = load_settings(home=home)
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        admin = create_token(conn, role=Role.ADMIN, name="admin").token
    return Node(
        name=name,
        home=home,
        port=free_port(),
        engine=engine,
        store=LedgerStore.open(engine, name),
        admin=admin,
    )


def network(root: Path, *names: str) -> Iterator[list[Node]]:
    """Nodes that all know each other, started; stopped and disposed afterwards."""
    nodes = [make_node(root, name) for name in names]
    try:
        for node in nodes:
            for other in nodes:
                if other is not node:
                    node.add_peer(other)
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()
            node.engine.dispose()


def split_view(root: Path) -> Iterator[tuple[Node, Node, Node, Node]]:
    """A log that shows view A to witness w1 and a forked view B to witness w2 under
    the same key (the witnesses are peers of each other), started; stopped and
    disposed afterwards. Yields (log_a, log_b, w1, w2)."""
    log_a = make_node(root, "log.example/forker")
    log_b = fork_node(log_a, root, "fork")
    w1 = make_node(root, "w1.example/witness")
    w2 = make_node(root, "w2.example/witness")
    nodes = (log_a, log_b, w1, w2)
    w1.add_peer(log_a)
    w1.add_peer(w2)
    w2.add_peer(log_b)
    w2.add_peer(w1)
    log_a.add_peer(w1)
    log_b.add_peer(w2)
    for node in nodes:
        node.start()
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()
            node.engine.dispose()
