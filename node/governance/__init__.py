"""The node's governance service: the rule sets in force (published in the
ledger), data-quality metrics per partner kept incrementally in the database,
exception cases with SLA clocks (every transition a ledger entry), the
background SLA loop and the JSON views behind the health API and the dashboard.

The inventory publishing pipeline calls :func:`record_inbound` once per inbound
record (or ``batch.record_inbound`` inside :func:`inbound_batch` for an
export). The rules themselves are :mod:`governance`'s.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from node.governance._heap import freeze_heap
from node.governance._intake import InboundBatch, inbound_batch, record_inbound
from node.governance._ledger import ledger_kind
from node.governance._loop import SWEEP_INTERVAL_S, start_sla_loop
from node.governance._rules import RuleBook, StoredRuleSet
from node.governance._service import (
    CLEARED,
    Clock,
    GovernanceService,
    SweepResult,
    wall_clock_ms,
)
from node.governance._tables import metadata

__all__ = [
    "CLEARED",
    "SWEEP_INTERVAL_S",
    "Clock",
    "GovernanceService",
    "InboundBatch",
    "RuleBook",
    "StoredRuleSet",
    "SweepResult",
    "freeze_heap",
    "governance_service",
    "inbound_batch",
    "ledger_kind",
    "metadata",
    "record_inbound",
    "start_governance",
    "start_sla_loop",
    "wall_clock_ms",
]


_made = threading.Lock()


def governance_service(app: FastAPI) -> GovernanceService:
    """The app's governance service (``app.state.governance``), made on first use."""
    with _made:
        found = getattr(app.state, "governance", None)
        if isinstance(found, GovernanceService):
            return found
        service = GovernanceService(app.state.services.engine, app.state.node_log)
        app.state.governance = service
        return service


def start_governance(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Start the app's SLA loop (in the lifespan); returns the coroutine that stops it.

    ``app.state.governance_sweep_s`` overrides the interval (tests set it high and
    sweep explicitly with a controlled clock); 0 or less disables the loop.
    """
    default = app.state.services.settings.governance_sweep_s
    interval = float(getattr(app.state, "governance_sweep_s", default))
    if interval <= 0:

        async def nothing() -> None:
            return None

        return nothing
    return start_sla_loop(governance_service(app), interval_s=interval)
