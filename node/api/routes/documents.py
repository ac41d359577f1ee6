"""Business documents between two nodes.

``POST /v1/documents`` creates, signs and records a document and sends it to its
counterparty; ``POST /v1/documents/inbox`` is where a peer delivers one (signed
request, RFC 9421); ``GET /v1/documents``, ``/v1/documents/{id}`` and
``/v1/documents/chain`` show them to this node's operators and to the one peer
each document was exchanged with; ``GET /v1/documents/events`` streams changes
as server-sent events. A background loop retries deliveries a peer missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from governance import default_rule_set
from node.api.deps import CurrentPeer, CurrentPrincipal, ServicesDep
from node.api.node_log import NodeLog
from node.api.problems import problem_responses
from node.auth.errors import PermissionDeniedError
from node.auth.principal import Principal
from node.auth.roles import Role
from node.documents import (
    DeliveryWorker,
    DocumentFormatError,
    DocumentNotFoundError,
    DocumentService,
    DocumentType,
    document_events,
    import_documents,
    read_export,
    receipt_cases,
)
from node.documents._tables import documents
from node.documents.schemas import (
    ChainPublic,
    DocumentCreate,
    DocumentImport,
    DocumentPublic,
    DocumentsPage,
    ImportPublic,
    InboxAck,
)
from node.governance import governance_service
from node.peers.registry import PeerRegistry

__all__ = ["document_service", "reader_party", "router"]

DEFAULT_RETRY_S = 1.0
POLL_S = 0.05
HEARTBEAT_S = 15.0
_log = logging.getLogger("scnode.documents")


def _now_ms() -> int:
    return int(time.time() * 1000)


def document_service(app: FastAPI) -> DocumentService:
    """The app's document service, made on first use."""
    service: DocumentService | None = getattr(app.state, "documents", None)
    if service is None:
        node_log: NodeLog = app.state.node_log
        service = DocumentService(
            app.state.services.engine,
            lambda: node_log.keys().active,
            node_log.store,
            default_rule_set(),
            on_receipt=receipt_cases(lambda: governance_service(app)),
        )
        app.state.documents = service
    return service


def _service_if_ready(app: FastAPI) -> DocumentService | None:
    node_log: NodeLog = app.state.node_log
    return None if node_log.store_if_ready() is None else document_service(app)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    node_log: NodeLog = app.state.node_log
    worker = DeliveryWorker(
        lambda: _service_if_ready(app),
        lambda: node_log.keys().active,
        float(getattr(app.state, "documents_retry_s", DEFAULT_RETRY_S)),
    )
    app.state.documents_retrier = worker
    worker.start()
    try:
        yield
    finally:
        worker.stop()


router = APIRouter(prefix="/v1/documents", tags=["documents"], lifespan=_lifespan)


def reader_party(principal: Principal) -> str | None:
    """None for this node's operators (all documents); a peer sees its own only."""
    if principal.kind == "peer":
        if principal.role != Role.PARTNER:
            raise PermissionDeniedError("documents are shared with partner peers only")
        return principal.name
    if principal.role not in (Role.ADMIN, Role.OPERATOR):
        raise PermissionDeniedError("this operation needs role admin or operator")
    return None


@router.post(
    "",
    status_code=201,
    response_model=DocumentPublic,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    summary="Create, sign and send a document to its counterparty",
)
def create_document(
    request: Request, services: ServicesDep, principal: CurrentPrincipal, body: DocumentCreate
) -> DocumentPublic:
    if principal.kind != "token" or principal.role not in (Role.ADMIN, Role.OPERATOR):
        raise PermissionDeniedError("this operation needs role admin or operator")
    with services.engine.connect() as conn:
        peer = PeerRegistry(conn).get(body.counterparty)
    if peer.status != "active" or peer.role != Role.PARTNER:
        raise PermissionDeniedError("documents go to active partner peers only")
    service = document_service(request.app)
    created = service.create(body.document, peer, _now_ms())
    retrier: DeliveryWorker | None = getattr(request.app.state, "documents_retrier", None)
    if retrier is not None:
        retrier.deliver()  # at once, in this request; the loop retries what fails
        created = service.get(created.hash)
    return DocumentPublic.of(created)


@router.post(
    "/import",
    status_code=201,
    response_model=ImportPublic,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
    summary="Import a partner's document export (its own column names) and send the documents",
)
def import_export(
    request: Request, services: ServicesDep, principal: CurrentPrincipal, body: DocumentImport
) -> ImportPublic:
    """Columns are mapped onto the vocabulary (by ``fields``, an approved ``profile``
    or the matcher when confident); an unmapped, ambiguous or missing column is a
    400 ``document-format`` problem naming it. See docs/documents.md."""
    if principal.kind != "token" or principal.role not in (Role.ADMIN, Role.OPERATOR):
        raise PermissionDeniedError("this operation needs role admin or operator")
    with services.engine.connect() as conn:
        peer = PeerRegistry(conn).get(body.counterparty)
    if peer.status != "active" or peer.role != Role.PARTNER:
        raise PermissionDeniedError("documents go to active partner peers only")
    profile = None
    if body.profile is not None:
        from node.inventory import home_mapping
        from semantic_mapping import MappingError

        try:
            profile = home_mapping(services.settings.home).profile(body.profile)
        except MappingError as exc:
            raise DocumentFormatError(f"profile {body.profile!r}: {exc}") from None
        if profile is None:
            raise DocumentFormatError(f"no approved mapping profile {body.profile!r}")
    service = document_service(request.app)
    result = import_documents(
        service,
        read_export(body.export.encode("utf-8"), body.format),
        peer,
        now_ms=_now_ms(),
        document_type=None if body.type is None else DocumentType(body.type),
        fields=body.fields,
        profile=profile,
        defaults=body.defaults,
        timezone=body.timezone,
        dry_run=body.dry_run,
    )
    retrier: DeliveryWorker | None = getattr(request.app.state, "documents_retrier", None)
    if result.created and retrier is not None:
        retrier.deliver()
    return ImportPublic(
        type=result.plan.document_type.value,
        mapping=[c.to_json() for c in result.plan.fields],
        ignored=[c.to_json() for c in result.plan.ignored],
        bodies=list(result.bodies),
        documents=[DocumentPublic.of(service.get(d.hash)) for d in result.created],
    )


@router.post(
    "/inbox",
    response_model=InboxAck,
    responses=problem_responses(400, 401, 403, 409, 422),
    summary="Deliver a signed document (peer to peer, signed request)",
)
def receive_document(
    request: Request,
    services: ServicesDep,
    peer_principal: CurrentPeer,
    body: Annotated[dict[str, Any], Body()],
) -> InboxAck:
    with services.engine.connect() as conn:
        peer = PeerRegistry(conn).get(peer_principal.id)
    if peer.role != Role.PARTNER:
        raise PermissionDeniedError("documents are exchanged with partner peers only")
    doc, duplicate = document_service(request.app).receive(peer, body, _now_ms())
    return InboxAck(hash=doc.hash, duplicate=duplicate)


@router.get(
    "",
    response_model=DocumentsPage,
    responses=problem_responses(401, 403),
    summary="Documents this node exchanged (a peer sees only its own)",
)
def list_documents(
    request: Request,
    principal: CurrentPrincipal,
    chain_id: Annotated[str | None, Query(max_length=420)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> DocumentsPage:
    party = reader_party(principal)
    found = document_service(request.app).list(party=party, chain_id=chain_id, limit=limit)
    return DocumentsPage(documents=[DocumentPublic.of(d) for d in found])


@router.get(
    "/chain",
    response_model=ChainPublic,
    responses=problem_responses(401, 403, 404),
    summary="State of one purchase-order chain",
)
def chain_state(
    request: Request,
    principal: CurrentPrincipal,
    chain_id: Annotated[str, Query(min_length=3, max_length=420)],
) -> ChainPublic:
    party = reader_party(principal)
    service = document_service(request.app)
    state = service.chain(chain_id)
    if party is not None and party not in (state.buyer, state.supplier):
        raise DocumentNotFoundError(f"no purchase order chain {chain_id[:80]!r}")
    return ChainPublic(
        chain_id=state.chain_id,
        status=state.status,
        version=state.latest.version,
        shipped=state.shipped(),
        received=state.received(),
    )


def _events_after(
    service: DocumentService, last: int, party: str | None, limit: int
) -> list[tuple[int, dict[str, Any]]]:
    query = (
        select(
            document_events.c.id,
            document_events.c.event,
            document_events.c.hash,
            document_events.c.counterparty,
            document_events.c.created_ms,
            documents.c.doc_id,
            documents.c.type,
            documents.c.chain_id,
        )
        .join(documents, documents.c.hash == document_events.c.hash)
        .where(document_events.c.id > last)
        .order_by(document_events.c.id)
        .limit(limit)
    )
    if party is not None:
        query = query.where(document_events.c.counterparty == party)
    with service.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        (
            int(r.id),
            {
                "event": r.event,
                "hash": r.hash,
                "doc_id": r.doc_id,
                "type": r.type,
                "chain_id": r.chain_id,
                "counterparty": r.counterparty,
                "created_ms": int(r.created_ms),
            },
        )
        for r in rows
    ]


@router.get(
    "/events",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
        **problem_responses(401, 403),
    },
    response_class=StreamingResponse,
    summary="Changes to documents, as server-sent events",
)
async def document_events_stream(
    request: Request,
    principal: CurrentPrincipal,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    after: Annotated[int | None, Query(ge=0, description="resume after this event id")] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=10_000, description="close after this many events")
    ] = None,
) -> StreamingResponse:
    party = reader_party(principal)
    service = document_service(request.app)
    start = after if after is not None else 0
    if after is None and last_event_id is not None and last_event_id.isdigit():
        start = int(last_event_id)

    async def stream() -> AsyncIterator[str]:
        last, sent, quiet = start, 0, 0.0
        yield "retry: 1000\n\n"
        while limit is None or sent < limit:
            if await request.is_disconnected():
                return
            batch = await asyncio.to_thread(_events_after, service, last, party, 100)
            for event_id, data in batch:
                yield f"id: {event_id}\nevent: document\ndata: {json.dumps(data)}\n\n"
                last, sent = event_id, sent + 1
                if limit is not None and sent >= limit:
                    return
            if not batch:
                await asyncio.sleep(POLL_S)
                quiet += POLL_S
                if quiet >= HEARTBEAT_S:
                    quiet = 0.0
                    yield ": keep-alive\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/{key}",
    response_model=DocumentPublic,
    responses=problem_responses(401, 403, 404),
    summary="One document by hash or document id",
)
def get_document(
    request: Request,
    principal: CurrentPrincipal,
    key: str,
) -> DocumentPublic:
    party = reader_party(principal)
    return DocumentPublic.of(document_service(request.app).get(key, party=party))
