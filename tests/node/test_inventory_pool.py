"""The long-lived prover pool: proofs made by its workers verify, in position
order; a pool whose worker died is replaced and the proofs are still made."""

from __future__ import annotations

import os
import random
import signal

import zk
from node.inventory import AT_LEAST, fact_context
from node.inventory._checks import Position
from node.inventory._pool import default_jobs, prover_pool, shutdown_pool
from node.inventory._prove import Committed, commit_positions

ORIGIN = "example.com/pool"
SNAPSHOT = "ab" * 16


def _positions(n: int) -> list[Position]:
    return [
        Position(f"SKU-{i}", "DC", None, 0, {"available": 500 + 37 * i}, 100 + i, None, {})
        for i in range(n)
    ]


def _verify(done: list[Committed], subjects: list[str]) -> None:
    for c, subject in zip(done, subjects, strict=True):
        assert c.body.subject == subject
        (fact,) = c.body.facts
        assert fact.fact == AT_LEAST
        assert fact.proof is not None
        assert fact.bits == 32
        available = zk.Commitment.from_bytes(c.body.commitments["available"])
        safety = zk.Commitment.from_bytes(c.body.commitments["safety_stock"])
        zk.verify_at_least(
            available - safety,
            0,
            zk.RangeProof.from_bytes(fact.proof),
            bits=32,
            context=fact_context(ORIGIN, SNAPSHOT, subject, AT_LEAST),
        )
        # the proof belongs to its own position: not to the next one's context
        other = fact_context(ORIGIN, SNAPSHOT, subject + "x", AT_LEAST)
        try:
            zk.verify_at_least(
                available - safety, 0, zk.RangeProof.from_bytes(fact.proof), bits=32, context=other
            )
        except zk.ProofError:
            pass
        else:
            raise AssertionError("a proof verified under another position's context")


def test_pool_proofs_verify_in_order_and_a_dead_worker_is_survived() -> None:
    positions = _positions(4)
    subjects = [f"{i:064x}" for i in range(4)]
    rng = random.Random(7)
    try:
        first = commit_positions(
            positions, subjects, origin=ORIGIN, snapshot=SNAPSHOT, rng=rng, jobs=2
        )
        _verify(first, subjects)
        pool = prover_pool(2)
        for pid in list(pool._processes):  # a worker dies (e.g. killed by the OOM killer)
            os.kill(pid, signal.SIGKILL)
        again = commit_positions(
            positions, subjects, origin=ORIGIN, snapshot=SNAPSHOT, rng=rng, jobs=2
        )
        _verify(again, subjects)
        assert prover_pool(2) is not pool  # the broken pool was replaced
    finally:
        shutdown_pool()
    assert default_jobs() >= 1
