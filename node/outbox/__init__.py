"""The outbox: what this node publishes for its peers, queued durably and delivered
in order, with retries, backoff and idempotent (exactly-once) delivery; the inbox
that receives it; and the node's peer loop that drives queuing, delivery,
witnessing and peer sync."""

from node.outbox._backoff import BASE_DELAY_MS, MAX_DELAY_MS, Random, backoff_ms
from node.outbox._deliver import INBOX_PATH, Deliverer, DeliveryReport
from node.outbox._gauges import peer_gauges
from node.outbox._inbox import InboxError, Received, receive
from node.outbox._queue import (
    CHECKPOINT,
    ENTRY,
    OutboxConflict,
    OutboxMessage,
    depth,
    enqueue,
    mark_delivered,
    mark_failed,
    pending,
    queue_from_ledger,
)
from node.outbox._tables import metadata
from node.outbox._worker import PeerWorker, RoundReport

__all__ = [
    "BASE_DELAY_MS",
    "CHECKPOINT",
    "ENTRY",
    "INBOX_PATH",
    "MAX_DELAY_MS",
    "Deliverer",
    "DeliveryReport",
    "InboxError",
    "OutboxConflict",
    "OutboxMessage",
    "PeerWorker",
    "Random",
    "Received",
    "RoundReport",
    "backoff_ms",
    "depth",
    "enqueue",
    "mark_delivered",
    "mark_failed",
    "metadata",
    "peer_gauges",
    "pending",
    "queue_from_ledger",
    "receive",
]
