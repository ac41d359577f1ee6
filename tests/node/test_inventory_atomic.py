"""A snapshot is ONE transaction: its ledger entry, checkpoint and private rows are
stored together or not at all, whether a failure is raised after the append or
the process dies there (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from ledger.storage import LedgerStore
from node.app import make_engine
from node.cli import main
from node.governance._tables import governance_records
from node.inventory import (
    Publisher,
    inventory_items,
    inventory_positions,
    inventory_snapshots,
    open_publisher,
)
from node.keys import load_keys
from tests.node.inventory_support import ORIGIN, canonical

PRIVATE = (inventory_items, inventory_snapshots, inventory_positions, governance_records)


class Injected(Exception):
    pass


def _init(database_url: str, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    made = CliRunner().invoke(
        main, ["--home", str(home), "init", "--name", ORIGIN, "--database-url", database_url]
    )
    assert made.exit_code == 0, made.output
    return home


def _publish(engine: Engine, home: Path, rows: int = 3) -> Any:
    store = LedgerStore.open(engine, ORIGIN)
    publisher = open_publisher(
        engine=engine, store=store, signers=load_keys(home).signers, home=home
    )
    body = json.dumps(canonical(rows)).encode()
    return publisher.publish(body, "application/json", None, published_by="test")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in PRIVATE
        }


def _state(engine: Engine, home: Path) -> tuple[int, int | None, dict[str, int]]:
    store = LedgerStore.open(engine, ORIGIN)
    store.verify_all([k.verifier() for k in load_keys(home).signers(0)])
    latest = store.checkpoint()
    return store.size(), None if latest is None else latest.size, _counts(engine)


def test_a_failure_after_the_append_rolls_back_entry_and_rows(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _init(database_url, tmp_path)
    engine = make_engine(database_url)
    try:
        before = _state(engine, home)
        assert before[2][inventory_snapshots.name] == 0
        real = Publisher._store_private

        def store_then_fail(self: Publisher, *args: Any, **kwargs: Any) -> None:
            real(self, *args, **kwargs)  # every private row written, the entry appended
            raise Injected("after the append and the private rows")

        monkeypatch.setattr(Publisher, "_store_private", store_then_fail)
        with pytest.raises(Injected):
            _publish(engine, home)
        assert _state(engine, home) == before  # no entry, no checkpoint, no row
        monkeypatch.setattr(Publisher, "_store_private", real)
        done = _publish(engine, home)
        assert done.seq == before[0]  # the rolled-back entry's number, no gap
        size, signed, counts = _state(engine, home)
        assert (size, signed) == (before[0] + 1, before[0] + 1)
        assert counts[inventory_positions.name] == 3
        assert counts[inventory_snapshots.name] == 1
        with engine.connect() as conn:
            row = conn.execute(select(inventory_snapshots.c.state, inventory_snapshots.c.seq)).one()
        assert tuple(row) == ("published", done.seq)
    finally:
        engine.dispose()


def _crash_after_append(database_url: str, home: str) -> None:
    """Child process: publish, and die (no exception, no cleanup) right after the
    private rows were written on the transaction that appended the entry."""
    real = Publisher._store_private

    def store_then_die(self: Publisher, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        os._exit(9)

    Publisher._store_private = store_then_die  # type: ignore[method-assign]
    engine = make_engine(database_url)
    _publish(engine, Path(home))
    os._exit(0)  # not reached


def test_a_crash_after_the_append_leaves_neither_entry_nor_rows(
    database_url: str, tmp_path: Path
) -> None:
    home = _init(database_url, tmp_path)
    engine = make_engine(database_url)
    try:
        before = _state(engine, home)
        child = multiprocessing.get_context("spawn").Process(
            target=_crash_after_append, args=(database_url, str(home))
        )
        child.start()
        child.join(timeout=300)
        assert child.exitcode == 9
        engine.dispose()  # read what the database holds now, through new connections
        assert _state(engine, home) == before
        assert _publish(engine, home, rows=2).seq == before[0]
    finally:
        engine.dispose()
