"""The background SLA loop: sweeps the governance state every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from node.governance._service import GovernanceService

__all__ = ["SWEEP_INTERVAL_S", "start_sla_loop"]

#: Seconds between sweeps (openings from metrics, cleared cases, SLA breaches).
SWEEP_INTERVAL_S: Final = 5.0
_log = logging.getLogger("scnode.governance")


def start_sla_loop(
    service: GovernanceService, *, interval_s: float = SWEEP_INTERVAL_S
) -> Callable[[], Awaitable[None]]:
    """Start sweeping in the running event loop; returns the coroutine that stops it.

    The first turn comes one interval after start-up; see
    :meth:`GovernanceService.tick` for what a turn does.

    A sweep runs in a worker thread (it touches the database and the ledger); a
    failing sweep is logged and retried at the next tick, never ends the loop.
    """

    async def run() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await asyncio.to_thread(service.tick)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001  one failed sweep must not stop SLA tracking
                _log.exception("governance sweep failed; retrying in %.0f s", interval_s)

    task = asyncio.get_running_loop().create_task(run(), name="governance-sla-loop")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
