"""The governance service's storage: schema, metrics round trip, the SLA loop."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from governance import PartnerMetrics, PartnerProfile, default_rule_set, ingest_record
from node.app import make_engine
from node.governance import inbound_batch, metadata, record_inbound
from node.governance._db import write_transaction
from node.governance._metrics_store import MetricsStore
from tests.node.schema_drift import schema_drift
from tests.node.test_governance_helpers import (
    MINUTE,
    START,
    SUPPLIER_A,
    GovNode,
    make_gov_node,
    position,
)

db = pytest.importorskip("node.db")
LOOP_LIMIT_S = 20.0


def test_migrated_schema_matches_table_definitions(database_url: str) -> None:
    _ours, drift = schema_drift(database_url, metadata)
    assert drift == []


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('gov-store') / 'store.sqlite'}"
    db.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


observations = st.lists(
    st.tuples(
        st.integers(0, 3 * 60 * MINUTE),  # step after the previous record
        st.integers(0, 40 * MINUTE),  # latency
        st.sampled_from(((), ("sku",), ("quantities.in_transit",), ("as_of",))),
        st.booleans(),  # in a batch, or on its own
    ),
    min_size=1,
    max_size=25,
)


_EXAMPLES = itertools.count()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=observations)
def test_stored_metrics_equal_a_reference_fed_directly(
    sqlite_engine: Engine, steps: list[tuple[int, int, tuple[str, ...], bool]]
) -> None:
    """What the node stores, read back by a fresh process, has the same figures as a
    PartnerMetrics fed the same records in memory (the library's reference)."""
    partner = f"p{next(_EXAMPLES)}.example"  # a partner of its own per example
    rules = default_rule_set()
    profile = PartnerProfile(partner)
    reference = PartnerMetrics(partner)
    t = START
    pending: list[tuple[int, dict[str, Any]]] = []

    def flush() -> None:
        if not pending:
            return
        with write_transaction(sqlite_engine) as conn, inbound_batch(sqlite_engine, conn) as b:
            for at, record in pending:
                b.record_inbound(partner, record, received_at=at, ledger_index=at % 1000)
        pending.clear()

    for step, latency, drop, batched in steps:
        t += step
        record = position(t - latency, drop=drop)
        ingest_record(reference, record, rules, now=t, partner=profile, ledger_index=t % 1000)
        if batched:
            pending.append((t, record))
        else:
            flush()
            record_inbound(sqlite_engine, partner, record, received_at=t, ledger_index=t % 1000)
    flush()
    fresh = MetricsStore(sqlite_engine)  # another process: nothing in memory
    with sqlite_engine.connect() as conn:
        fresh.refresh(conn)
    stored = fresh.network.partner(partner)
    for window in ("hour", "day", "30d"):
        assert stored.window(window, now=t).to_dict() == reference.window(window, now=t).to_dict()
    assert stored.state.to_dict() == reference.state.to_dict()


@pytest.fixture
def looping(tmp_path: Path) -> Iterator[GovNode]:
    url = f"sqlite:///{tmp_path / 'loop.sqlite'}"
    for node in make_gov_node(url, tmp_path):
        node.app.state.governance_sweep_s = 0.05
        yield node


def test_background_loop_opens_and_flags(looping: GovNode) -> None:
    node = looping
    with TestClient(node.app) as client:
        node.service.record_checkpoint(SUPPLIER_A, witnesses=1)
        node.service.record_inbound(SUPPLIER_A, position(node.clock.now - MINUTE))
        case = _wait_for(client, node, lambda c: c["type"] == "low_witnesses")
        assert case["sla_state"] == "running"
        node.clock.now = case["respond_by"] + 1  # the loop notices the missed deadline
        breached = _wait_for(client, node, lambda c: c["breached_at"] is not None)
        assert breached["id"] == case["id"]
        assert breached["breached_at"] > case["respond_by"]


def _wait_for(client: TestClient, node: GovNode, want: Any) -> dict[str, Any]:
    deadline = time.monotonic() + LOOP_LIMIT_S
    while time.monotonic() < deadline:
        got = client.get("/v1/governance/exceptions", headers=node.auth("admin"))
        assert got.status_code == 200, got.text
        for case in got.json():
            if want(case):
                found: dict[str, Any] = case
                return found
        time.sleep(0.05)
    raise AssertionError("the SLA loop did not act in time")


def test_one_process_sweeps_at_a_time(looping: GovNode) -> None:
    from node.governance import GovernanceService
    from node.governance._lease import SWEEP_LEASE, take_lease

    node = looping
    first = node.service
    second = GovernanceService(node.engine, first.node_log, clock=node.clock)  # another worker
    node.service.record_checkpoint(SUPPLIER_A, witnesses=1)
    assert second.sweep().opened != ()  # holds the lease now
    node.service.record_checkpoint("supplier-x.example", witnesses=0)
    assert first.sweep().opened == ()  # the other process sweeps meanwhile
    assert second.sweep().opened != ()
    assert take_lease(node.engine, SWEEP_LEASE, second.holder)
    assert not take_lease(node.engine, SWEEP_LEASE, first.holder)
    # an expired lease passes to whoever asks
    assert take_lease(node.engine, SWEEP_LEASE, second.holder, ttl_ms=-1)
    assert take_lease(node.engine, SWEEP_LEASE, first.holder)
