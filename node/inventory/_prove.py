"""Commitments to every quantity bucket and the safety-stock fact of each position.

Per position: one Pedersen commitment per bucket (and one to the safety stock),
then, when both available stock and safety stock are known, the fact:

* available ≥ safety stock: ``zk.prove_at_least(open_available − open_safety, 0)``
  over ``C_available − C_safety_stock``, with 32-bit ranges when the gap fits
  (622-byte proofs), 64-bit otherwise. The safety stock itself stays hidden.
* available < safety stock: the fact ``below`` with no proof (no proof of the
  number is published).

The cost is dominated by the range proof (one per position with a safety stock);
commitments cost a fraction of a millisecond each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import zk
from node.inventory._checks import Position
from node.inventory._entry import AT_LEAST, BELOW, Fact, PositionBody, fact_context

__all__ = ["AVAILABLE", "SAFETY_STOCK", "Committed", "commit_positions", "fact_bits"]

AVAILABLE: Final = "available"
SAFETY_STOCK: Final = "safety_stock"
_SMALL_BITS: Final = 32
_LARGE_BITS: Final = 64


@dataclass(frozen=True)
class Committed:
    """One position's public body and its secret openings (for the owner's tables)."""

    position: Position
    body: PositionBody
    openings: dict[str, zk.Opening]


def fact_bits(gap: int) -> int:
    """The range size for an at-least proof of a gap ``available − safety ≥ 0``."""
    return _SMALL_BITS if gap < (1 << _SMALL_BITS) else _LARGE_BITS


def _commit_one(
    position: Position, subject: str, origin: str, snapshot: str, rng: zk.Rng
) -> Committed:
    values = dict(position.quantities)
    if position.safety_stock is not None:
        values[SAFETY_STOCK] = position.safety_stock
    commitments: dict[str, bytes] = {}
    openings: dict[str, zk.Opening] = {}
    for name, value in values.items():
        commitment, opening = zk.commit(value, rng=rng)
        commitments[name] = commitment.to_bytes()
        openings[name] = opening
    facts: list[Fact] = []
    if position.safety_stock is not None and AVAILABLE in position.quantities:
        gap = position.quantities[AVAILABLE] - position.safety_stock
        if gap >= 0:
            bits = fact_bits(gap)
            proof = zk.prove_at_least(
                openings[AVAILABLE] - openings[SAFETY_STOCK],
                0,
                bits=bits,
                context=fact_context(origin, snapshot, subject, AT_LEAST),
                rng=rng,
            )
            facts.append(Fact(AT_LEAST, proof.to_bytes(), bits))
        else:
            facts.append(Fact(BELOW))
    body = PositionBody(subject, position.as_of_ms, commitments, facts)
    return Committed(position, body, openings)


def commit_positions(
    positions: Sequence[Position],
    subjects: Sequence[str],
    *,
    origin: str,
    snapshot: str,
    rng: zk.Rng,
    advance: Callable[[int], None] = lambda _n: None,
) -> list[Committed]:
    """Commit to and prove the facts of every position (``advance(1)`` after each)."""
    out = []
    for position, subject in zip(positions, subjects, strict=True):
        out.append(_commit_one(position, subject, origin, snapshot, rng))
        advance(1)
    return out
