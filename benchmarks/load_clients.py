"""The clients of ``scnode bench load``: paced asyncio clients and their tallies.

Each client is one coroutine with its own random stream. It sends one request at a
time and starts requests at most ``rate`` per second (a closed loop with pacing, so
the figures are those of a loaded node, not of an overloaded one). A request is a
snapshot publish with probability ``publish_share``; otherwise one of the reads of
:data:`READS`, chosen uniformly. Every publish the node acknowledges (201) is kept
(snapshot id, ledger index, leaf hash) for the check after the run.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from benchmarks._stats import percentile

__all__ = [
    "OPERATIONS",
    "READS",
    "Ack",
    "ClientPlan",
    "OpStats",
    "Tally",
    "percentile",
    "run_clients",
    "snapshot_body",
]

PUBLISH: Final = "publish"
#: the reads, each a GET of the node's public API with a reader token
READS: Final = (
    "checkpoint",
    "entries",
    "entry",
    "inclusion_proof",
    "consistency_proof",
    "facts",
    "governance_health",
)
OPERATIONS: Final = (PUBLISH, *READS)
SERVER_ERROR: Final = 500
PAGE: Final = 20  # entries per page read
KEEPALIVE_S: Final = 2.0


@dataclass
class OpStats:
    """One operation's outcomes; ``latencies_ms`` holds every answered request's time."""

    latencies_ms: list[float] = field(default_factory=list)
    ok: int = 0
    client_errors: int = 0  # 4xx
    server_errors: int = 0  # 5xx
    transport_errors: int = 0  # connection refused/reset, timeout

    @property
    def count(self) -> int:
        return self.ok + self.client_errors + self.server_errors + self.transport_errors

    @property
    def errors(self) -> int:
        return self.client_errors + self.server_errors + self.transport_errors


@dataclass(frozen=True)
class Ack:
    """A publish the node acknowledged with 201."""

    snapshot: str
    index: int
    leaf_hash: str


@dataclass
class Tally:
    """Everything the clients saw."""

    ops: dict[str, OpStats] = field(default_factory=lambda: {op: OpStats() for op in OPERATIONS})
    acks: list[Ack] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)  # the first few, for the report
    elapsed_s: float = 0.0
    known_size: int = 0  # entries known to exist: reads stay within them

    def note_error(self, text: str) -> None:
        if len(self.error_samples) < 10:
            self.error_samples.append(text[:300])


@dataclass(frozen=True)
class ClientPlan:
    url: str
    publisher_token: str
    reader_token: str
    clients: int
    duration_s: float
    rate: float  # requests per second per client, at most
    publish_share: float
    positions: tuple[int, int]  # positions per snapshot, min and max
    seed: int
    timeout_s: float


def snapshot_body(client: int, n: int, positions: int) -> dict[str, Any]:
    """A small canonical snapshot: ``positions`` SKUs of this client, as of now."""
    as_of = datetime.now(UTC).replace(microsecond=0).isoformat()
    return {
        "positions": [
            {
                "sku": f"LOAD-{client:03d}-{i:02d}",
                "location": f"DC-{client % 4:02d}",
                "lot": f"L{n}",
                "as_of": as_of,
                "quantities": {
                    "available": 400 + 13 * n + i,
                    "in_transit": 20 + i,
                    "in_inspection": 2,
                },
                "safety_stock": 300 + i,
            }
            for i in range(positions)
        ]
    }


def _read_path(op: str, size: int, rng: random.Random) -> str:
    """The GET path of read ``op`` within the first ``size`` entries (``size`` >= 1)."""
    start = rng.randrange(max(1, size - PAGE))
    paths = {
        "checkpoint": "/v1/ledger/checkpoint",
        "entries": f"/v1/ledger/entries?start={start}&end={min(size, start + PAGE)}",
        "entry": f"/v1/ledger/entries/{rng.randrange(size)}",
        "inclusion_proof": f"/v1/ledger/proof/inclusion?index={rng.randrange(size)}&size={size}",
        "consistency_proof": f"/v1/ledger/proof/consistency?old={rng.randint(1, size)}&new={size}",
        "facts": f"/v1/facts?limit=50&offset={rng.randrange(4) * 50}",
        "governance_health": "/v1/governance/health",
    }
    return paths[op]


class _Client:
    def __init__(self, plan: ClientPlan, n: int, tally: Tally) -> None:
        self.plan, self.n, self.tally = plan, n, tally
        self.rng = random.Random(plan.seed * 1_000 + n)
        self.published = 0

    async def run(self, http: httpx.AsyncClient, deadline: float) -> None:
        interval = 1.0 / self.plan.rate
        # spread the first requests over one interval, so the clients do not start in step
        await asyncio.sleep(self.rng.uniform(0, interval))
        while (started := time.monotonic()) < deadline:
            if self.rng.random() < self.plan.publish_share:
                await self._publish(http)
            else:
                await self._read(http, self.rng.choice(READS))
            await asyncio.sleep(max(0.0, started + interval - time.monotonic()))

    async def _timed(self, op: str, request: Any) -> httpx.Response | None:
        stats = self.tally.ops[op]
        t0 = time.perf_counter()
        try:
            response: httpx.Response = await request
        except httpx.TransportError as exc:
            stats.transport_errors += 1
            self.tally.note_error(f"{op}: {type(exc).__name__} {exc}")
            return None
        stats.latencies_ms.append((time.perf_counter() - t0) * 1000)
        if response.status_code >= SERVER_ERROR:
            stats.server_errors += 1
        elif response.status_code >= 400:
            stats.client_errors += 1
        else:
            stats.ok += 1
            return response
        self.tally.note_error(f"{op}: {response.status_code} {response.text}")
        return None

    async def _publish(self, http: httpx.AsyncClient) -> None:
        low, high = self.plan.positions
        body = snapshot_body(self.n, self.published, self.rng.randint(low, high))
        self.published += 1
        headers = {"Authorization": f"Bearer {self.plan.publisher_token}"}
        reply = await self._timed(
            PUBLISH, http.post("/v1/inventory/snapshots", json=body, headers=headers)
        )
        if reply is not None:
            done = reply.json()
            ack = Ack(done["snapshot"], int(done["index"]), done["leaf_hash"])
            self.tally.acks.append(ack)
            self.tally.known_size = max(self.tally.known_size, ack.index + 1)

    async def _read(self, http: httpx.AsyncClient, op: str) -> None:
        headers = {"Authorization": f"Bearer {self.plan.reader_token}"}
        await self._timed(
            op, http.get(_read_path(op, self.tally.known_size, self.rng), headers=headers)
        )


async def _run(plan: ClientPlan, initial_size: int, tick: Callable[[], None]) -> Tally:
    tally = Tally(known_size=initial_size)

    # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s),
    # so a request never races the server closing the connection it was sent on.
    limits = httpx.Limits(
        max_connections=plan.clients,
        max_keepalive_connections=plan.clients,
        keepalive_expiry=KEEPALIVE_S,
    )
    async with httpx.AsyncClient(base_url=plan.url, limits=limits, timeout=plan.timeout_s) as http:
        start = time.monotonic()
        deadline = start + plan.duration_s

        async def ticker() -> None:
            while time.monotonic() < deadline:
                await asyncio.sleep(1.0)
                tick()

        clients = [_Client(plan, n, tally) for n in range(plan.clients)]
        await asyncio.gather(ticker(), *(c.run(http, deadline) for c in clients))
        tally.elapsed_s = time.monotonic() - start
    return tally


def run_clients(plan: ClientPlan, initial_size: int, tick: Callable[[], None]) -> Tally:
    """Run ``plan.clients`` clients for ``plan.duration_s``; ``tick()`` once a second."""
    return asyncio.run(_run(plan, initial_size, tick))
