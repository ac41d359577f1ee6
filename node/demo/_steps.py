"""The week's later steps (documents, capacity, exceptions, pledges)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from node.demo._capacity import capacity_forwarded
from node.demo._documents import documents_cycle
from node.demo._pledge import pledges
from node.demo._safety import safety_stock_exception

if TYPE_CHECKING:
    from node.demo._scenario import Demo

STEPS: list[tuple[str, Callable[[Demo], None]]] = [
    ("documents", documents_cycle),
    ("capacity-fact-forwarded", capacity_forwarded),
    ("safety-stock-exception", safety_stock_exception),
    ("pledges", pledges),
]
