"""``scnode bench ledger``: the ledger's speed on this machine (SQLite, on disk).

It works in a temporary folder under the current directory (not the system's
temporary folder, which may be a RAM disk where a flush costs nothing).

* ``append_per_s``: durable appends per second through the :class:`GroupCommitter`
  (SQLite WAL, ``synchronous=FULL``: every commit is fsynced). Callers are
  modelled as ``PRODUCERS`` threads each keeping ``WINDOW`` appends in flight
  (like an async server with that many concurrent requests); an append counts
  once its transaction has committed. ``append_latency_ms`` (median) and
  ``append_latency_p99_ms`` are what each caller waits: the latency group
  commit trades for throughput. ``append_curve`` repeats the measurement with
  16, 64 and 1,024 appends in flight. ``append_single_per_s``: one transaction
  per append, for comparison.
* ``verify_per_s``: ``LedgerStore.verify_all`` over the whole log (leaf hashes,
  hash chain, every stored tree node, every checkpoint root and signature);
  ``verify_per_cpu_s`` divides by this process's CPU time instead of wall time.
* ``inclusion_proof_ms_1m``: ``LedgerStore.inclusion_proof`` in a log of 2**20
  (1,048,576) leaves, mean over random indices (each proof also verified). The
  node table of that log is built directly (bulk insert of precomputed nodes);
  the proof path is the same as for any stored log. ``inclusion_proof_cpu_ms_1m``:
  CPU time per proof (SQLite runs in-process, so this includes the lookups).
* ``load_average_before`` / ``_after``: the machine's load; wall-clock figures
  measured on a busy machine are lower than on an idle one.
* ``bundle_verify_1000_s``: ``ledger.verify_bundle`` of a 1,000-entry evidence
  bundle exported from the log.
"""

from __future__ import annotations

import collections
import hashlib
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update

from ledger import (
    NoteSigner,
    build_bundle,
    leaf_hash,
    node_hash,
    verify_bundle,
    verify_inclusion,
)
from ledger.storage import Appended, GroupCommitter, LedgerStore, NewEntry
from ledger.storage._schema import logs
from node.db import create_engine, upgrade

__all__ = ["format_results", "run"]

PRODUCERS = 4
WINDOW = 64
CURVE_WINDOWS = (4, 16, 256)
ORIGIN = "bench.example/ledger"
PROOF_LOG_BITS = 20
PROOF_SAMPLES = 2000
BUNDLE_ENTRIES = 1000
INSERT_ROWS = 50_000

Log = Callable[[str], None]


def _body(i: int) -> dict[str, Any]:
    # the shape of a real inventory entry: ids, hex commitments, a proof digest
    return {
        "sku": f"SKU-{i % 5000:05d}",
        "location": "DC-01",
        "as_of_ms": 1_763_000_000_000 + i,
        "commitment": hashlib.sha256(b"c%d" % i).hexdigest() * 2,
        "proof_digest": hashlib.sha256(b"p%d" % i).hexdigest(),
    }


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_group_commit(store: LedgerStore, total: int, window: int = WINDOW) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    per = total // PRODUCERS
    in_flight = window
    bodies = [_body(i) for i in range(per * PRODUCERS)]  # made before the clock starts
    with GroupCommitter(store, clock=_now_ms) as committer:

        def producer(worker: int) -> None:
            pending: collections.deque[tuple[float, Future[Appended]]] = collections.deque()
            mine: list[float] = []
            for i in range(per):
                if len(pending) >= in_flight:
                    started, future = pending.popleft()
                    future.result()
                    mine.append(time.perf_counter() - started)
                body = bodies[worker * per + i]
                pending.append((time.perf_counter(), committer.submit("inventory.snapshot", body)))
            while pending:
                started, future = pending.popleft()
                future.result()
                mine.append(time.perf_counter() - started)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=producer, args=(w,)) for w in range(PRODUCERS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        batches = committer.batches
    return {
        "append_per_s": round(per * PRODUCERS / seconds),
        "append_latency_ms": round(statistics.median(latencies) * 1000, 2),
        "append_latency_p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "append_mean_batch": round(per * PRODUCERS / max(batches, 1), 1),
    }


def bench_single_appends(store: LedgerStore, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        store.append("inventory.snapshot", _body(i), _now_ms())
    return count / (time.perf_counter() - started)


def fill(store: LedgerStore, total: int, signer: NoteSigner, log: Log) -> None:
    """Grow the log to ``total`` entries, signing a checkpoint every 10,000."""
    step = 10_000
    while (size := store.size()) < total:
        count = min(step, total - size)
        store.append_many(
            [NewEntry("inventory.snapshot", _body(size + i), _now_ms()) for i in range(count)]
        )
        store.sign_checkpoint([signer], _now_ms())
        log(f"  log size {size + count:,}")


def bench_verify(store: LedgerStore, signer: NoteSigner) -> dict[str, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    report = store.verify_all([signer.verifier()])
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return {
        "verify_per_s": round(report.size / seconds),
        "verify_per_cpu_s": round(report.size / cpu),
        "verify_entries": report.size,
    }


def _perfect_tree_rows(log_id: int, bits: int) -> tuple[list[tuple[int, int, int, bytes]], bytes]:
    level = [leaf_hash(i.to_bytes(8, "big")) for i in range(1 << bits)]
    rows = [(log_id, 0, i, h) for i, h in enumerate(level)]
    for height in range(1, bits + 1):
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        rows.extend((log_id, height, i, h) for i, h in enumerate(level))
    return rows, level[0]


def bench_proofs(engine: Engine, bits: int, log: Log) -> dict[str, float]:
    """Inclusion proofs in a log of 2**bits leaves whose node table is bulk-loaded."""
    store = LedgerStore.create(engine, f"{ORIGIN}/proofs")
    size = 1 << bits
    log(f"  hashing a tree of {size:,} leaves")
    rows, root = _perfect_tree_rows(store.log_id, bits)
    log(f"  inserting {len(rows):,} tree nodes")
    with engine.begin() as conn:
        for start in range(0, len(rows), INSERT_ROWS):
            conn.exec_driver_sql(
                "INSERT INTO ledger_nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)",
                rows[start : start + INSERT_ROWS],
            )
        conn.execute(
            update(logs)
            .where(logs.c.log_id == store.log_id)
            .values(size=size, last_leaf_hash=rows[size - 1][3], border=root)
        )
    del rows
    if store.root() != root:
        raise RuntimeError("bulk-loaded tree has the wrong root")
    rng = random.Random(20261122)  # fixed seed: the same indices every run
    indices = [rng.randrange(size) for _ in range(PROOF_SAMPLES)]
    log(f"  {PROOF_SAMPLES} inclusion proofs")
    for index in indices[:50]:  # warm the page cache and statement cache
        store.inclusion_proof(index, size)
    times: list[float] = []
    cpu = 0.0
    for index in indices:
        started, cpu_started = time.perf_counter(), time.process_time()
        proof = store.inclusion_proof(index, size)
        times.append(time.perf_counter() - started)
        cpu += time.process_time() - cpu_started
        verify_inclusion(leaf_hash(index.to_bytes(8, "big")), index, size, proof, root)
    return {
        "inclusion_proof_ms_1m": round(statistics.fmean(times) * 1000, 3),
        "inclusion_proof_cpu_ms_1m": round(cpu / len(indices) * 1000, 3),
        "inclusion_proof_p99_ms_1m": round(_percentile(times, 0.99) * 1000, 3),
        "inclusion_proof_log_size": size,
        "inclusion_proof_hashes": len(proof),
    }


def bench_bundle(store: LedgerStore, signer: NoteSigner) -> dict[str, float]:
    cp = store.sign_checkpoint([signer], _now_ms())
    items = [
        (e.seq, e.leaf or b"", store.inclusion_proof(e.seq, cp.size))
        for e in store.entries(0, BUNDLE_ENTRIES)
    ]
    data = build_bundle(
        origin=store.origin,
        vkeys=[signer.vkey],
        entries=items,
        size=cp.size,
        checkpoint_note=cp.text,
    )
    started = time.perf_counter()
    report = verify_bundle(data, vkeys=[signer.vkey])
    seconds = time.perf_counter() - started
    if len(report.entries) != BUNDLE_ENTRIES:
        raise RuntimeError("bundle report does not cover every entry")
    return {"bundle_verify_1000_s": round(seconds, 3), "bundle_bytes_1000": len(data)}


def run(*, quick: bool = False, log: Log = lambda _m: None, quiet: bool = False) -> dict[str, Any]:
    """Run every ledger benchmark in a temporary SQLite database; return the figures."""
    del quiet  # progress goes through ``log``
    appends = 5_000 if quick else 40_000
    verify_size = 20_000 if quick else 200_000
    bits = 16 if quick else PROOF_LOG_BITS
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "durability": "SQLite WAL, synchronous=FULL (fsync per commit)",
            "producers": PRODUCERS,
            "in_flight_per_producer": WINDOW,
        },
        "quick": quick,
    }
    results["load_average_before"] = _load()
    with tempfile.TemporaryDirectory(prefix="scnode-bench-", dir=Path.cwd()) as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        upgrade(url)
        engine = create_engine(url)
        try:
            store = LedgerStore.create(engine, ORIGIN)
            signer = NoteSigner.generate(ORIGIN)
            log("single appends (one transaction each)")
            results["append_single_per_s"] = round(bench_single_appends(store, 200))
            log(f"group commit: {appends:,} appends, {PRODUCERS} producers x {WINDOW} in flight")
            results.update(bench_group_commit(store, appends))
            # the trade-off: more appends in flight, bigger batches, more latency
            curve = []
            for window in CURVE_WINDOWS:
                log(f"group commit: {PRODUCERS} producers x {window} in flight")
                point = bench_group_commit(store, appends // 2, window)
                curve.append({"in_flight": PRODUCERS * window, **point})
            results["append_curve"] = curve
            log(f"filling the log to {verify_size:,} entries for verify")
            fill(store, verify_size, signer, log)
            log("full verify (chain + tree nodes + checkpoints + signatures)")
            results.update(bench_verify(store, signer))
            log(f"bundle of {BUNDLE_ENTRIES} entries: export, then verify")
            results.update(bench_bundle(store, signer))
            log(f"inclusion proofs in a log of {1 << bits:,} entries")
            results.update(bench_proofs(engine, bits, log))
        finally:
            engine.dispose()
    results["load_average_after"] = _load()
    return results


def _load() -> list[float]:
    """1/5/15-minute load averages: other work on the machine skews wall-clock figures."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def format_results(results: dict[str, Any]) -> str:
    lines = [
        f"durable appends, group commit   {results['append_per_s']:>10,} /s"
        f"   (latency median {results['append_latency_ms']} ms,"
        f" p99 {results['append_latency_p99_ms']} ms, mean batch {results['append_mean_batch']})",
        f"durable appends, one per commit {results['append_single_per_s']:>10,} /s",
        f"full ledger verify              {results['verify_per_s']:>10,} entries/s"
        f"   ({results['verify_entries']:,} entries;"
        f" {results['verify_per_cpu_s']:,} per CPU second)",
        f"inclusion proof, {results['inclusion_proof_log_size']:,} entries"
        f"   {results['inclusion_proof_ms_1m']} ms mean,"
        f" {results['inclusion_proof_p99_ms_1m']} ms p99,"
        f" {results['inclusion_proof_cpu_ms_1m']} ms CPU",
        f"bundle verification, 1,000 entries   {results['bundle_verify_1000_s']} s",
        *(
            f"  {p['in_flight']:>5} in flight: {p['append_per_s']:>7,} /s,"
            f" latency median {p['append_latency_ms']} ms, p99 {p['append_latency_p99_ms']} ms"
            for p in results.get("append_curve", [])
        ),
        f"load average before/after        {results['load_average_before']} /"
        f" {results['load_average_after']}",
    ]
    return "\n".join(lines)
