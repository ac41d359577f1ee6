"""One long-lived pool of prover processes per node process.

Range proofs are pure CPU (about 33 ms for 32 bits on an idle core) and Python
runs one thread at a time, so a snapshot's proofs are spread over worker
processes. Starting processes costs more than a few proofs (interpreter start,
imports, and the fixed-base tables every process builds once), so the pool is
started on first use and kept for the life of the process: later snapshots find
it warm. Each worker draws its nonces' fresh bytes from the system's randomness,
and exits by itself if the node process dies without stopping it.

``default_jobs()`` is the number of cores this process may run on; the pool is
resized (replaced) only when a caller asks for another size.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

__all__ = ["default_jobs", "discard_pool", "prover_pool", "shutdown_pool"]


_WATCH_INTERVAL_S = 1.0


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit as soon as the node process is gone (killed without
    shutting its pool down), instead of waiting forever for work."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_INTERVAL_S)
        os._exit(0)

    threading.Thread(target=watch, name="prover-parent-watch", daemon=True).start()


class _Holder:
    """The process's pool and its size, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pool: ProcessPoolExecutor | None = None
        self.size = 0
        self.pid = 0  # the process that started the pool (a forked child starts its own)

    def get(self, jobs: int) -> ProcessPoolExecutor:
        with self.lock:
            old = None
            if self.pid != os.getpid():
                self.pool, self.size = None, 0  # inherited through fork: not ours to use
            if self.pool is None or self.size != jobs:
                old = self.pool
                self.pool = ProcessPoolExecutor(
                    max_workers=jobs,
                    mp_context=get_context("spawn"),
                    initializer=_watch_parent,
                    initargs=(os.getpid(),),
                )
                self.size = jobs
                self.pid = os.getpid()
            pool = self.pool
        if old is not None:
            old.shutdown(wait=False)
        return pool

    def take(self) -> ProcessPoolExecutor | None:
        with self.lock:
            pool, self.pool, self.size = self.pool, None, 0
        return pool if self.pid == os.getpid() else None


_holder = _Holder()


def _forget_in_child() -> None:
    """A forked child (e.g. a server forked from a warm parent) starts its own pool."""
    _holder.lock = threading.Lock()
    _holder.pool, _holder.size, _holder.pid = None, 0, 0


os.register_at_fork(after_in_child=_forget_in_child)


def default_jobs() -> int:
    """Cores available to this process (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


def prover_pool(jobs: int) -> ProcessPoolExecutor:
    """The process's prover pool with ``jobs`` workers (started on first use)."""
    return _holder.get(jobs)


def discard_pool() -> None:
    """Forget a broken pool (a worker died): the next use starts a new one."""
    pool = _holder.take()
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def shutdown_pool() -> None:
    """Stop the workers (at exit; tests may call it)."""
    pool = _holder.take()
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pool)
