"""GS1 EPCIS 2.0 over HTTP.

``GET /v1/epcis/export`` returns the shipping and receiving events of one
purchase-order chain (or of one document) as an EPCIS 2.0 JSON-LD document,
validated against the EPCIS schema when one is configured
(``SCNODE_EPCIS_SCHEMA``). ``POST /v1/epcis/import`` validates a partner's EPCIS
document and maps its events to canonical stock records (refusals say why).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from node.api.deps import CurrentPrincipal
from node.api.problems import ProblemError, problem_responses
from node.api.routes.documents import document_service, reader_party
from node.auth.errors import PermissionDeniedError
from node.auth.roles import Role
from node.documents import DocumentNotFoundError
from node.epcis import (
    EpcisError,
    configured_schema,
    document_events,
    epcis_document,
    import_epcis,
)
from semantic_mapping import StatusMatcher, load_vocabulary

__all__ = ["router"]

router = APIRouter(prefix="/v1/epcis", tags=["epcis"])
LD_JSON = "application/ld+json"


class EpcisRecord(BaseModel):
    model_config = ConfigDict(frozen=True)
    sku: str
    location: str | None
    lot: str | None
    as_of: str | None
    uom: str | None
    quantities: dict[str, str] = Field(description="bucket -> quantity (decimal string)")
    attributes: dict[str, str]


class EpcisEventPublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    index: int
    type: str
    event_id: str | None
    computed_id: str = Field(description="CBV 2.0 event hash id")
    id_matches: bool | None = Field(description="null unless the event had an ni: eventID")
    transactions: list[tuple[str, str]]


class EpcisImportPublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    records: list[EpcisRecord]
    skipped: list[tuple[int, str]]
    events: list[EpcisEventPublic]


def _status(request: Request) -> StatusMatcher:
    matcher: StatusMatcher | None = getattr(request.app.state, "epcis_status", None)
    if matcher is None:
        matcher = StatusMatcher(load_vocabulary())
        request.app.state.epcis_status = matcher
    return matcher


@router.get(
    "/export",
    responses={200: {"content": {LD_JSON: {}}}, **problem_responses(400, 401, 403, 404, 422)},
    summary="Shipping and receiving events of a chain or document, as EPCIS 2.0 JSON-LD",
)
def export_epcis(
    request: Request,
    principal: CurrentPrincipal,
    chain_id: Annotated[str | None, Query(max_length=420)] = None,
    document: Annotated[str | None, Query(max_length=240, description="hash or id")] = None,
) -> JSONResponse:
    party = reader_party(principal)
    service = document_service(request.app)
    if (chain_id is None) == (document is None):
        raise ProblemError(400, "epcis-export", "give exactly one of chain_id and document")
    if document is not None:
        docs = [service.get(document, party=party)]
    else:
        docs = service.list(party=party, chain_id=chain_id, limit=10_000)
        if not docs:
            raise DocumentNotFoundError(f"no purchase order chain {str(chain_id)[:80]!r}")
    events = [e for d in docs for e in document_events(d.signed.document)]
    now = datetime.fromtimestamp(time.time(), UTC).isoformat()
    key = docs[0].hash if document is not None else docs[0].chain_id
    body = epcis_document(events, created=now, document_id=f"urn:scnode:epcis:{key}")
    try:
        schema = configured_schema(getattr(request.app.state, "epcis_schema_path", None))
    except EpcisError:
        schema = None  # no schema configured: exported unvalidated (documented)
    if schema is not None:
        schema.validate(body)
    return JSONResponse(body, media_type=LD_JSON)


@router.post(
    "/import",
    response_model=EpcisImportPublic,
    responses=problem_responses(401, 403, 422),
    summary="Validate a partner's EPCIS 2.0 document and map it to stock records",
)
def import_document(
    request: Request,
    principal: CurrentPrincipal,
    body: Annotated[dict[str, Any], Body()],
) -> EpcisImportPublic:
    if principal.role not in (Role.ADMIN, Role.OPERATOR, Role.PARTNER):
        raise PermissionDeniedError("this operation needs role admin, operator or partner")
    schema = configured_schema(getattr(request.app.state, "epcis_schema_path", None))
    result = import_epcis(body, schema, _status(request))
    return EpcisImportPublic(
        records=[
            EpcisRecord(
                sku=r.sku,
                location=r.location,
                lot=r.lot,
                as_of=None if r.as_of is None else r.as_of.isoformat(),
                uom=r.uom,
                quantities={k: str(v) for k, v in r.quantities.items()},
                attributes=dict(r.attributes),
            )
            for r in result.records
        ],
        skipped=list(result.skipped),
        events=[
            EpcisEventPublic(
                index=e.index,
                type=e.type,
                event_id=e.event_id,
                computed_id=e.computed_id,
                id_matches=e.id_matches,
                transactions=list(e.transactions),
            )
            for e in result.events
        ],
    )
