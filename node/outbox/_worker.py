"""The node's peer loop: queue what the ledger published, deliver the outbox,
have peers witness the latest checkpoint, pull and verify peers' checkpoints, and
compare notes with the other witnesses.

:meth:`PeerWorker.run_once` does one round (tests call it with their own clock);
:meth:`PeerWorker.start` runs rounds in a daemon thread every ``interval_s``
seconds until :meth:`PeerWorker.stop`. A failing peer never stops the round: its
error is recorded in the round's report and logged.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from ledger.storage import LedgerStore
from node.api.node_log import NodeLog
from node.outbox._deliver import Deliverer, DeliveryReport
from node.outbox._queue import queue_from_ledger
from node.peers.registry import Peer, PeerRegistry
from node.witness import (
    PeerSyncError,
    SyncResult,
    client_for,
    gossip_with,
    push_checkpoint,
    sync_peer,
)

__all__ = ["PeerWorker", "RoundReport"]

_log = logging.getLogger("scnode.peers")


@dataclass
class RoundReport:
    queued: int = 0
    delivery: DeliveryReport | None = None
    cosigned: dict[str, int] = field(default_factory=dict)
    synced: dict[str, SyncResult] = field(default_factory=dict)
    gossip: list[SyncResult] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: bool = False


ROUND_LOCK = ".peer-round.lock"


@contextlib.contextmanager
def _round_lock(home: Path) -> Iterator[bool]:
    """An exclusive, non-blocking lock on ``HOME/.peer-round.lock``: one round at a
    time per node, so two processes never push the same checkpoint to a witness at
    once (which would store two cosignatures by one witness key)."""
    with open(home / ROUND_LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class PeerWorker:
    """One node's peer loop (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        node_log: NodeLog,
        deliverer: Deliverer,
        *,
        clock: Callable[[], float] = time.time,
        interval_s: float = 5.0,
    ) -> None:
        self.engine = engine
        self.node_log = node_log
        self.deliverer = deliverer
        self.clock = clock
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def run_once(self, *, witness: bool = True, sync: bool = True) -> RoundReport:
        """One round; skipped (``report.skipped``) while another process of this node
        (another uvicorn worker, ``scnode peer sync``) runs one."""
        report = RoundReport()
        store = self.node_log.store_if_ready()
        if store is None:
            return report
        with _round_lock(self.node_log.settings.home) as held:
            if not held:
                report.skipped = True
                return report
            self._round(report, store, witness=witness, sync=sync)
        return report

    def _round(self, report: RoundReport, store: LedgerStore, *, witness: bool, sync: bool) -> None:
        now_ms = self.now_ms()
        with self.engine.connect() as conn:
            peers = PeerRegistry(conn).list()
        report.queued = queue_from_ledger(self.engine, store, [p.id for p in peers], now_ms)
        report.delivery = self.deliverer.deliver_now(now_ms)
        keys = self.node_log.keys()
        for peer in peers:
            with client_for(peer, keys.active) as client:
                try:
                    if witness:
                        report.cosigned[peer.id] = push_checkpoint(
                            self.engine,
                            store,
                            peer,
                            client,
                            verifiers=keys.verifiers,
                            now_ms=now_ms,
                        )
                    if sync:
                        report.synced[peer.id] = sync_peer(self.engine, peer, client, now_ms)
                except PeerSyncError as exc:
                    report.errors[peer.id] = str(exc)
                    _log.warning("peer %s: %s", peer.id, exc)
        if sync:
            report.gossip = self.gossip(peers, now_ms)

    def gossip(self, peers: list[Peer], now_ms: int) -> list[SyncResult]:
        """Compare notes with every peer about every other peer's log."""
        signer = self.node_log.keys().active
        results: list[SyncResult] = []
        for witness_peer in peers:
            logs = [p for p in peers if p.id != witness_peer.id]
            if not logs:
                continue
            clients = [(p, client_for(p, signer)) for p in logs]
            try:
                with client_for(witness_peer, signer) as witness_client:
                    results.extend(gossip_with(self.engine, witness_client, clients, now_ms))
            except PeerSyncError as exc:
                _log.warning("gossip with %s: %s", witness_peer.id, exc)
            finally:
                for _, client in clients:
                    client.close()
        return results

    def start(self) -> None:
        if self._thread is not None or self.interval_s <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="scnode-peers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:  # noqa: BLE001  the loop must survive any one failing round
                _log.exception("peer round failed")
