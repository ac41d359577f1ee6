"""Concurrent publishes of the same items, on SQLite and PostgreSQL: every snapshot
gets its own entry, items keep one salt (one subject), nothing forks or is lost."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from ledger.storage import LedgerStore
from node.app import make_engine
from node.cli import main
from node.inventory import (
    Published,
    inventory_items,
    inventory_positions,
    inventory_snapshots,
    open_publisher,
)
from node.keys import load_keys
from tests.node.inventory_support import ORIGIN, canonical

THREADS = 4
POSITIONS = 3


def test_four_publishers_at_once(database_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = CliRunner().invoke(
        main, ["--home", str(home), "init", "--name", ORIGIN, "--database-url", database_url]
    )
    assert made.exit_code == 0, made.output
    keys = load_keys(home)
    engine = make_engine(database_url)
    try:
        store = LedgerStore.open(engine, ORIGIN)
        pool_of_items = canonical(POSITIONS + THREADS)["positions"]

        def publish(n: int) -> Published:
            # overlapping item sets: thread n publishes items n .. n + POSITIONS - 1
            body = json.dumps({"positions": pool_of_items[n : n + POSITIONS]}).encode()
            publisher = open_publisher(engine=engine, store=store, signers=keys.signers, home=home)
            return publisher.publish(body, "application/json", None, published_by="test")

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            done = list(pool.map(publish, range(THREADS)))
        indexes = sorted(d.seq for d in done)
        assert len(set(indexes)) == THREADS
        named: dict[str, set[str]] = {}
        for d in done:
            for c in d.positions:
                named.setdefault(c.position.sku, set()).add(c.body.subject)
        assert all(len(s) == 1 for s in named.values())  # one subject per item, always
        entries = store.entries(0, store.size())
        snapshots = [e for e in entries if e.kind == "inventory.snapshot"]
        assert sorted(e.seq for e in snapshots) == indexes
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(inventory_items)).scalar_one()
            assert count == len(named) == POSITIONS + THREADS - 1
            rows = conn.execute(select(func.count()).select_from(inventory_positions)).scalar_one()
            assert rows == THREADS * POSITIONS
            states = conn.execute(select(inventory_snapshots.c.state)).scalars().all()
            assert states == ["published"] * THREADS
        assert store.verify_all(keys.verifiers).size == store.size()
    finally:
        engine.dispose()
