"""The outbox's parts on a real database: backoff, queuing from the ledger, order."""

from __future__ import annotations

import base64
import itertools
import json
import random
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from ledger import NoteSigner, verify_consistency
from ledger.storage import LedgerStore
from node.app import make_engine
from node.db import upgrade
from node.outbox import (
    BASE_DELAY_MS,
    CHECKPOINT,
    ENTRY,
    MAX_DELAY_MS,
    backoff_ms,
    enqueue,
    pending,
    queue_from_ledger,
)
from node.outbox._tables import outbox

NOW = 1_800_000_000_000


class _Fixed:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0, max_value=0.999999))
def test_backoff_bounds(attempts: int, u: float) -> None:
    delay = backoff_ms(attempts, _Fixed(u))
    ceiling = min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** min(attempts - 1, 40))
    assert ceiling // 2 <= delay <= ceiling


def test_backoff_doubles_then_caps() -> None:
    lows = [backoff_ms(n, _Fixed(0.0)) for n in range(1, 30)]
    assert lows[:4] == [500, 1000, 2000, 4000]
    assert lows[-1] == MAX_DELAY_MS // 2
    assert all(b >= a for a, b in itertools.pairwise(lows))
    rng_a, rng_b = random.Random(3), random.Random(3)
    assert [backoff_ms(5, rng_a) for _ in range(5)] == [backoff_ms(5, rng_b) for _ in range(5)]
    assert len({backoff_ms(10, random.Random(s)) for s in range(20)}) > 10  # jitter
    with pytest.raises(ValueError, match="at least 1"):
        backoff_ms(0, _Fixed(0.5))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    made = make_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def store(engine: Engine) -> LedgerStore:
    return LedgerStore.create(engine, "queue.example/node")


def _rows(engine: Engine, peer: str) -> list[tuple[int, str, dict[str, object]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.seq, outbox.c.kind, outbox.c.payload)
            .where(outbox.c.peer_id == peer)
            .order_by(outbox.c.seq)
        ).all()
    return [(int(seq), kind, json.loads(p)) for seq, kind, p in rows]


def test_queue_from_ledger_is_resumable_and_never_repeats(
    engine: Engine, store: LedgerStore
) -> None:
    signer = NoteSigner.generate("queue.example/node")
    for i in range(4):
        store.append("test.item", {"n": i}, NOW + i)
    store.sign_checkpoint([signer], NOW)
    assert queue_from_ledger(engine, store, ["p1", "p2"], NOW) == 10
    assert queue_from_ledger(engine, store, ["p1", "p2"], NOW) == 0  # nothing new
    for i in range(4, 7):
        store.append("test.item", {"n": i}, NOW + i)
    store.sign_checkpoint([signer], NOW)
    assert queue_from_ledger(engine, store, ["p1"], NOW) == 4
    rows = _rows(engine, "p1")
    assert [seq for seq, _, _ in rows] == list(range(1, 10))
    assert [p["seq"] for _, kind, p in rows if kind == ENTRY] == list(range(7))
    checkpoints = [p for _, kind, p in rows if kind == CHECKPOINT]
    assert [c["old"] for c in checkpoints] == [0, 4]
    hashes = checkpoints[1]["proof"]
    assert isinstance(hashes, list)
    proof = [base64.b64decode(str(h)) for h in hashes]
    verify_consistency(4, 7, proof, store.root(4), store.root(7))
    assert len(_rows(engine, "p2")) == 5  # p2 was not asked for the second batch


def test_enqueue_commits_with_the_callers_transaction(engine: Engine) -> None:
    def failing_work() -> None:
        with engine.begin() as conn:
            enqueue(conn, "p1", ENTRY, {"x": 1}, NOW)
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError):
        failing_work()
    assert _rows(engine, "p1") == []
    with engine.begin() as conn:
        assert enqueue(conn, "p1", ENTRY, {"x": 1}, NOW) == 1
        assert enqueue(conn, "p1", ENTRY, {"x": 2}, NOW) == 2
    with engine.connect() as conn:
        assert [m.seq for m in pending(conn, "p1")] == [1, 2]


def test_concurrent_queuing_neither_skips_nor_repeats(engine: Engine, store: LedgerStore) -> None:
    for i in range(30):
        store.append("test.item", {"n": i}, NOW + i)
    barrier = threading.Barrier(6)

    def run() -> None:
        barrier.wait()
        for _ in range(3):
            queue_from_ledger(engine, store, ["p1"], NOW)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = _rows(engine, "p1")
    assert [p["seq"] for _, _, p in rows] == list(range(30))
    assert [seq for seq, _, _ in rows] == list(range(1, 31))
