"""Retry delays: exponential backoff with "equal jitter", randomness passed in.

The n-th failed attempt (n >= 1) waits ``d/2 + U(0, d/2)`` with
``d = min(MAX_DELAY_MS, BASE_DELAY_MS * 2**(n-1))``: delays double until the cap,
and peers that failed together do not all retry at the same moment.
"""

from __future__ import annotations

from typing import Final, Protocol

__all__ = ["BASE_DELAY_MS", "MAX_DELAY_MS", "Random", "backoff_ms"]

BASE_DELAY_MS: Final = 1_000
MAX_DELAY_MS: Final = 3_600_000  # one hour: a peer offline for a day is retried ~30 times


class Random(Protocol):
    """What backoff needs of a random source (``random.Random`` fits)."""

    def random(self) -> float: ...


def backoff_ms(attempts: int, rng: Random) -> int:
    """Milliseconds to wait after the ``attempts``-th consecutive failure."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    ceiling = min(MAX_DELAY_MS, BASE_DELAY_MS << min(attempts - 1, 32))
    half = ceiling // 2
    jitter: float = rng.random()
    return half + int(jitter * (ceiling - half))
