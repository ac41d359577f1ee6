"""The delivery loop of a running node: records what a crash left unrecorded, has
governance compare receipts it has not compared yet, and delivers queued
documents, every ``interval_s`` and at once when woken."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

import httpx

from ledger import NoteSigner
from node.documents._delivery import deliver_pending
from node.documents._service import DocumentService

__all__ = ["DeliveryWorker"]

_log = logging.getLogger("scnode.documents")


class DeliveryWorker:
    """One delivery round at a time, from the loop or from a request thread."""

    def __init__(
        self,
        service: Callable[[], DocumentService | None],
        signer: Callable[[], NoteSigner],
        interval_s: float,
    ) -> None:
        self.service, self.signer, self.interval_s = service, signer, interval_s
        self.wake, self.stopped = threading.Event(), threading.Event()
        self.rng = random.SystemRandom()
        self.thread = threading.Thread(target=self._run, name="documents", daemon=True)
        self.lock = threading.Lock()
        self.clients: dict[tuple[str, str, str], httpx.Client] = {}

    def deliver(self) -> None:
        """One round now; does nothing while the node has no ledger yet."""
        service = self.service()
        if service is None:
            return
        with self.lock:
            service.record_missing(int(time.time() * 1000))
            service.compare_missing(int(time.time() * 1000))
            deliver_pending(
                service.engine,
                self.signer(),
                int(time.time() * 1000),
                rng=self.rng,
                clients=self.clients,
            )

    def start(self) -> None:
        if self.interval_s > 0:
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        with self.lock:
            for client in self.clients.values():
                client.close()
            self.clients.clear()

    def _run(self) -> None:
        while not self.stopped.is_set():
            self.wake.wait(self.interval_s)
            self.wake.clear()
            if self.stopped.is_set():
                return
            try:
                self.deliver()
            except Exception:  # noqa: BLE001  the loop must survive a bad round; retried next time
                _log.exception("document delivery round failed")
