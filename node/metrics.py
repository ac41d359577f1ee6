"""Prometheus metrics of one app instance, in a registry of its own.

Request counts and latencies are recorded by a middleware, labelled with the
route template (never the raw path, so label values stay bounded). Gauges of the
node's state are read from the database at scrape time by :class:`StateCollector`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Metrics", "MetricsMiddleware", "NodeState"]

# Buckets from 1 ms to 10 s: reads target p99 <= 50 ms, publishes take longer.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED_ROUTE = "<unmatched>"


@dataclass(frozen=True)
class NodeState:
    """What the gauges show; produced by the app from its database at scrape time."""

    ledger_size: int = 0
    checkpoint_age_s: float = 0.0
    peers_active: int = 0
    peer_lag_entries: dict[str, int] | None = None
    outbox_depth: int = 0
    document_queue: dict[str, int] | None = None
    document_oldest_s: dict[str, float] | None = None
    documents_refused: int = 0


class StateCollector(Collector):
    def __init__(self, source: Callable[[], NodeState]) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        state = self.source()
        yield GaugeMetricFamily(
            "scnode_ledger_size_entries", "Entries in this node's ledger", value=state.ledger_size
        )
        yield GaugeMetricFamily(
            "scnode_checkpoint_age_seconds",
            "Seconds since the latest signed checkpoint (0 if none)",
            value=state.checkpoint_age_s,
        )
        yield GaugeMetricFamily(
            "scnode_peers_active", "Registered active peers", value=state.peers_active
        )
        lag = GaugeMetricFamily(
            "scnode_peer_lag_entries",
            "Entries a peer's latest verified checkpoint is behind its ledger (per peer)",
            labels=["peer"],
        )
        for peer, value in sorted((state.peer_lag_entries or {}).items()):
            lag.add_metric([peer], value)
        yield lag
        yield GaugeMetricFamily(
            "scnode_outbox_depth", "Messages queued for delivery to peers", value=state.outbox_depth
        )
        yield _per_peer(
            "scnode_document_queue_depth",
            "Signed documents waiting for delivery to a peer (per peer)",
            state.document_queue,
        )
        yield _per_peer(
            "scnode_document_oldest_seconds",
            "Age of the oldest document waiting for delivery to a peer (per peer)",
            state.document_oldest_s,
        )
        yield GaugeMetricFamily(
            "scnode_documents_refused",
            "Sent documents the counterparty refused",
            value=state.documents_refused,
        )


def _per_peer(
    name: str, documentation: str, values: dict[str, int] | dict[str, float] | None
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["peer"])
    for peer, value in sorted((values or {}).items()):
        family.add_metric([peer], value)
    return family


class Metrics:
    """The registry, the request metrics and the state collector of one app."""

    def __init__(self, state: Callable[[], NodeState]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "scnode_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "scnode_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(StateCollector(state))


class MetricsMiddleware:
    """Pure ASGI middleware recording each HTTP request in :class:`Metrics`.

    The labelled children (one per method, route template and status) are kept
    in dictionaries: ``labels()`` validates and locks on every call, which costs
    more than the count itself. Label values are bounded (route templates)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._latencies: dict[tuple[str, str], Any] = {}

    def _record(self, method: str, template: str, status: int, seconds: float) -> None:
        counter = self._counters.get((method, template, status))
        if counter is None:
            counter = self.metrics.requests.labels(method, template, str(status))
            self._counters[(method, template, status)] = counter
        counter.inc()
        latency = self._latencies.get((method, template))
        if latency is None:
            latency = self.metrics.latency.labels(method, template)
            self._latencies[(method, template)] = latency
        latency.observe(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless a response starts: an unhandled error

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            # The router stores the matched route in the (shared) scope.
            template = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            method = str(scope.get("method", ""))
            self._record(method, template, status, time.perf_counter() - start)
