"""The planning service: forecasts and capacity exchanged point to point, gaps, facts.

I/O edge. A forecast (customer → supplier) or capacity report (supplier →
customer) is stored with its SHA-256 (RFC 8785 JSON), recorded on this node's
ledger as a ``planning.forecast`` / ``planning.capacity`` entry holding the hash
and the counterparty only (no number), and delivered to the peer in a signed
request (``POST /v1/planning/inbox``; the peer's node signature authenticates it).
Undelivered messages stay queued (durably, in ``planning_messages``) and are
retried by :meth:`deliver_pending` — after every share, by the API's background
loop, and on ``POST /v1/planning/deliver`` — in creation order per peer (a peer's
queue stops at its first failure), with the outbox's exponential backoff. The
receiver stores and records the same hash on its own ledger; a repeated delivery
is recognised by its hash and stored once.

Whenever a node holds both its side and the peer's latest answer, it runs
:func:`detect_gaps` and stores the gaps, and hands the documents to the
governance service (``capacity_gap`` exception cases on both sides).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
import rfc8785
from sqlalchemy import Engine, and_, insert, select, update

import zk
from ledger import NoteSigner
from ledger.storage import LedgerStore
from node.outbox import backoff_ms
from node.peers.registry import PeerNotFoundError, PeerRegistry
from node.planning._errors import PlanningError, PlanningFormatError
from node.planning._export import export_fact, record_fact
from node.planning._fact import ProvenFact, prove_capacity_fact
from node.planning._gaps import Gap, detect_gaps
from node.planning._models import CapacityReport, DemandForecast
from node.planning._tables import planning_facts, planning_gaps, planning_messages
from node.planning._weeks import Week
from node.witness import client_for

__all__ = [
    "INBOX_PATH",
    "MESSAGE_FORMAT",
    "DeliveryReport",
    "Message",
    "PlanningService",
    "message_hash",
]

INBOX_PATH: Final = "/v1/planning/inbox"
MESSAGE_FORMAT: Final = "scnode-planning-record/v1"
TIMEOUT: Final = httpx.Timeout(10.0, connect=2.0)
KINDS: Final = ("forecast", "capacity")

# governance hook: (partner, the gaps found per capacity group and week) -> anything
CapacityRecorder = Callable[[str, tuple[Gap, ...]], object]


def message_hash(kind: str, document: Mapping[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps({"kind": kind, "document": dict(document)})).hexdigest()


@dataclass(frozen=True)
class Message:
    id: int
    direction: str
    peer_id: str
    kind: str
    ref: str
    hash: str
    seq: int | None
    delivered: bool


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # peer id -> reason


def _parse(kind: str, document: Any) -> DemandForecast | CapacityReport:
    if kind == "forecast":
        return DemandForecast.from_json(document)
    if kind == "capacity":
        return CapacityReport.from_json(document)
    raise PlanningFormatError(f"kind must be one of {', '.join(KINDS)}")


class PlanningService:
    def __init__(
        self,
        engine: Engine,
        store: Callable[[], LedgerStore],
        signer: Callable[[], NoteSigner],
        clock: Callable[[], int],
        rng: random.Random,
        *,
        governance: CapacityRecorder | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.engine, self.store, self.signer = engine, store, signer
        self.clock, self.rng, self.governance = clock, rng, governance
        self.transport = transport

    # -- sending -------------------------------------------------------------------

    def share(
        self,
        peer_id: str,
        item: DemandForecast | CapacityReport,
        *,
        committed: Mapping[tuple[str, Week], int] | None = None,
    ) -> tuple[Message, tuple[Gap, ...]]:
        """Store, record and queue a forecast or capacity report for ``peer_id``."""
        with self.engine.connect() as conn:
            PeerRegistry(conn).get(peer_id)  # PeerNotFoundError for an unknown peer
        kind = "forecast" if isinstance(item, DemandForecast) else "capacity"
        message = self._store("sent", peer_id, kind, item.to_json())
        gaps = self._compare(peer_id, committed)
        return message, gaps

    def deliver_pending(self, *, force: bool = False) -> DeliveryReport:
        """Send every due message; stops a peer's queue at its first failure.

        A failed message waits the outbox's exponential backoff before the next
        try (``force``: try now anyway, e.g. on an operator's request).
        """
        report = DeliveryReport()
        now = self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(planning_messages)
                .where(
                    planning_messages.c.direction == "sent",
                    planning_messages.c.delivered_ms.is_(None),
                )
                .order_by(planning_messages.c.id)
            ).all()
        blocked: set[str] = set()
        for row in rows:
            if row.peer_id in blocked:
                continue
            if row.next_attempt_ms > now and not force:
                blocked.add(row.peer_id)  # the head waits: so does everything after it
                continue
            error = self._send(row.peer_id, row.kind, json.loads(row.body))
            with self.engine.begin() as conn:
                if error is None:
                    conn.execute(
                        update(planning_messages)
                        .where(planning_messages.c.id == row.id)
                        .values(delivered_ms=now, last_error=None)
                    )
                    report.delivered += 1
                else:
                    conn.execute(
                        update(planning_messages)
                        .where(planning_messages.c.id == row.id)
                        .values(
                            attempts=row.attempts + 1,
                            next_attempt_ms=now + backoff_ms(row.attempts + 1, self.rng),
                            last_error=error,
                        )
                    )
                    blocked.add(row.peer_id)
                    report.failed[row.peer_id] = error
        return report

    def _send(self, peer_id: str, kind: str, document: Any) -> str | None:
        with self.engine.connect() as conn:
            try:
                peer = PeerRegistry(conn).get(peer_id)
            except PeerNotFoundError:
                return "peer removed"
        kwargs: dict[str, Any] = {"timeout": TIMEOUT}
        if self.transport is not None:
            kwargs["transport"] = self.transport
        try:
            with client_for(peer, self.signer(), **kwargs) as client:
                response = client.post(INBOX_PATH, json={"kind": kind, "document": document})
        except httpx.HTTPError as exc:
            return exc.__class__.__name__
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        return None

    # -- receiving -----------------------------------------------------------------

    def receive(self, peer_id: str, body: Any) -> tuple[Message, bool, tuple[Gap, ...]]:
        """A peer's delivery: (message, duplicate, gaps found now)."""
        if not isinstance(body, Mapping) or set(body) != {"kind", "document"}:
            raise PlanningFormatError("a delivery is {kind, document}")
        kind = body["kind"]
        item = _parse(str(kind), body["document"])
        digest = message_hash(str(kind), item.to_json())
        with self.engine.connect() as conn:
            seen = conn.execute(
                select(planning_messages.c.id).where(
                    planning_messages.c.direction == "received",
                    planning_messages.c.peer_id == peer_id,
                    planning_messages.c.hash == digest,
                )
            ).first()
        if seen is not None:
            return self._message(int(seen[0])), True, ()
        message = self._store("received", peer_id, str(kind), item.to_json())
        return message, False, self._compare(peer_id, None)

    # -- common --------------------------------------------------------------------

    def _store(self, direction: str, peer_id: str, kind: str, document: dict[str, Any]) -> Message:
        digest = message_hash(kind, document)
        now = self.clock()
        appended = self.store().append(
            f"planning.{kind}",
            {
                "format": MESSAGE_FORMAT,
                "kind": kind,
                "direction": direction,
                "counterparty": peer_id,
                "hash": digest,
            },
            now,
        )
        ref = document.get("forecast_id") if kind == "forecast" else document.get("capacity_id")
        with self.engine.begin() as conn:
            row_id = conn.execute(
                insert(planning_messages).values(
                    direction=direction,
                    peer_id=peer_id,
                    kind=kind,
                    ref=str(ref),
                    hash=digest,
                    body=json.dumps(document, sort_keys=True),
                    seq=appended.seq,
                    created_ms=now,
                    attempts=0,
                    next_attempt_ms=0,
                    delivered_ms=now if direction == "received" else None,
                )
            ).inserted_primary_key
        if row_id is None:
            raise PlanningError("the database returned no id for the stored message")
        return self._message(int(row_id[0]))

    def _message(self, row_id: int) -> Message:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(planning_messages).where(planning_messages.c.id == row_id)
            ).one()
        return Message(
            row.id,
            row.direction,
            row.peer_id,
            row.kind,
            row.ref,
            row.hash,
            row.seq,
            row.delivered_ms is not None,
        )

    def _latest(self, peer_id: str, kind: str) -> tuple[str, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(planning_messages.c.hash, planning_messages.c.body)
                .where(
                    and_(planning_messages.c.peer_id == peer_id, planning_messages.c.kind == kind)
                )
                .order_by(planning_messages.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else (row[0], json.loads(row[1]))

    def _compare(
        self, peer_id: str, committed: Mapping[tuple[str, Week], int] | None
    ) -> tuple[Gap, ...]:
        forecast, capacity = self._latest(peer_id, "forecast"), self._latest(peer_id, "capacity")
        if forecast is None or capacity is None:
            return ()
        f, c = DemandForecast.from_json(forecast[1]), CapacityReport.from_json(capacity[1])
        gaps = detect_gaps(f, c, committed)
        now = self.clock()
        if gaps:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(planning_gaps),
                    [
                        {
                            "peer_id": peer_id,
                            "forecast_hash": forecast[0],
                            "capacity_hash": capacity[0],
                            "kind": g.kind.value,
                            "group_id": g.group_id,
                            "skus": json.dumps(list(g.skus)),
                            "week": g.week,
                            "demand": g.demand,
                            "actual": g.actual,
                            "maximum": g.maximum,
                            "committed": g.committed,
                            "created_ms": now,
                        }
                        for g in gaps
                    ],
                )
        if self.governance is not None and gaps:
            self.governance(peer_id, gaps)
        return gaps

    def gaps(self, peer_id: str | None = None) -> list[dict[str, Any]]:
        query = select(planning_gaps).order_by(planning_gaps.c.id)
        if peer_id is not None:
            query = query.where(planning_gaps.c.peer_id == peer_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "peer": r.peer_id,
                "kind": r.kind,
                "group_id": r.group_id,
                "skus": json.loads(r.skus),
                "week": r.week,
                "demand": r.demand,
                "actual": r.actual,
                "maximum": r.maximum,
                "committed": r.committed,
                "forecast_hash": r.forecast_hash,
                "capacity_hash": r.capacity_hash,
            }
            for r in rows
        ]

    def messages(self) -> list[Message]:
        with self.engine.connect() as conn:
            ids = conn.execute(select(planning_messages.c.id).order_by(planning_messages.c.id))
            return [self._message(int(i)) for (i,) in ids.all()]

    # -- capacity facts ------------------------------------------------------------

    def prove_fact(
        self, *, fact_id: str, sku: str, salt: str, weeks: Sequence[tuple[Week, int, int]]
    ) -> tuple[ProvenFact, int]:
        """Prove and record a capacity fact; keeps its secrets in ``planning_facts``."""
        with self.engine.connect() as conn:
            if conn.execute(
                select(planning_facts.c.fact_id).where(planning_facts.c.fact_id == fact_id)
            ).first():
                raise PlanningError(f"fact {fact_id!r} exists already")
        store = self.store()
        proven = prove_capacity_fact(
            origin=store.origin, fact_id=fact_id, sku=sku, salt=salt, weeks=weeks, rng=self.rng
        )
        now = self.clock()
        seq = record_fact(store, proven, now_ms=now)
        openings = {
            w: {
                "capacity": proven.capacity_openings[w].to_bytes().hex(),
                "demand": proven.demand_openings[w].to_bytes().hex(),
            }
            for w, _, _ in weeks
        }
        with self.engine.begin() as conn:
            conn.execute(
                insert(planning_facts).values(
                    fact_id=fact_id,
                    seq=seq,
                    sku=sku,
                    salt=salt,
                    subject=proven.fact.subject,
                    weeks=json.dumps([list(w) for w in weeks]),
                    openings=json.dumps(openings),
                    created_ms=now,
                )
            )
        return proven, seq

    def export(self, fact_id: str, *, vkeys: Sequence[str], disclose: bool = True) -> bytes:
        """The fact's evidence bundle, with the customer's disclosure when asked."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(planning_facts).where(planning_facts.c.fact_id == fact_id)
            ).first()
        if row is None:
            raise PlanningError(f"no capacity fact {fact_id!r}")
        disclosure = None
        if disclose:
            openings = json.loads(row.openings)
            disclosure = {
                "format": "scnode-capacity-fact/v1",
                "sku": row.sku,
                "salt": row.salt,
                "demand_openings": {
                    w: zk.Opening.from_bytes(bytes.fromhex(o["demand"])).to_bytes().hex()
                    for w, o in sorted(openings.items())
                },
            }
        signer = self.signer()
        return export_fact(
            self.store(),
            int(row.seq),
            signers=[signer],
            vkeys=vkeys,
            now_ms=self.clock(),
            disclosure=disclosure,
        )
