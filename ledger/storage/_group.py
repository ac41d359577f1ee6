"""Group commit: many threads' appends, one durable transaction.

A durable commit costs a disk flush (SQLite ``synchronous=FULL``: an fsync of the
write-ahead log), and a disk does only so many flushes per second. The
:class:`GroupCommitter` runs one writer thread. Callers :meth:`~GroupCommitter.submit`
entries and get a future; the writer takes everything queued (up to ``max_batch``),
optionally lingers ``linger_s`` for more, appends the batch with
:meth:`LedgerStore.append_many` in one transaction, and resolves every caller's
future only after that transaction has committed.

The price is latency: an append waits for the batch in progress, its own batch's
linger and its own commit, so its latency is at most about
``linger_s + 2 x (commit time of a batch)``. With ``linger_s = 0`` nothing waits
deliberately: batches form by themselves while the previous one commits.

Timestamps come from ``clock`` (milliseconds, passed in: the library reads no
clock), read once per batch, so timestamps never decrease along the log when the
clock does not.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import NamedTuple

from ledger import JSONValue, LedgerError, StorageError
from ledger.storage._records import Appended, NewEntry
from ledger.storage._store import LedgerStore

__all__ = ["GroupCommitter"]


class _Request(NamedTuple):
    kind: str
    body: dict[str, JSONValue]
    future: Future[Appended]


_STOP = None


class GroupCommitter:
    """Batches appends from many threads; see the module docstring."""

    def __init__(
        self,
        store: LedgerStore,
        *,
        clock: Callable[[], int],
        max_batch: int = 1000,
        linger_s: float = 0.0,
    ) -> None:
        if max_batch < 1 or linger_s < 0:
            raise ValueError("max_batch must be >= 1 and linger_s >= 0")
        self._store = store
        self._clock = clock
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self.batches = 0
        self.appended = 0
        self._thread = threading.Thread(target=self._run, name="ledger-group-commit", daemon=True)
        self._thread.start()

    def submit(self, kind: str, body: dict[str, JSONValue]) -> Future[Appended]:
        """Queue one entry; the future resolves once it is committed (or fails)."""
        future: Future[Appended] = Future()
        with self._lock:
            if self._closed:
                raise StorageError("the group committer is closed")
            self._queue.put(_Request(kind, body, future))
        return future

    def append(self, kind: str, body: dict[str, JSONValue]) -> Appended:
        """Append one entry and wait until it is durable."""
        return self.submit(kind, body).result()

    def close(self) -> None:
        """Commit everything queued, then stop the writer thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()

    def __enter__(self) -> GroupCommitter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- writer thread -----------------------------------------------------------

    def _take_batch(self, first: _Request) -> tuple[list[_Request], bool]:
        batch = [first]
        stop = False
        if self._linger_s > 0:
            time.sleep(self._linger_s)  # let more requests arrive (latency for throughput)
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                stop = True
                break
            batch.append(item)
        return batch, stop

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch, stop = self._take_batch(first)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Request]) -> None:
        now = self._clock()
        try:
            done = self._store.append_many([NewEntry(r.kind, r.body, now) for r in batch])
        except LedgerError:
            # One bad entry (e.g. a body that is not canonical JSON) must not sink
            # the others: append them one by one so each caller gets its own answer.
            for request in batch:
                self._commit_one(request, now)
            return
        except Exception as exc:  # noqa: BLE001  the callers receive the error
            for request in batch:
                request.future.set_exception(exc)
            return
        self.batches += 1
        self.appended += len(done)
        for request, result in zip(batch, done, strict=True):
            request.future.set_result(result)

    def _commit_one(self, request: _Request, now: int) -> None:
        try:
            (result,) = self._store.append_many([NewEntry(request.kind, request.body, now)])
        except Exception as exc:  # noqa: BLE001  the caller receives the error
            request.future.set_exception(exc)
            return
        self.batches += 1
        self.appended += 1
        request.future.set_result(result)
