"""Demand and capacity sharing, gaps and capacity facts (``/v1/planning``).

* ``POST /forecasts`` (operator): share a demand forecast with a supplier peer;
  ``POST /capacity`` (operator): answer a customer peer with capacity groups
  (optionally with the orders committed per sku and week).
* ``POST /inbox``: where a peer delivers one (signed node-to-node request).
* ``POST /deliver``: retry undelivered messages now (a background loop also
  retries every ``app.state.planning_retry_s`` seconds, default 5, with backoff);
  ``GET /messages``, ``GET /gaps``.
* ``POST /facts`` (operator): prove and record a capacity fact;
  ``GET /facts/{fact_id}/bundle``: its evidence bundle (with the customer's
  disclosure); ``POST /facts/verify``: verify a forwarded fact offline.

Plaintext forecasts and capacity travel point to point only; the ledger records
their hashes (see docs/planning.md).
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from node.api.deps import CurrentPeer, ServicesDep, require_role
from node.api.node_log import NodeLog, NodeLogDep
from node.api.problems import ProblemError, problem_responses
from node.api.routes.documents import document_service
from node.auth.errors import PermissionDeniedError
from node.auth.principal import Principal
from node.auth.roles import Role
from node.governance import governance_service
from node.peers.registry import PeerRegistry
from node.planning import (
    CapacityReport,
    DemandForecast,
    FactError,
    Gap,
    Message,
    PlanningError,
    PlanningFormatError,
    PlanningService,
    Week,
    committed_orders,
    gap_findings,
    parse_week,
    verify_forwarded_fact,
)

__all__ = ["planning_service", "router"]

DEFAULT_RETRY_S = 5.0
_log = logging.getLogger("scnode.planning")


class _Retrier:
    """Redelivers queued forecasts and capacity reports now and then."""

    def __init__(self, app: FastAPI, interval_s: float) -> None:
        self.app, self.interval_s = app, interval_s
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="planning", daemon=True)

    def _run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            node_log: NodeLog = self.app.state.node_log
            if node_log.store_if_ready() is None:
                continue
            try:
                planning_service(self.app).deliver_pending()
            except Exception:  # noqa: BLE001  the loop must survive a bad round; retried next time
                _log.exception("planning delivery round failed")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    interval = float(getattr(app.state, "planning_retry_s", DEFAULT_RETRY_S))
    retrier = _Retrier(app, interval)
    if interval > 0:
        retrier.thread.start()
    try:
        yield
    finally:
        retrier.stopped.set()
        if retrier.thread.is_alive():
            retrier.thread.join(timeout=10)


router = APIRouter(prefix="/v1/planning", tags=["planning"], lifespan=_lifespan)
MAX_DOCUMENTS = 100_000
Operator = Annotated[Principal, Depends(require_role(Role.OPERATOR, Role.ADMIN))]


def _now_ms() -> int:
    return int(time.time() * 1000)


def planning_service(app: FastAPI) -> PlanningService:
    """The app's planning service (``app.state.planning``), made on first use."""
    found = getattr(app.state, "planning", None)
    if isinstance(found, PlanningService):
        return found
    node_log: NodeLog = app.state.node_log

    def record(partner: str, gaps: tuple[Gap, ...]) -> object:
        # the planning service's own gaps: per capacity group, and against the
        # orders already committed (governance's record_capacity compares per sku)
        return governance_service(app).record_findings(
            partner, lambda rules: gap_findings(gaps, rules)
        )

    service = PlanningService(
        app.state.services.engine,
        node_log.store,
        lambda: node_log.keys().active,
        _now_ms,
        secrets.SystemRandom(),
        governance=record,
        transport=getattr(app.state, "planning_transport", None),
    )
    app.state.planning = service
    return service


class MessagePublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    direction: str
    peer: str
    kind: str
    ref: str
    hash: str
    seq: int | None
    delivered: bool


class GapPublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str
    group_id: str | None
    skus: list[str]
    week: str
    demand: int
    actual: int | None
    maximum: int | None
    committed: int
    shortfall: int


class ShareResult(BaseModel):
    message: MessagePublic
    delivered: bool
    gaps: list[GapPublic]


class CommittedLine(BaseModel):
    sku: str = Field(max_length=200)
    week: str = Field(max_length=8)
    quantity: int = Field(ge=0, le=2**32 - 1)


class ForecastShare(BaseModel):
    peer: str = Field(max_length=200)
    forecast: dict[str, Any]


class CapacityShare(BaseModel):
    peer: str = Field(max_length=200)
    capacity: dict[str, Any]
    committed: list[CommittedLine] = Field(default_factory=list, max_length=10_000)
    committed_from_documents: bool = Field(
        default=True,
        description="Add the open quantities of this customer's purchase orders "
        "(documents service) to the committed orders",
    )


class WeekFact(BaseModel):
    week: str = Field(max_length=8)
    capacity: int = Field(ge=0, le=2**32 - 1)
    demand: int = Field(ge=0, le=2**32 - 1)


class FactCreate(BaseModel):
    fact_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    sku: str = Field(min_length=1, max_length=200)
    weeks: list[WeekFact] = Field(min_length=1, max_length=8)


class FactPublic(BaseModel):
    fact_id: str
    seq: int
    subject: str
    weeks: list[dict[str, str]]


class FactVerify(BaseModel):
    bundle: str = Field(description="base64 of the bundle or forwarded-fact document")
    vkeys: list[str] = Field(min_length=1, max_length=16)
    witnesses: list[str] = Field(default_factory=list, max_length=32)
    quorum: int = Field(default=0, ge=0)
    sku: str | None = None
    expect_demand: dict[str, int] | None = None


def _message(m: Message) -> MessagePublic:
    return MessagePublic(
        id=m.id,
        direction=m.direction,
        peer=m.peer_id,
        kind=m.kind,
        ref=m.ref,
        hash=m.hash,
        seq=m.seq,
        delivered=m.delivered,
    )


def _gap(g: Gap) -> GapPublic:
    return GapPublic(
        kind=g.kind.value,
        group_id=g.group_id,
        skus=list(g.skus),
        week=g.week,
        demand=g.demand,
        actual=g.actual,
        maximum=g.maximum,
        committed=g.committed,
        shortfall=g.shortfall,
    )


def _bad(exc: PlanningError) -> ProblemError:
    if isinstance(exc, FactError):
        return ProblemError(422, "capacity-fact", str(exc), title="Capacity fact does not verify")
    if isinstance(exc, PlanningFormatError):
        return ProblemError(400, "planning-format", str(exc), title="Malformed planning data")
    return ProblemError(409, "planning", str(exc), title="Planning request refused")


def _share(request: Request, peer: str, item: Any, committed: dict[Any, int] | None) -> ShareResult:
    service = planning_service(request.app)
    message, gaps = service.share(peer, item, committed=committed)
    service.deliver_pending()
    delivered = next(m for m in service.messages() if m.id == message.id).delivered
    return ShareResult(message=_message(message), delivered=delivered, gaps=[_gap(g) for g in gaps])


@router.post(
    "/forecasts", response_model=ShareResult, responses=problem_responses(400, 401, 403, 404)
)
def share_forecast(request: Request, principal: Operator, body: ForecastShare) -> ShareResult:
    """Share a weekly demand forecast with a supplier peer (stored, hashed on the ledger, sent)."""
    try:
        forecast = DemandForecast.from_json(body.forecast)
        return _share(request, body.peer, forecast, None)
    except PlanningError as exc:
        raise _bad(exc) from None


@router.post(
    "/capacity", response_model=ShareResult, responses=problem_responses(400, 401, 403, 404)
)
def share_capacity(request: Request, principal: Operator, body: CapacityShare) -> ShareResult:
    """Answer a customer peer with capacity groups (actual and maximum per week)."""
    try:
        capacity = CapacityReport.from_json(body.capacity)
        committed: dict[tuple[str, Week], int] = {}
        for line in body.committed:
            key = (line.sku, parse_week(line.week))
            committed[key] = committed.get(key, 0) + line.quantity
        if body.committed_from_documents:
            stored = document_service(request.app).list(limit=MAX_DOCUMENTS)
            mine = [d.signed.document for d in stored if d.peer_id == body.peer]
            for key, quantity in committed_orders(mine).items():
                committed[key] = committed.get(key, 0) + quantity
        return _share(request, body.peer, capacity, committed)
    except PlanningError as exc:
        raise _bad(exc) from None


@router.post("/inbox", responses=problem_responses(400, 401, 403))
def receive(
    request: Request,
    services: ServicesDep,
    peer_principal: CurrentPeer,
    body: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """A peer delivers a forecast or capacity report (signed node-to-node request)."""
    with services.engine.connect() as conn:
        peer = PeerRegistry(conn).get(peer_principal.id)
    if peer.role != Role.PARTNER:
        raise PermissionDeniedError("forecasts and capacity are exchanged with partner peers only")
    try:
        message, duplicate, gaps = planning_service(request.app).receive(peer.id, body)
    except PlanningError as exc:
        raise _bad(exc) from None
    return {"hash": message.hash, "duplicate": duplicate, "gaps": len(gaps)}


@router.post("/deliver", responses=problem_responses(401, 403))
def deliver(request: Request, principal: Operator) -> dict[str, Any]:
    """Retry every undelivered forecast and capacity report now."""
    report = planning_service(request.app).deliver_pending(force=True)
    return {"delivered": report.delivered, "failed": report.failed}


@router.get("/messages", response_model=list[MessagePublic], responses=problem_responses(401, 403))
def list_messages(request: Request, principal: Operator) -> list[MessagePublic]:
    return [_message(m) for m in planning_service(request.app).messages()]


@router.get("/gaps", responses=problem_responses(401, 403))
def list_gaps(
    request: Request, principal: Operator, peer: str | None = None
) -> list[dict[str, Any]]:
    return planning_service(request.app).gaps(peer)


@router.post(
    "/facts",
    response_model=FactPublic,
    status_code=201,
    responses=problem_responses(400, 401, 403, 409),
)
def create_fact(request: Request, principal: Operator, body: FactCreate) -> FactPublic:
    """Commit to capacity and demand per week and prove, in zero knowledge, which is larger."""
    try:
        weeks = [(parse_week(w.week), w.capacity, w.demand) for w in body.weeks]
        proven, seq = planning_service(request.app).prove_fact(
            fact_id=body.fact_id, sku=body.sku, salt=secrets.token_hex(16), weeks=weeks
        )
    except PlanningError as exc:
        raise _bad(exc) from None
    return FactPublic(
        fact_id=body.fact_id,
        seq=seq,
        subject=proven.fact.subject,
        weeks=[{"week": w.week, "relation": w.relation.value} for w in proven.fact.weeks],
    )


@router.get(
    "/facts/{fact_id}/bundle",
    response_class=Response,
    responses=problem_responses(401, 403, 409),
)
def fact_bundle(
    request: Request,
    principal: Operator,
    node_log: NodeLogDep,
    fact_id: Annotated[str, Path(max_length=100)],
    disclose: bool = True,
) -> Response:
    """The fact's ``scnode-evidence/v1`` bundle, for the customer to forward unchanged."""
    try:
        data = planning_service(request.app).export(
            fact_id, vkeys=list(node_log.keys().history), disclose=disclose
        )
    except PlanningError as exc:
        raise _bad(exc) from None
    return Response(data, media_type="application/json")


@router.post("/facts/verify", responses=problem_responses(400, 401, 403, 422))
def verify_fact(principal: Operator, body: FactVerify) -> list[dict[str, Any]]:
    """Verify a forwarded capacity fact against pinned keys (no network access)."""
    try:
        data = base64.b64decode(body.bundle, validate=True)
    except (binascii.Error, ValueError):
        raise ProblemError(400, "planning-format", "bundle is not base64") from None
    try:
        found = verify_forwarded_fact(
            data,
            vkeys=body.vkeys,
            witnesses=body.witnesses,
            quorum=body.quorum,
            sku=body.sku,
            expect_demand=body.expect_demand,
        )
    except PlanningError as exc:
        raise _bad(exc) from None
    return [f.to_json() for f in found]
