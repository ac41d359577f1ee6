"""freeze_heap: loads stored metrics, freezes the heap, writes nothing."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from node.governance import GovernanceService, freeze_heap
from node.governance._tables import governance_rule_sets
from tests.node.test_governance_helpers import MINUTE, SUPPLIER_A, GovNode, make_gov_node, position


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[GovNode]:
    yield from make_gov_node(database_url, tmp_path)


def test_freeze_heap_loads_metrics_and_writes_nothing(node: GovNode) -> None:
    node.service.record_inbound(SUPPLIER_A, position(node.clock.now - MINUTE))
    size = node.store().size()
    # a fresh service, as in a newly started process: nothing in memory yet
    fresh = GovernanceService(node.engine, node.service.node_log, clock=node.clock)
    fresh.metrics.network = type(fresh.metrics.network)()
    fresh.metrics._revisions.clear()
    try:
        frozen = freeze_heap(fresh)
        assert frozen > 0
        assert gc.get_freeze_count() > 0
        assert SUPPLIER_A in fresh.metrics.network  # loaded from the database
        with node.engine.connect() as conn:
            rule_sets = conn.execute(select(func.count()).select_from(governance_rule_sets))
            assert rule_sets.scalar_one() == 0  # no rule set stored or published
        assert node.store().size() == size
    finally:
        gc.unfreeze()
