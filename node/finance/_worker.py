"""The coverage worker: follows the borrower's log and proves coverage of new snapshots.

Each ``inventory.snapshot`` entry appended after the worker's cursor is read
through the ledger store's public reading API (:meth:`LedgerStore.entries`); the
subjects it carries that have an active pledge are proven again with
:meth:`Finance.cover_subjects`, which logs one ``finance.coverage`` entry per
snapshot whose latest proof is out of date. The first step is a full catch-up
(:meth:`Finance.catch_up`), so a restarted node proves what it missed while down.

A snapshot entry whose private rows are not yet marked published (the publisher
appends the entry, then marks its rows) holds the cursor: the next step looks at
it again. Snapshots whose stock cannot cover their pledges are reported as
shortfalls (no proof exists for them; a bank's report shows them as gaps).

:func:`start_coverage_loop` runs steps in the event loop of a served node; the
node's lifespan starts it through :func:`node.finance.start_finance`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

from sqlalchemy import select

from ledger import Entry
from node.finance._errors import FinanceFormatError
from node.finance._service import CoverResult, Finance, Shortfall
from node.finance._snapshot import snapshot_positions
from node.inventory import ENTRY_KIND as SNAPSHOT_KIND
from node.inventory import inventory_snapshots

__all__ = ["COVER_INTERVAL_S", "CoverageWorker", "Stepper", "start_coverage_loop"]

#: Seconds between two looks at the log for new snapshots.
COVER_INTERVAL_S: Final = 5.0
#: Entries read per query while following the log.
_CHUNK: Final = 512
_log = logging.getLogger("scnode.finance")


@dataclass
class CoverageWorker:
    """Proves coverage for snapshots appended since the last step (see the module doc)."""

    finance: Finance
    cursor: int | None = None
    #: Steps the cursor may wait on one unpublished snapshot before passing it by.
    patience: int = 12
    _held: tuple[int, int] = (-1, 0)
    #: Shortfalls seen so far (snapshot entry index → shortfall), for logs and status.
    shortfalls: dict[int, Shortfall] = field(default_factory=dict)

    def step(self) -> CoverResult:
        """One look at the log: prove what new snapshots need; the entries logged."""
        fin = self.finance
        if self.cursor is None:
            size = fin.store.size()
            result = fin.catch_up()
            self.cursor = size
            self._note(result)
            return result
        size = fin.store.size()
        subjects, stop = self._new_subjects(self.cursor, size)
        pledged = set(fin.pledged_subjects())
        wanted = sorted(subjects & pledged)
        result = fin.cover_subjects(wanted) if wanted else CoverResult((), ())
        self.cursor = self._hold(stop, size)
        self._note(result)
        return result

    def _hold(self, stop: int, size: int) -> int:
        """Where the cursor goes: ``stop``, unless it has waited there too long (a publisher
        that stopped between its append and marking its rows): then past that entry."""
        if stop >= size:
            self._held = (-1, 0)
            return stop
        seq, waited = self._held
        waited = waited + 1 if seq == stop else 1
        if waited > self.patience:
            _log.warning("snapshot entry %d stays unpublished; coverage goes on past it", stop)
            self._held = (-1, 0)
            return stop + 1
        self._held = (stop, waited)
        return stop

    def _note(self, result: CoverResult) -> None:
        for s in result.shortfalls:
            if s.seq not in self.shortfalls:
                _log.warning(
                    "snapshot %s (entry %d) cannot cover its %d pledge(s): no coverage proof",
                    s.snapshot,
                    s.seq,
                    s.pledges,
                )
            self.shortfalls[s.seq] = s

    def _new_subjects(self, start: int, size: int) -> tuple[set[str], int]:
        """Subjects of the snapshot entries in [start, size) and where the cursor may move
        (up to, not past, the first snapshot whose private rows are not published yet)."""
        subjects: set[str] = set()
        for first in range(start, size, _CHUNK):
            for stored in self.finance.store.entries(first, min(first + _CHUNK, size)):
                if stored.kind != SNAPSHOT_KIND or stored.leaf is None:
                    continue
                try:
                    body = Entry.from_leaf(stored.leaf).body
                    snapshot = body.get("snapshot")
                    positions = snapshot_positions(body)
                except FinanceFormatError as exc:
                    _log.warning("snapshot entry %d is not readable: %s", stored.seq, exc)
                    continue
                if not self._published(str(snapshot), stored.seq):
                    return subjects, stored.seq
                subjects.update(positions)
        return subjects, size

    def _published(self, snapshot: str, seq: int) -> bool:
        with self.finance.engine.connect() as conn:
            row = conn.execute(
                select(inventory_snapshots.c.state, inventory_snapshots.c.seq).where(
                    inventory_snapshots.c.id == snapshot
                )
            ).first()
        if row is None:  # not this node's own snapshot rows: nothing to prove from
            return True
        return str(row[0]) == "published" and row[1] is not None and int(row[1]) == seq


class Stepper(Protocol):
    def step(self) -> CoverResult: ...


def start_coverage_loop(
    worker: Stepper, *, interval_s: float = COVER_INTERVAL_S
) -> Callable[[], Awaitable[None]]:
    """Run :meth:`CoverageWorker.step` every ``interval_s`` in the running event loop (in a
    worker thread: it touches the database and the ledger); returns the coroutine that
    stops it. The first step (the catch-up) runs at once; a failing step is logged and
    retried at the next tick, never ends the loop. Stopping lets a step that is under
    way finish (a thread cannot be interrupted), so the caller may dispose of the
    database engine right after."""
    stopping = asyncio.Event()

    async def run() -> None:
        while not stopping.is_set():
            try:
                await asyncio.to_thread(worker.step)
            except Exception:  # noqa: BLE001  one failed round must not stop coverage
                _log.exception("coverage round failed; retrying in %.0f s", interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval_s)

    task = asyncio.get_running_loop().create_task(run(), name="finance-coverage-loop")

    async def stop() -> None:
        stopping.set()
        await task

    return stop
