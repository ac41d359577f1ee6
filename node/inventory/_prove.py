"""Commitments to every quantity bucket and the safety-stock fact of each position.

Per position: one Pedersen commitment per bucket (and one to the safety stock),
then, when both available stock and safety stock are known, the fact:

* available ≥ safety stock: ``zk.prove_at_least(open_available − open_safety, 0)``
  over ``C_available − C_safety_stock``, with 32-bit ranges when the gap fits
  (622-byte proofs), 64-bit otherwise. The safety stock itself stays hidden.
* available < safety stock: the fact ``below`` with no proof (no proof of the
  number is published).

The cost is dominated by the range proof (one per position with a safety stock);
commitments cost a fraction of a millisecond each. ``jobs`` > 1 spreads the
proofs over the process's long-lived prover pool (:mod:`node.inventory._pool`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Final

import zk
from node.inventory._checks import Position
from node.inventory._entry import AT_LEAST, BELOW, Fact, PositionBody, fact_context
from node.inventory._pool import discard_pool, prover_pool

__all__ = ["AVAILABLE", "SAFETY_STOCK", "Committed", "commit_positions", "fact_bits"]

AVAILABLE: Final = "available"
SAFETY_STOCK: Final = "safety_stock"
_SMALL_BITS: Final = 32
_LARGE_BITS: Final = 64
#: Below this many proofs per worker process, the round trips cost more than they save.
_MIN_TASKS_PER_JOB: Final = 2


@dataclass(frozen=True)
class Committed:
    """One position's public body and its secret openings (for the owner's tables)."""

    position: Position
    body: PositionBody
    openings: dict[str, zk.Opening]


def fact_bits(gap: int) -> int:
    """The range size for an at-least proof of a gap ``available − safety ≥ 0``."""
    return _SMALL_BITS if gap < (1 << _SMALL_BITS) else _LARGE_BITS


@dataclass(frozen=True)
class _Task:
    """One at-least proof to make: the opening of C_available − C_safety_stock."""

    value: int
    blinding: int
    bits: int
    context: bytes


def _prove(task: _Task, rng: zk.Rng) -> bytes:
    opening = zk.Opening(task.value, task.blinding)
    return zk.prove_at_least(opening, 0, bits=task.bits, context=task.context, rng=rng).to_bytes()


def _prove_in_worker(task: _Task) -> bytes:
    """Worker-process entry: fresh system randomness in every process."""
    return _prove(task, secrets.SystemRandom())


def _results(
    futures: Sequence[Future[bytes]], tasks: Sequence[_Task], rng: zk.Rng
) -> Iterator[bytes]:
    """The proofs in order; if the pool broke (a worker died), it is discarded and
    the remaining proofs are made in this process."""
    for n, future in enumerate(futures):
        try:
            yield future.result()
        except BrokenProcessPool:
            discard_pool()
            for task in tasks[n:]:
                yield _prove(task, rng)
            return
    for task in tasks[len(futures) :]:  # submitted no more once the pool broke
        yield _prove(task, rng)


def _has_fact(position: Position) -> bool:
    safety, quantities = position.safety_stock, position.quantities
    return safety is not None and quantities.get(AVAILABLE, -1) >= safety


def _commit_one(
    position: Position, subject: str, origin: str, snapshot: str, rng: zk.Rng
) -> tuple[dict[str, bytes], dict[str, zk.Opening], _Task | None]:
    values = dict(position.quantities)
    if position.safety_stock is not None:
        values[SAFETY_STOCK] = position.safety_stock
    commitments: dict[str, bytes] = {}
    openings: dict[str, zk.Opening] = {}
    for name, value in values.items():
        commitment, opening = zk.commit(value, rng=rng)
        commitments[name] = commitment.to_bytes()
        openings[name] = opening
    task = None
    if position.safety_stock is not None and AVAILABLE in position.quantities:
        gap = position.quantities[AVAILABLE] - position.safety_stock
        if gap >= 0:
            diff = openings[AVAILABLE] - openings[SAFETY_STOCK]
            context = fact_context(origin, snapshot, subject, AT_LEAST)
            task = _Task(diff.value, diff.blinding, fact_bits(gap), context)
    return commitments, openings, task


def commit_positions(
    positions: Sequence[Position],
    subjects: Sequence[str],
    *,
    origin: str,
    snapshot: str,
    rng: zk.Rng,
    advance: Callable[[int], None] = lambda _n: None,
    jobs: int = 1,
) -> list[Committed]:
    """Commit to and prove the facts of every position (``advance(1)`` after each).

    With ``jobs`` > 1 and enough proofs to share, the range proofs are made by
    the process's prover pool of that many workers (each draws its nonces' fresh
    bytes from the system's randomness); commitments are always made here.
    """
    pool = None
    if jobs > 1 and sum(map(_has_fact, positions)) >= _MIN_TASKS_PER_JOB * jobs:
        pool = prover_pool(jobs)
    made = []
    tasks: list[_Task] = []
    futures: list[Future[bytes]] = []
    for position, subject in zip(positions, subjects, strict=True):
        one = _commit_one(position, subject, origin, snapshot, rng)
        made.append(one)
        if one[2] is None:
            continue
        tasks.append(one[2])
        if pool is not None:  # the workers prove while the next commitments are made
            try:
                futures.append(pool.submit(_prove_in_worker, one[2]))
            except BrokenProcessPool:
                discard_pool()
                pool = None
    proofs: Iterator[bytes] = (
        _results(futures, tasks, rng) if futures else (_prove(t, rng) for t in tasks)
    )
    out = []
    for position, subject, (commitments, openings, task) in zip(
        positions, subjects, made, strict=True
    ):
        facts: list[Fact] = []
        if task is not None:
            facts.append(Fact(AT_LEAST, next(proofs), task.bits))
        elif position.safety_stock is not None and AVAILABLE in position.quantities:
            facts.append(Fact(BELOW))
        body = PositionBody(subject, position.as_of_ms, commitments, facts)
        out.append(Committed(position, body, openings))
        advance(1)
    return out
