"""Delivery of the outbox: per peer, in seq order, with retries and backoff.

A message is marked delivered only after the peer acknowledged it (200), in its
own transaction. If the process dies between the peer's acknowledgement and that
mark, the message is sent again with the same idempotency key and the peer
acknowledges it as a duplicate without storing it twice: the peer sees every
message exactly once. A failure stops that peer's delivery (later messages wait:
order is kept) and schedules the head message after an exponential backoff with
jitter.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine

from ledger import NoteSigner
from node.outbox._backoff import Random, backoff_ms
from node.outbox._queue import OutboxMessage, mark_delivered, mark_failed, pending
from node.peers.registry import Peer, PeerRegistry
from node.witness import client_for

__all__ = ["INBOX_PATH", "Deliverer", "DeliveryReport"]

INBOX_PATH = "/v1/peers/inbox"
BATCH = 500
TIMEOUT = httpx.Timeout(10.0, connect=2.0)


@dataclass
class DeliveryReport:
    """What one :meth:`Deliverer.deliver_now` did."""

    delivered: int = 0
    duplicates: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # peer id -> reason
    waiting: list[str] = field(default_factory=list)  # peer ids in backoff


class _Refused(Exception):
    pass


class Deliverer:
    """Sends queued messages to peers' inboxes; safe to call from several threads."""

    def __init__(
        self,
        engine: Engine,
        signer: Callable[[], NoteSigner],
        *,
        rng: Random,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.rng = rng
        self.transport = transport
        self._lock = threading.Lock()

    def deliver_now(
        self,
        now_ms: int,
        *,
        after_send: Callable[[OutboxMessage], None] | None = None,
    ) -> DeliveryReport:
        """Deliver every due message now (``now_ms`` decides what is due).

        ``after_send`` runs after a peer acknowledged a message and before it is
        marked delivered (tests use it to simulate a crash at that moment).
        """
        report = DeliveryReport()
        with self._lock:
            with self.engine.connect() as conn:
                peers = PeerRegistry(conn).list()
            for peer in peers:
                self._deliver_peer(peer, now_ms, report, after_send)
        return report

    def _deliver_peer(
        self,
        peer: Peer,
        now_ms: int,
        report: DeliveryReport,
        after_send: Callable[[OutboxMessage], None] | None,
    ) -> None:
        with self.engine.connect() as conn:
            queue = pending(conn, peer.id, BATCH)
        if not queue:
            return
        if queue[0].next_attempt_ms > now_ms:
            report.waiting.append(peer.id)
            return
        with client_for(peer, self.signer(), timeout=TIMEOUT, transport=self.transport) as client:
            for message in queue:
                try:
                    duplicate = self._send(client, message)
                except (_Refused, httpx.HTTPError) as exc:
                    reason = str(exc) if isinstance(exc, _Refused) else exc.__class__.__name__
                    retry = now_ms + backoff_ms(message.attempts + 1, self.rng)
                    with self.engine.begin() as conn:
                        mark_failed(conn, message.id, retry_at_ms=retry, error=reason)
                    report.failed[peer.id] = reason
                    return
                if after_send is not None:
                    after_send(message)
                with self.engine.begin() as conn:
                    mark_delivered(conn, message.id, now_ms)
                report.delivered += 1
                report.duplicates += int(duplicate)

    @staticmethod
    def _send(client: httpx.Client, message: OutboxMessage) -> bool:
        body = {
            "seq": message.seq,
            "idempotency_key": message.idempotency_key,
            "kind": message.kind,
            "payload": json.loads(message.payload),
        }
        response = client.post(INBOX_PATH, json=body)
        if response.status_code == 200:
            return bool(response.json().get("duplicate", False))
        raise _Refused(f"HTTP {response.status_code} for seq {message.seq}")
