"""Starting the coverage worker in a served node's lifespan."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from node.finance._service import CoverResult, Finance
from node.finance._worker import CoverageWorker, start_coverage_loop

__all__ = ["AppCoverage", "start_finance"]


class AppCoverage:
    """The app's coverage worker, made once the node's ledger exists (``app.state.finance``)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.worker: CoverageWorker | None = None
        self._lock = threading.Lock()

    def step(self) -> CoverResult:
        with self._lock:
            if self.worker is None:
                node_log = self.app.state.node_log
                store = node_log.store_if_ready()
                if store is None:  # no ledger yet (scnode init not run): nothing to prove
                    return CoverResult((), ())
                finance = Finance(
                    self.app.state.services.engine,
                    store,
                    lambda now: node_log.keys().signers(now),
                    lambda: time.time_ns() // 1_000_000,
                    secrets.SystemRandom(),
                )
                self.worker = CoverageWorker(finance)
            return self.worker.step()


def start_finance(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Start the coverage worker (in the lifespan); returns the coroutine that stops it.

    Every ``finance_cover_s`` seconds (the setting; ``app.state.finance_cover_s``
    overrides it in tests) the worker proves coverage for new snapshots under an
    active pledge; its first round is a full catch-up. 0 or less disables it
    (``scnode finance cover`` still works).
    """
    override = getattr(app.state, "finance_cover_s", None)
    setting = override if override is not None else app.state.services.settings.finance_cover_s
    interval = float(setting)
    coverage = AppCoverage(app)
    app.state.finance = coverage
    if interval <= 0:

        async def nothing() -> None:
            return None

        return nothing
    return start_coverage_loop(coverage, interval_s=interval)
