"""``LedgerStore.transaction``: appends, a checkpoint and the caller's own rows in ONE
transaction: committed together, or (on any error) none of them; concurrent writers
using it and plain appends never fork, skip or repeat a sequence number."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select

from ledger import Entry, NoteSigner
from ledger.storage import LedgerStore, NewEntry
from node.db import create_engine

probe_metadata = MetaData()
probe = Table(
    "ledger_tx_probe",
    probe_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(200), nullable=False),
    Column("seq", Integer, nullable=False),
)

PROCESSES = 3
ROUNDS = 6


class Injected(Exception):
    pass


def _key() -> NoteSigner:
    return NoteSigner.generate("example.com/tx", rng=lambda n: b"\x05" * n)


def _probe_rows(engine: Engine, origin: str) -> list[int]:
    probe_metadata.create_all(engine, checkfirst=True)
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(probe.c.seq).where(probe.c.origin == origin))]


def test_entries_checkpoint_and_caller_rows_commit_together(
    engine: Engine, store: LedgerStore
) -> None:
    probe_metadata.create_all(engine, checkfirst=True)
    store.append("x.before", {"n": 0}, 1)
    with store.transaction() as writer:
        assert writer.size == 1
        done = writer.append_many([NewEntry("x.a", {"n": 1}, 2), NewEntry("x.b", {"n": 2}, 2)])
        assert [a.seq for a in done] == [1, 2]
        assert writer.size == 3
        cp = writer.sign_checkpoint([_key()], 2)
        assert cp.size == 3
        writer.conn.execute(insert(probe).values(origin=store.origin, seq=done[-1].seq))
    assert store.size() == 3
    assert _probe_rows(engine, store.origin) == [2]
    latest = store.checkpoint()
    assert latest is not None
    assert latest.size == 3
    assert latest.root == store.root(3)
    assert store.verify_all([_key().verifier()]).checkpoints == 1
    leaf = store.entry(2).leaf
    assert leaf is not None
    assert Entry.from_leaf(leaf).body == {"n": 2}


def test_an_error_after_the_append_rolls_everything_back(
    engine: Engine, store: LedgerStore
) -> None:
    probe_metadata.create_all(engine, checkfirst=True)
    store.append("x.before", {"n": 0}, 1)
    store.sign_checkpoint([_key()], 1)
    root = store.root()

    def fail_after_writing() -> None:
        with store.transaction() as writer:
            writer.append("x.lost", {"n": 1}, 2)
            writer.sign_checkpoint([_key()], 2)
            writer.conn.execute(insert(probe).values(origin=store.origin, seq=1))
            raise Injected("after the append, the checkpoint and the caller's row")

    with pytest.raises(Injected):
        fail_after_writing()
    assert store.size() == 1
    assert store.root() == root
    latest = store.checkpoint()
    assert latest is not None
    assert latest.size == 1
    assert _probe_rows(engine, store.origin) == []
    # the sequence number of the rolled-back entry is the next one given, no gap
    assert store.append("x.after", {"n": 1}, 3).seq == 1
    assert store.verify_all([_key().verifier()]).size == 2


def _writer(url: str, origin: str, worker: int, barrier: Any, out: Any) -> None:
    engine = create_engine(url)
    store = LedgerStore.open(engine, origin)
    barrier.wait()
    seqs: list[int] = []
    for i in range(ROUNDS):
        if i % 2 == 0:
            with store.transaction() as writer:
                done = writer.append_many(
                    [NewEntry("x.tx", {"w": worker, "i": i, "j": j}, i) for j in range(2)]
                )
                writer.conn.execute(insert(probe).values(origin=origin, seq=done[-1].seq))
                writer.sign_checkpoint([_key()], i)
            seqs.extend(a.seq for a in done)
        else:
            seqs.append(store.append("x.plain", {"w": worker, "i": i}, i).seq)
    engine.dispose()
    out.put((worker, seqs))


def test_transactions_and_appends_from_processes_never_fork_or_skip(
    engine: Engine, store: LedgerStore
) -> None:
    probe_metadata.create_all(engine, checkfirst=True)
    url = engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(url, store.origin, w, barrier, out))
        for w in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    total = PROCESSES * (ROUNDS // 2 * 3)
    assert sorted(s for got in results.values() for s in got) == list(range(total))
    assert store.size() == total
    # every transaction's own row names the last entry it appended, and that
    # entry is the writer's
    rows = _probe_rows(engine, store.origin)
    assert len(rows) == PROCESSES * (ROUNDS // 2)
    for seq in rows:
        leaf = store.entry(seq).leaf
        assert leaf is not None
        assert Entry.from_leaf(leaf).kind == "x.tx"
    assert store.verify_all([_key().verifier()]).checkpoints == len(store.checkpoints())
