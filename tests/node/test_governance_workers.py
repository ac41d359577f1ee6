"""Several worker processes writing one partner's stored metrics.

Each worker has an engine of its own and so a metrics store of its own (as the
uvicorn workers of ``scnode serve --workers N`` do); the tests interleave their
transactions by hand and check that what is stored still loads, counts every
observation and answers the health API.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from governance import PartnerMetrics
from node.app import make_engine
from node.governance._db import write_transaction
from node.governance._metrics_store import MetricsStore, StoredMetricsError
from node.governance._tables import governance_metric_state
from tests.node.test_governance_helpers import (
    HOUR,
    MINUTE,
    START,
    SUPPLIER_A,
    GovNode,
    make_gov_node,
)

db = pytest.importorskip("node.db")
#: Bound on waiting for a worker thread (never reached when the code is right).
JOIN_S = 30.0
#: How long the first writer keeps its transaction open once the second one started.
OVERLAP_S = 0.3


@pytest.fixture
def engines(database_url: str) -> Iterator[tuple[Engine, Engine]]:
    db.upgrade(database_url)
    first, second = make_engine(database_url), make_engine(database_url)
    yield first, second
    first.dispose()
    second.dispose()


def _failure(at: int) -> Callable[[PartnerMetrics], Any]:
    return lambda m: m.observe_verification_failure(at=at)


def _fresh(engine: Engine) -> PartnerMetrics:
    """``SUPPLIER_A``'s metrics as a process starting now loads them."""
    store = MetricsStore(engine)
    with engine.connect() as conn:
        store.refresh(conn)
    return store.network.partner(SUPPLIER_A)


def _failures(metrics: PartnerMetrics, now: int) -> int:
    return metrics.window("30d", now=now).verification_failures


def _overlap(
    first: tuple[Engine, MetricsStore, int], second: tuple[Engine, MetricsStore, int]
) -> None:
    """Worker one observes at its time and keeps its transaction open while worker
    two (a thread) observes at its own; worker two commits after worker one."""
    (e1, s1, t1), (e2, s2, t2) = first, second
    one_committed = threading.Event()
    errors: list[BaseException] = []

    def worker_two() -> None:
        try:
            with write_transaction(e2) as conn:
                s2.observe(conn, SUPPLIER_A, t2, _failure(t2))
                one_committed.wait(JOIN_S)  # commit after worker one
        except BaseException as exc:  # noqa: BLE001  re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=worker_two)
    with write_transaction(e1) as conn:
        s1.observe(conn, SUPPLIER_A, t1, _failure(t1))
        thread.start()
        thread.join(OVERLAP_S)  # worker two reads (and, unserialised, writes) meanwhile
    one_committed.set()
    thread.join(JOIN_S)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


def test_interleaved_workers_leave_a_state_that_loads(engines: tuple[Engine, Engine]) -> None:
    """Worker one stores a newer observation while worker two, holding an older copy,
    stores an older one and commits last: before the partner's writers were
    serialised, the stored watermark went back to worker two's while worker one's
    newer bucket stayed, and the loader refused the state ("bucket after the
    watermark"); worker one's count was lost as well."""
    e1, e2 = engines
    s1, s2 = MetricsStore(e1), MetricsStore(e2)
    with write_transaction(e1) as conn:
        s1.observe(conn, SUPPLIER_A, START, _failure(START))
    for store, engine in ((s1, e1), (s2, e2)):
        with engine.connect() as conn:
            store.refresh(conn)  # both workers hold revision 1
    later, earlier = START + 2 * HOUR, START + 5 * MINUTE
    _overlap((e1, s1, later), (e2, s2, earlier))
    loaded = _fresh(e1)  # raised StoredMetricsError before the fix
    assert loaded.watermark == later
    now = later + MINUTE
    assert _failures(loaded, now) == 3
    assert loaded.window("hour", now=now).verification_failures == 1
    # both workers answer with the stored figures after a refresh
    for store, engine in ((s1, e1), (s2, e2)):
        with engine.connect() as conn:
            store.refresh(conn)
        assert _failures(store.network.partner(SUPPLIER_A), now) == 3


def test_first_writers_of_a_partner_are_serialised(engines: tuple[Engine, Engine]) -> None:
    """Two workers writing a partner nobody stored yet: both observations count."""
    e1, e2 = engines
    s1, s2 = MetricsStore(e1), MetricsStore(e2)
    _overlap((e1, s1, START + HOUR), (e2, s2, START))
    loaded = _fresh(e2)
    assert loaded.watermark == START + HOUR
    assert _failures(loaded, START + HOUR) == 2


def test_many_interleaved_updates_keep_every_count(engines: tuple[Engine, Engine]) -> None:
    """Each worker's observations at its own times, in threads, each in its own
    transaction, with refreshes (health queries) between: nothing lost, loadable."""
    e1, e2 = engines
    s1, s2 = MetricsStore(e1), MetricsStore(e2)
    per_worker = 15
    errors: list[BaseException] = []

    def worker(engine: Engine, store: MetricsStore, offset: int) -> None:
        try:
            for i in range(per_worker):
                at = START + (2 * i + offset) * MINUTE
                with write_transaction(engine) as conn:
                    store.observe(conn, SUPPLIER_A, at, _failure(at))
                with engine.connect() as conn:
                    store.refresh(conn)
        except BaseException as exc:  # noqa: BLE001  re-raised in the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(e1, s1, 1)),
        threading.Thread(target=worker, args=(e2, s2, 0)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_S * 2)
    assert not errors, errors
    now = START + 2 * per_worker * MINUTE
    assert _failures(_fresh(e1), now) == 2 * per_worker


def test_threads_of_one_worker_wait_for_each_other_without_deadlock(
    engines: tuple[Engine, Engine],
) -> None:
    """A batch (the inventory path) holds the partner in its transaction and applies
    its records later; another thread of the same worker observing the partner
    meanwhile waits for the batch's transaction without holding the store's
    in-process lock, which the batch still needs."""
    e1, _ = engines
    store = MetricsStore(e1)
    errors: list[BaseException] = []

    def single() -> None:
        try:
            with write_transaction(e1) as conn:
                store.observe(conn, SUPPLIER_A, START, _failure(START))
        except BaseException as exc:  # noqa: BLE001  re-raised in the test's thread
            errors.append(exc)

    def batch() -> None:
        try:
            with write_transaction(e1) as conn:
                revision = store.begin(conn, SUPPLIER_A)
                other = threading.Thread(target=single, daemon=True)
                threads.append(other)
                other.start()
                other.join(OVERLAP_S)  # the other thread now waits for the partner
                store.apply(SUPPLIER_A, _failure(START + MINUTE))
                store.write(conn, SUPPLIER_A, (START + MINUTE,), revision=revision)
        except BaseException as exc:  # noqa: BLE001  re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=batch, daemon=True)]
    threads[0].start()
    threads[0].join(JOIN_S)
    threads[-1].join(JOIN_S)
    assert not any(t.is_alive() for t in threads), "deadlocked"
    assert not errors, errors
    assert _failures(_fresh(e1), START + MINUTE) == 2


def _observe_then_fail(engine: Engine, store: MetricsStore, at: int) -> None:
    """An observation whose transaction then fails (a later step raises): rolled back."""
    with write_transaction(engine) as conn:
        store.observe(conn, SUPPLIER_A, at, _failure(at))
        raise RuntimeError("a later step failed")


def test_a_rolled_back_write_is_not_trusted(engines: tuple[Engine, Engine]) -> None:
    """A write that rolls back leaves the worker's in-memory copy ahead of the
    database; when another worker then stores the same revision number, the
    first must still answer with the stored figures, not its rolled-back ones."""
    e1, e2 = engines
    s1, s2 = MetricsStore(e1), MetricsStore(e2)
    with write_transaction(e1) as conn:
        s1.observe(conn, SUPPLIER_A, START, _failure(START))
    with e2.connect() as conn:
        s2.refresh(conn)
    with pytest.raises(RuntimeError, match="later step failed"):
        _observe_then_fail(e1, s1, START + MINUTE)
    with write_transaction(e2) as conn:  # stores revision 2, as the rolled-back write did
        s2.observe(
            conn,
            SUPPLIER_A,
            START + 2 * MINUTE,
            lambda m: m.observe_feed(at=START + 2 * MINUTE, as_of=START),
        )
    with e1.connect() as conn:
        s1.refresh(conn)
    mine = s1.network.partner(SUPPLIER_A)
    assert mine.to_dict() == _fresh(e1).to_dict()
    assert mine.last_as_of == START  # the other worker's observation is there
    assert _failures(mine, START + 3 * MINUTE) == 1  # not 2: the rolled-back one is gone


def test_a_rolled_back_first_write_leaves_no_partner(engines: tuple[Engine, Engine]) -> None:
    e1, _ = engines
    s1 = MetricsStore(e1)
    with pytest.raises(RuntimeError, match="later step failed"):
        _observe_then_fail(e1, s1, START)
    with e1.connect() as conn:
        s1.refresh(conn)
    assert SUPPLIER_A not in s1.network


def test_an_unloadable_stored_state_is_a_server_fault(engines: tuple[Engine, Engine]) -> None:
    """The node's own stored state failing to load is not a governance (client
    input) error: it raises StoredMetricsError, which the API answers with 500."""
    e1, _ = engines
    s1 = MetricsStore(e1)
    with write_transaction(e1) as conn:
        s1.observe(conn, SUPPLIER_A, START + HOUR, _failure(START + HOUR))
        conn.execute(update(governance_metric_state).values(watermark=START))
    with pytest.raises(StoredMetricsError, match="bucket after the watermark"):
        _fresh(e1)


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[GovNode]:
    yield from make_gov_node(database_url, tmp_path)


def test_health_answers_500_not_422_for_an_unloadable_stored_state(node: GovNode) -> None:
    node.service.record_verification_failure(SUPPLIER_A)
    other = make_engine(str(node.engine.url.render_as_string(hide_password=False)))
    try:
        # another worker stores a state this one cannot load
        with write_transaction(other) as conn:
            conn.execute(
                update(governance_metric_state).values(
                    watermark=0, revision=governance_metric_state.c.revision + 1
                )
            )
    finally:
        other.dispose()
    with TestClient(node.app, raise_server_exceptions=False) as client:
        got = client.get("/v1/governance/health", headers=node.auth("admin"))
    assert got.status_code == 500, got.text
    assert "watermark" not in got.text  # internal detail stays in the log
