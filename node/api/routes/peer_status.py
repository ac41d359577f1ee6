"""Peer views and the inbox: ``GET /v1/peers/{id}/status``, ``POST /v1/peers/inbox``.

The router's lifespan runs the node's peer loop
(:class:`node.peers.watch.WatchedPeerWorker`) in a background thread every
``app.state.peer_interval_s`` seconds (default 5; 0 turns it off, e.g. in tests
that drive rounds themselves) and exports the number of split-view evidence
records as a Prometheus gauge. At the end of every round the loop classifies
each peer's network fault (``slow`` above ``peer_slow_ms``, ``down``,
``garbage``, ``forked``; see :mod:`node.peers.faults`), shown here as ``fault``,
and hands partners' verified checkpoints and facts to the governance service.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, func, select

from ledger import NoteVerifier
from node.api.deps import CurrentPeer, require_role
from node.api.node_log import NodeLog
from node.api.problems import ProblemError, problem_responses
from node.api.services import Services
from node.auth.principal import Principal
from node.auth.roles import Role
from node.governance import governance_service
from node.outbox import Deliverer, InboxError, receive
from node.outbox._tables import inbox, outbox
from node.peers.faults import load_fault_states
from node.peers.registry import PeerRegistry
from node.peers.watch import PeerWatch, WatchedPeerWorker, count_witnesses
from node.settings import Settings
from node.witness import count_evidence, evidence_for, get_view

__all__ = ["DEFAULT_INTERVAL_S", "own_witness_key", "router", "slow_ms_of"]

DEFAULT_INTERVAL_S = 5.0
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class _EvidenceCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily(
            "scnode_split_view_evidence",
            "Pairs of inconsistent signed checkpoints kept as evidence, per log origin",
            labels=["origin"],
        )
        with self.engine.connect() as conn:
            for origin, n in sorted(count_evidence(conn).items()):
                gauge.add_metric([origin], n)
        yield gauge


def slow_ms_of(app: FastAPI) -> int:
    """The slow-peer threshold: ``app.state.peer_slow_ms`` (tests), else the
    setting ``peer_slow_ms`` (``SCNODE_PEER_SLOW_MS``)."""
    settings: Settings = app.state.services.settings
    return int(getattr(app.state, "peer_slow_ms", settings.peer_slow_ms))


def own_witness_key(app: FastAPI) -> NoteVerifier | None:
    own = getattr(app.state, "witness", None)
    return None if own is None else own.signer.verifier()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    node_log: NodeLog = app.state.node_log
    deliverer = Deliverer(
        services.engine, lambda: node_log.keys().active, rng=random.SystemRandom()
    )
    interval = float(getattr(app.state, "peer_interval_s", DEFAULT_INTERVAL_S))
    watch = PeerWatch(
        services.engine,
        node_log,
        governance=governance_service(app),
        slow_ms=slow_ms_of(app),
        own_witness=lambda: own_witness_key(app),
    )
    worker = WatchedPeerWorker(
        services.engine, node_log, deliverer, watch=watch, interval_s=interval
    )
    app.state.peer_worker = worker
    collector = _EvidenceCollector(services.engine)
    services.metrics.registry.register(collector)
    worker.start()
    try:
        yield
    finally:
        worker.stop()
        services.metrics.registry.unregister(collector)


router = APIRouter(prefix="/v1/peers", tags=["peers"], lifespan=_lifespan)
Reader = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OPERATOR, Role.AUDITOR))]
PeerId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="Peer id")]


class InboxMessage(BaseModel):
    model_config = _FROZEN
    seq: int = Field(ge=1, le=2**62, description="The sender's per-peer message number")
    idempotency_key: str = Field(pattern=r"^[0-9a-f]{32,64}$")
    kind: Literal["entry", "checkpoint"]
    payload: dict[str, Any]


class InboxReceipt(BaseModel):
    model_config = _FROZEN
    seq: int
    duplicate: bool = Field(description="True if this message had been received before")


class VerifiedCheckpoint(BaseModel):
    model_config = _FROZEN
    size: int
    root: str = Field(description="base64 RFC 9162 root hash")
    note: str = Field(description="The signed checkpoint as verified (C2SP signed note)")
    verified_ms: int
    source: str = Field(description="witness, sync, gossip or inbox")
    witnesses: int = Field(description="Valid cosignatures by witness keys this node knows")


class PeerLag(BaseModel):
    model_config = _FROZEN
    claimed_size: int = Field(description="Largest size the peer's log has shown this node")
    verified_size: int
    entries_behind: int = Field(description="claimed_size - verified_size")
    entries_received: int = Field(description="Entries delivered to this node's inbox")
    age_s: float | None = Field(description="Seconds since the checkpoint was verified")


class EvidencePublic(BaseModel):
    model_config = _FROZEN
    id: int
    kind: str = Field(description="same-size-different-root or inconsistent")
    note_a: str
    note_b: str
    proof: list[str] | None = Field(description="base64 hashes of the proof that failed")
    source: str
    detected_ms: int


class OutboxState(BaseModel):
    model_config = _FROZEN
    pending: int
    delivered: int
    next_attempt_ms: int | None
    last_error: str | None


class PeerFault(BaseModel):
    model_config = _FROZEN
    kind: Literal["slow", "down", "garbage", "forked"] = Field(
        description="slow: answered later than the threshold; down: no connection or no "
        "answer in time; garbage: an answer that does not parse or verify; forked: "
        "split-view evidence for its log"
    )
    since_ms: int = Field(description="When the peer loop first saw this fault (UTC ms)")
    detail: str


class PeerStatus(BaseModel):
    model_config = _FROZEN
    peer_id: str
    origin: str
    url: str
    status: str
    checkpoint: VerifiedCheckpoint | None
    lag: PeerLag | None
    split_view: list[EvidencePublic]
    outbox: OutboxState
    fault: PeerFault | None = Field(
        description="The network fault the peer loop saw in its last round (null: none)"
    )
    checked_ms: int | None = Field(description="When the peer loop last checked the peer")
    latency_ms: int | None = Field(description="Its checkpoint's answer time in that check")
    zk_facts: list[dict[str, Any]] = Field(
        description="Safety-stock facts of a partner peer this node verified (zk range "
        "proofs, inclusion in its checkpoint): {subject: sku@site, fact: below | "
        "at_or_above}; empty until its facts were read"
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@router.get(
    "/{peer_id}/status", response_model=PeerStatus, responses=problem_responses(401, 403, 404, 422)
)
def status(peer_id: PeerId, request: Request, _who: Reader) -> PeerStatus:
    """A peer's latest verified checkpoint, witness count, lag and split-view evidence."""
    services: Services = request.app.state.services
    engine = services.engine
    now_ms = time.time_ns() // 1_000_000
    with engine.connect() as conn:
        peer = PeerRegistry(conn).get(peer_id)
        origin = peer.key.name
        view = get_view(conn, origin)
        records = evidence_for(conn, origin)
        received = conn.execute(
            select(func.count()).where(inbox.c.peer_id == peer_id, inbox.c.kind == "entry")
        ).scalar_one()
        queued = conn.execute(
            select(outbox.c.delivered_ms, outbox.c.next_attempt_ms, outbox.c.last_error)
            .where(outbox.c.peer_id == peer_id)
            .order_by(outbox.c.seq)
        ).all()
        state = load_fault_states(conn, [peer_id]).get(peer_id)
    waiting = [q for q in queued if q[0] is None]
    checkpoint = lag = None
    if view is not None:
        checkpoint = VerifiedCheckpoint(
            size=view.size,
            root=_b64(view.root),
            note=view.note,
            verified_ms=view.verified_ms,
            source=view.source,
            witnesses=count_witnesses(engine, view.note, own_witness_key(request.app)),
        )
        lag = PeerLag(
            claimed_size=view.claimed_size,
            verified_size=view.size,
            entries_behind=max(0, view.claimed_size - view.size),
            entries_received=int(received),
            age_s=max(0.0, (now_ms - view.verified_ms) / 1000),
        )
    return PeerStatus(
        peer_id=peer.id,
        origin=origin,
        url=peer.url,
        status=peer.status,
        checkpoint=checkpoint,
        lag=lag,
        split_view=[
            EvidencePublic(
                id=r.id,
                kind=r.kind,
                note_a=r.note_a,
                note_b=r.note_b,
                proof=None if r.proof is None else [_b64(h) for h in r.proof],
                source=r.source,
                detected_ms=r.detected_ms,
            )
            for r in records
        ],
        outbox=OutboxState(
            pending=len(waiting),
            delivered=len(queued) - len(waiting),
            next_attempt_ms=int(waiting[0][1]) if waiting else None,
            last_error=waiting[0][2] if waiting else None,
        ),
        fault=None
        if state is None or state.fault is None
        else PeerFault(
            kind=state.fault.kind.value,
            since_ms=state.fault.since_ms,
            detail=state.fault.detail,
        ),
        checked_ms=None if state is None else state.checked_ms,
        latency_ms=None if state is None else state.latency_ms,
        zk_facts=_zk_facts(request.app, peer.role, origin),
    )


def _zk_facts(app: FastAPI, role: Role, origin: str) -> list[dict[str, Any]]:
    if role is not Role.PARTNER:
        return []
    stored = governance_service(app).stored_facts(origin)
    if stored is None:
        return []
    return [{"subject": k, "fact": v} for k, v in sorted(stored.safety_stock.items())]


@router.post(
    "/inbox", response_model=InboxReceipt, responses=problem_responses(400, 401, 403, 409, 422)
)
def inbox_(message: InboxMessage, request: Request, sender: CurrentPeer) -> InboxReceipt:
    """A message from a peer's outbox (signed request): stored once, in order."""
    services: Services = request.app.state.services
    with services.engine.connect() as conn:
        peer = PeerRegistry(conn).get(sender.id)
    try:
        got = receive(
            services.engine,
            peer,
            seq=message.seq,
            idempotency_key=message.idempotency_key,
            kind=message.kind,
            payload=message.payload,
            now_ms=time.time_ns() // 1_000_000,
        )
    except InboxError as exc:
        slug = "inbox-order" if exc.status == 409 else "inbox-content"
        problem = ProblemError(exc.status, slug, str(exc))
        if exc.expected_seq is not None:
            problem.headers["X-Expected-Seq"] = str(exc.expected_seq)
        raise problem from None
    return InboxReceipt(seq=got.seq, duplicate=got.duplicate)
