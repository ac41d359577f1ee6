"""Several processes appending to one log at once: no fork, no gap, no repeat."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest
from sqlalchemy import Engine

from ledger import Entry, NoteSigner, StorageError
from ledger.storage import GroupCommitter, LedgerStore, NewEntry
from node.db import create_engine

PROCESSES = 4
ROUNDS = 9


def _key() -> NoteSigner:
    return NoteSigner.generate("example.com/concurrency", rng=lambda n: b"\x09" * n)


def _writer(url: str, origin: str, worker: int, barrier: Any, out: Any) -> None:
    engine = create_engine(url)
    store = LedgerStore.open(engine, origin)
    barrier.wait()
    seqs: list[int] = []
    for i in range(ROUNDS):
        if i % 3 == 0:
            batch = [
                NewEntry("inventory.snapshot", {"w": worker, "i": i, "j": j}, i) for j in range(3)
            ]
            seqs.extend(a.seq for a in store.append_many(batch))
        else:
            seqs.append(store.append("inventory.snapshot", {"w": worker, "i": i}, i).seq)
        if i % 4 == 3:  # signing races with the other writers' appends and signing
            store.sign_checkpoint([_key()], now_ms=i)
    engine.dispose()
    out.put((worker, seqs))


def test_processes_appending_at_once_never_fork_or_skip(engine: Engine, store: LedgerStore) -> None:
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
    per_worker = ROUNDS + 2 * len(range(0, ROUNDS, 3))
    total = PROCESSES * per_worker
    seqs = sorted(s for got in results.values() for s in got)
    assert seqs == list(range(total))
    assert store.size() == total
    assert len(store.checkpoints()) >= 2
    # every checkpoint any worker signed has the root of the one tree at its size
    report = store.verify_all([_key().verifier()])
    assert report.checkpoints == len(store.checkpoints())
    # each worker's own entries are in its order, and say which worker wrote them
    for worker, got in results.items():
        assert got == sorted(got)
        for seq in got:
            leaf = store.entry(seq).leaf
            assert leaf is not None
            assert Entry.from_leaf(leaf).body["w"] == worker


def test_group_committer_serves_many_threads(store: LedgerStore) -> None:
    ticks = iter(range(1_000_000))
    with GroupCommitter(store, clock=lambda: next(ticks), max_batch=16) as committer:
        results: dict[int, list[int]] = {}

        def client(t: int) -> None:
            results[t] = [
                committer.append("inventory.snapshot", {"t": t, "i": i}).seq for i in range(25)
            ]

        threads = [threading.Thread(target=client, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        bad = committer.submit("Not A Kind", {})
        good = committer.submit("inventory.snapshot", {"after": "bad"})
    assert sorted(s for got in results.values() for s in got) == list(range(200))
    assert committer.appended == 201
    assert good.result().seq == 200
    exc = bad.exception()
    assert exc is not None
    assert "kind" in str(exc)
    store.verify_all([])
    stamps = [e.timestamp_ms for e in store.entries(0, 201)]
    assert stamps == sorted(stamps)


def test_group_committer_commits_what_queued_meanwhile_in_one_batch(store: LedgerStore) -> None:
    release, holding = threading.Event(), threading.Event()
    calls: list[int] = []

    def clock() -> int:
        calls.append(1)
        if len(calls) == 1:
            holding.set()
            release.wait(timeout=30)  # hold the first batch until the others are queued
        return 1000 + len(calls)

    with GroupCommitter(store, clock=clock) as committer:
        first = committer.submit("inventory.snapshot", {"i": 0})
        assert holding.wait(timeout=30)
        rest = [committer.submit("inventory.snapshot", {"i": i}) for i in range(1, 11)]
        release.set()
        assert [f.result(timeout=30).seq for f in [first, *rest]] == list(range(11))
    assert (committer.batches, committer.appended) == (2, 11)
    assert [e.timestamp_ms for e in store.entries(0, 11)] == [1001] + [1002] * 10


def test_group_committer_with_linger_commits_everything_before_closing(
    store: LedgerStore,
) -> None:
    committer = GroupCommitter(store, clock=lambda: 7, linger_s=0.01, max_batch=8)
    futures = [committer.submit("inventory.snapshot", {"i": i}) for i in range(30)]
    committer.close()  # drains the queue first
    assert [f.result(timeout=0).seq for f in futures] == list(range(30))
    assert committer.batches >= 4  # max_batch 8
    with pytest.raises(StorageError, match="closed"):
        committer.submit("inventory.snapshot", {})
    with pytest.raises(ValueError, match="max_batch"):
        GroupCommitter(store, clock=lambda: 7, max_batch=0)
