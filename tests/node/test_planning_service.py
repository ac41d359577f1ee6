"""The planning service's queue: backoff after a failure, forced retries, in order."""

from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, select

from ledger import NoteSigner
from ledger.storage import LedgerStore
from node.app import make_engine
from node.auth.roles import Role
from node.db import upgrade
from node.peers.registry import PeerRegistry
from node.planning import PlanningService, planning_messages
from tests.node.test_planning_models import _capacity, _forecast

ORIGIN = "phone.example/node"


class Clock:
    def __init__(self) -> None:
        self.now = 1_795_000_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database: SQLite, and PostgreSQL when SCNODE_TEST_DATABASE_URL is set."""
    upgrade(database_url)
    made = make_engine(database_url)
    yield made
    made.dispose()


def test_failed_delivery_waits_its_backoff_then_succeeds_in_order(engine: Engine) -> None:
    store = LedgerStore.create(engine, ORIGIN)
    signer = NoteSigner(ORIGIN, bytes([3]) * 32)
    supplier = NoteSigner("module.example/node", bytes([4]) * 32)
    with engine.begin() as conn:
        peer = PeerRegistry(conn).add(
            url="http://module.example", vkey=supplier.vkey, role=Role.PARTNER
        )
    up = {"ok": False}
    seen: list[str] = []

    def transport(request: httpx.Request) -> httpx.Response:
        if not up["ok"]:
            return httpx.Response(503)
        assert "signature" in request.headers
        seen.append(request.read().decode())
        return httpx.Response(200, json={"duplicate": False})

    clock = Clock()
    service = PlanningService(
        engine,
        lambda: store,
        lambda: signer,
        clock,
        random.Random(5),
        transport=httpx.MockTransport(transport),
    )
    service.share(peer.id, _forecast([("M-1", "2026-W10", 5)]))
    assert service.deliver_pending().failed == {peer.id: "HTTP 503"}
    service.share(peer.id, _capacity([("2026-W10", 1, 2)]))  # queued behind the first
    assert service.deliver_pending().delivered == 0  # the head waits its backoff
    with engine.connect() as conn:
        attempts = conn.execute(select(planning_messages.c.attempts)).scalars().all()
    assert attempts == [1, 0]
    up["ok"] = True
    assert service.deliver_pending().delivered == 0  # still inside the backoff
    clock.now += 1001  # the first backoff is at most 1 s
    report = service.deliver_pending()
    assert (report.delivered, report.failed) == (2, {})
    assert ['"forecast"' in seen[0], '"capacity"' in seen[1]] == [True, True]
    assert all(m.delivered for m in service.messages())


def test_forced_retry_ignores_the_backoff(engine: Engine) -> None:
    store = LedgerStore.create(engine, ORIGIN)
    signer = NoteSigner(ORIGIN, bytes([3]) * 32)
    other = NoteSigner("module.example/node", bytes([4]) * 32)
    with engine.begin() as conn:
        peer = PeerRegistry(conn).add(
            url="http://module.example", vkey=other.vkey, role=Role.PARTNER
        )
    calls: list[int] = []

    def transport(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200 if len(calls) > 1 else 500)

    service = PlanningService(
        engine,
        lambda: store,
        lambda: signer,
        Clock(),
        random.Random(1),
        transport=httpx.MockTransport(transport),
    )
    service.share(peer.id, _forecast([("M-1", "2026-W10", 5)]))
    assert service.deliver_pending().failed
    assert service.deliver_pending(force=True).delivered == 1
