"""The one property every parser of untrusted input has: a value, or its domain error."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = ["DERANDOMIZE", "examples", "parses_or_refuses"]

#: ``SCNODE_FUZZ_SCALE=20 pytest tests/fuzz`` runs twenty times the examples (a longer local run)
SCALE = max(1, int(os.environ.get("SCNODE_FUZZ_SCALE", "1")))
#: CI sends the same inputs every run (no flaky failures); a scaled local run explores
DERANDOMIZE = SCALE == 1


def examples(n: int) -> int:
    """Examples per parser test: ``n`` in CI, scaled by ``SCNODE_FUZZ_SCALE`` locally."""
    return n * SCALE


def parses_or_refuses(
    parse: Callable[[], Any], domain: type[BaseException] | tuple[type[BaseException], ...]
) -> BaseException | None:
    """Run ``parse()``: it returns, or raises ``domain`` with a message; anything else fails.

    Returns the domain error raised (None if the input was accepted)."""
    refused: BaseException | None = None
    try:
        parse()
    except domain as exc:
        refused = exc
    if refused is not None:
        assert str(refused).strip(), f"{type(refused).__name__} without a message"
    return refused
