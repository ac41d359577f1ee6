"""Coverage without a manual step: the worker proves every new snapshot under pledge,
catches up idempotently, and the bank's report names snapshots without coverage;
pledges of one lot are covered by that lot's positions only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI

from ledger import Entry
from node.finance import (
    COVERAGE_KIND,
    Coverage,
    CoverageWorker,
    FinanceFormatError,
    FinancingVerificationError,
    render_report,
    start_coverage_loop,
    start_finance,
)
from tests.node.test_finance import (
    BANK_A,
    BORROWER,
    DAY,
    HOUR,
    T0,
    World,
    _verify,
    make_world,
)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    yield from make_world(tmp_path, database_url, BORROWER, 9)


def _coverages(world: World) -> list[tuple[int, Coverage]]:
    return [
        (s.seq, Coverage.from_body(Entry.from_leaf(s.leaf).body))
        for s in world.store.entries_of_kind(COVERAGE_KIND)
        if s.leaf is not None
    ]


def _grant(world: World, bank: str = BANK_A.name) -> str:
    grant, _, _ = world.finance.grant(
        bank=bank, skus=["CHIP-000"], sites=["FAB1"], from_ms=T0 - DAY, to_ms=T0 + 30 * DAY
    )
    return grant.id


def _publish_lots(world: World, lots: dict[str, int]) -> int:
    as_of = datetime.fromtimestamp((world.clock.now - 60_000) / 1000, tz=UTC).isoformat()
    doc = {
        "positions": [
            {
                "sku": "CHIP-000",
                "location": "FAB1",
                "lot": lot,
                "as_of": as_of,
                "quantities": {"available": qty, "in_transit": 0, "in_inspection": 0},
                "safety_stock": 10,
            }
            for lot, qty in lots.items()
        ]
    }
    done = world.publisher.publish(
        json.dumps(doc).encode(), "application/json", None, published_by="test"
    )
    return done.seq


def test_worker_proves_each_new_snapshot_and_catch_up_is_idempotent(world: World) -> None:
    world.publish({"CHIP-000": 1000, "CHIP-001": 40})
    world.pledge(_grant(world), BANK_A, 600)
    first = _coverages(world)
    assert len(first) == 1  # the pledge proved the one snapshot it found
    worker = CoverageWorker(world.finance)
    assert worker.step().logged == ()  # the catch-up: nothing is out of date
    assert worker.step().logged == ()
    # New snapshots, published by the inventory pipeline alone: no manual step.
    seqs = []
    for n, qty in enumerate((900, 1300)):
        world.clock.now = T0 + (n + 1) * 6 * HOUR
        seqs.append(world.publish({"CHIP-000": qty, "CHIP-001": 40}))
    done = worker.step()
    assert len(done.logged) == 2
    proven = {cov.snapshot_seq: cov for _, cov in _coverages(world)}
    assert set(seqs) <= set(proven)
    assert [proven[s].ratio_bp for s in seqs] == [15_000, 20_000]
    # A snapshot of an unpledged item only: nothing to prove.
    world.clock.now = T0 + 20 * HOUR
    world.publish({"CHIP-001": 41})
    assert worker.step().logged == ()
    # Catching up again (scnode finance cover, a restarted node) logs nothing new.
    assert world.finance.catch_up().logged == ()
    assert CoverageWorker(world.finance).step().logged == ()
    assert len(_coverages(world)) == 3


def test_a_snapshot_below_the_pledges_is_a_named_gap_in_the_report(world: World) -> None:
    world.publish({"CHIP-000": 1000})
    world.pledge(_grant(world), BANK_A, 600)
    worker = CoverageWorker(world.finance)
    worker.step()
    world.clock.now = T0 + 6 * HOUR
    low = world.publish({"CHIP-000": 500})  # below the pledge: no proof can exist
    world.clock.now = T0 + 12 * HOUR
    ok = world.publish({"CHIP-000": 800})
    done = worker.step()
    assert len(done.logged) == 1
    assert [s.seq for s in done.shortfalls] == [low]
    assert low in worker.shortfalls
    world.cosign()
    data = world.finance.export(
        bank=BANK_A.name, from_ms=T0 - DAY, to_ms=T0 + 2 * DAY, vkeys=[world.signer.vkey]
    )
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(world, data)
    report = caught.value.report
    assert [s.seq for s in report.uncovered] == [low]
    assert {s.seq: s.ratio_bp for s in report.snapshots if s.pledges}[ok] == 12_500
    text = render_report(report)
    assert "Snapshots without proven coverage: 1" in text
    assert f"FAIL 2026-11-02 05:59 UTC  entry {low}" in text
    assert "no coverage proof for this snapshot" in text
    assert report.to_json()["uncovered"] == [
        {
            "seq": low,
            "snapshot": report.uncovered[0].snapshot,
            "as_of_ms": T0 + 6 * HOUR - 60_000,
            "problems": ["no coverage proof for this snapshot"],
        }
    ]


def test_an_unpublished_snapshot_holds_the_cursor_until_it_is_marked(world: World) -> None:
    world.publish({"CHIP-000": 1000})
    world.pledge(_grant(world), BANK_A, 600)
    worker = CoverageWorker(world.finance, patience=2)
    worker.step()
    world.clock.now = T0 + 6 * HOUR
    seq = world.publish({"CHIP-000": 900})
    from sqlalchemy import update

    from node.inventory import inventory_snapshots

    with world.finance.engine.begin() as conn:  # as if the publisher had not marked it yet
        conn.execute(
            update(inventory_snapshots)
            .where(inventory_snapshots.c.seq == seq)
            .values(state="pending")
        )
    assert worker.step().logged == ()
    assert worker.cursor == seq
    with world.finance.engine.begin() as conn:
        conn.execute(
            update(inventory_snapshots)
            .where(inventory_snapshots.c.seq == seq)
            .values(state="published")
        )
    assert len(worker.step().logged) == 1
    assert worker.cursor is not None
    assert worker.cursor > seq


def test_the_loop_runs_steps_until_stopped(world: World) -> None:
    world.publish({"CHIP-000": 1000})
    world.pledge(_grant(world), BANK_A, 600)
    world.clock.now = T0 + 6 * HOUR
    seq = world.publish({"CHIP-000": 950})
    worker = CoverageWorker(world.finance)

    async def run() -> None:
        stop = start_coverage_loop(worker, interval_s=0.01)
        for _ in range(500):
            if any(c.snapshot_seq == seq for _, c in _coverages(world)):
                break
            await asyncio.sleep(0.01)
        await stop()

    asyncio.run(run())
    assert any(c.snapshot_seq == seq for _, c in _coverages(world))


def test_start_finance_is_off_when_the_interval_is_zero() -> None:
    app = FastAPI()
    app.state.finance_cover_s = 0

    async def run() -> None:
        stop = start_finance(app)
        await stop()

    asyncio.run(run())
    assert app.state.finance.worker is None


# -- lots ------------------------------------------------------------------------------


def test_a_pledge_of_one_lot_is_covered_by_that_lot_only(world: World) -> None:
    first = _publish_lots(world, {"L1": 700, "L2": 5000})
    grant = _grant(world)
    fin = world.finance
    with pytest.raises(FinanceFormatError, match=r"lot 'L9' of SKU 'CHIP-000'.*'L1', 'L2'"):
        fin.request_pledge(
            grant_id=grant,
            bank_vkey=BANK_A.vkey,
            sku="CHIP-000",
            site="FAB1",
            lot="L9",
            quantity=100,
            from_ms=T0 - HOUR,
            to_ms=T0 + 5 * DAY,
        )
    request = fin.request_pledge(
        grant_id=grant,
        bank_vkey=BANK_A.vkey,
        sku="CHIP-000",
        site="FAB1",
        lot="L1",
        quantity=600,
        from_ms=T0 - HOUR,
        to_ms=T0 + 5 * DAY,
    )
    assert request.pledge.subject == fin.subject_of("CHIP-000", "FAB1", "L1")
    assert request.pledge.subject != fin.subject_of("CHIP-000", "FAB1", "L2")
    fin.complete_pledge(request.pledge.id, request.pledge.sign(BANK_A))
    # 600 of lot L1 is covered by L1's 700 (at least 110 %), not by L2's 5000.
    (cov,) = [c for _, c in _coverages(world)]
    assert (cov.snapshot_seq, cov.ratio_bp) == (first, 11_000)
    # L1 drops to 500 while L2 grows: the lot pledge is not covered any more.
    world.clock.now = T0 + 6 * HOUR
    low = _publish_lots(world, {"L1": 500, "L2": 9000})
    assert [s.seq for s in fin.catch_up().shortfalls] == [low]
    # A pledge of lot L2 is covered by L2 alone, snapshot by snapshot.
    second = fin.request_pledge(
        grant_id=grant,
        bank_vkey=BANK_A.vkey,
        sku="CHIP-000",
        site="FAB1",
        lot="L2",
        quantity=4000,
        from_ms=T0 - HOUR,
        to_ms=T0 + 5 * DAY,
    )
    fin.complete_pledge(second.pledge.id, second.pledge.sign(BANK_A))
    world.cosign()
    data = fin.export(
        bank=BANK_A.name, from_ms=T0 - DAY, to_ms=T0 + 2 * DAY, vkeys=[world.signer.vkey]
    )
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(world, data)
    report = caught.value.report
    by_subject = {(s.seq, s.subject): s for s in report.snapshots if s.pledges}
    l1, l2 = request.pledge.subject, second.pledge.subject
    assert by_subject[(first, l1)].ratio_bp == 11_000
    assert by_subject[(first, l2)].ratio_bp == 12_500
    assert by_subject[(low, l2)].ratio_bp == 20_000
    assert [(s.seq, s.subject) for s in report.uncovered] == [(low, l1)]


def test_a_bundle_whose_snapshots_do_not_carry_the_pledged_lot_fails_clearly(
    world: World,
) -> None:
    _publish_lots(world, {"L1": 700})
    grant = _grant(world)
    fin = world.finance
    request = fin.request_pledge(
        grant_id=grant,
        bank_vkey=BANK_A.vkey,
        sku="CHIP-000",
        site="FAB1",
        lot="L1",
        quantity=600,
        from_ms=T0 + DAY,  # starts after the only snapshot that carries L1
        to_ms=T0 + 5 * DAY,
    )
    fin.complete_pledge(request.pledge.id, request.pledge.sign(BANK_A))
    world.clock.now = T0 + 2 * DAY
    _publish_lots(world, {"L7": 900})  # later snapshots carry another lot only
    world.cosign()
    data = fin.export(
        bank=BANK_A.name, from_ms=T0 - DAY, to_ms=T0 + 3 * DAY, vkeys=[world.signer.vkey]
    )
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(world, data, max_gap_ms=10 * DAY)
    problems = caught.value.report.problems
    assert any(
        f"pledge {request.pledge.id}: no snapshot in the bundle carries its collateral" in p
        for p in problems
    ), problems


def test_start_finance_covers_a_snapshot_published_to_a_node(tmp_path: Path) -> None:
    """The lifespan hook on a real app: a snapshot published through ``scnode publish``
    after the pledge gets its coverage entry with no finance command run."""
    import secrets
    import time

    from click.testing import CliRunner

    from node.app import create_app
    from node.cli import main
    from node.settings import load_settings

    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(main, ["--home", str(home), "init", "--name", BORROWER]).exit_code == 0

    def publish(qty: int) -> int:
        as_of = datetime.now(UTC).replace(microsecond=0).isoformat()
        stock = tmp_path / f"stock{qty}.json"
        position = {
            "sku": "CHIP-000",
            "location": "FAB1",
            "as_of": as_of,
            "quantities": {"available": qty, "in_transit": 0, "in_inspection": 0},
            "safety_stock": 10,
        }
        stock.write_text(json.dumps({"positions": [position]}))
        got = runner.invoke(main, ["--home", str(home), "publish", str(stock), "--json"])
        assert got.exit_code == 0, got.output
        return int(json.loads(got.output)["index"])

    publish(1000)
    app = create_app(load_settings(home=home))
    app.state.finance_cover_s = 0.02
    node_log = app.state.node_log
    from node.finance import Finance

    fin = Finance(
        app.state.services.engine,
        node_log.store(),
        node_log.keys().signers,
        lambda: time.time_ns() // 1_000_000,
        secrets.SystemRandom(),
    )
    now = time.time_ns() // 1_000_000
    grant, _, _ = fin.grant(
        bank=BANK_A.name, skus=["CHIP-000"], sites=["FAB1"], from_ms=now - DAY, to_ms=now + DAY
    )
    request = fin.request_pledge(
        grant_id=grant.id,
        bank_vkey=BANK_A.vkey,
        sku="CHIP-000",
        site="FAB1",
        quantity=400,
        from_ms=now - DAY,
        to_ms=now + DAY,
    )
    fin.complete_pledge(request.pledge.id, request.pledge.sign(BANK_A))
    later = publish(900)

    def proven() -> list[int]:
        return [
            Coverage.from_body(Entry.from_leaf(s.leaf).body).snapshot_seq
            for s in fin.store.entries_of_kind(COVERAGE_KIND)
            if s.leaf is not None
        ]

    assert later not in proven()

    async def run() -> None:
        stop = start_finance(app)
        for _ in range(1000):
            if later in proven():
                break
            await asyncio.sleep(0.02)
        await stop()

    asyncio.run(run())
    assert later in proven()
    app.state.services.engine.dispose()


def test_stopping_the_loop_lets_a_step_under_way_finish() -> None:
    import threading

    from node.finance import CoverResult

    class Slow:
        def __init__(self) -> None:
            self.started = threading.Event()
            self.finished = 0
            self.calls = 0

        def step(self) -> CoverResult:
            self.calls += 1
            self.started.set()
            threading.Event().wait(0.2)  # a proof being made
            self.finished += 1
            return CoverResult((), ())

    slow = Slow()

    async def run() -> None:
        stop = start_coverage_loop(slow, interval_s=3600)
        while not slow.started.is_set():
            await asyncio.sleep(0.005)
        await stop()

    asyncio.run(run())
    assert slow.calls == slow.finished == 1
