"""Publishing inventory snapshots and reading the owner's positions.

``POST /v1/inventory/snapshots`` (operator, admin) runs the whole publishing path
(mapping → governance → zk → one ledger entry) for one body; refusals are problem
responses listing each field or rule at fault, and store nothing.
``GET /v1/inventory/positions`` shows plaintext, only to roles the disclosure
policy lets see quantities (the owner's), position by position through
:func:`node.disclosure.evaluate`.
``GET /v1/inventory/movements/{document}`` gives the document's counterparty (and
the owner's operators) the openings of that one document's effect commitments in
the snapshots' sum statements, to check with :func:`node.inventory.check_document`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from node.api.deps import CurrentPrincipal, ServicesDep, require_role
from node.api.node_log import NodeLogDep
from node.api.problems import ProblemError, ValidationIssue, problem_response, problem_responses
from node.api.routes.facts import caller_of, disclosure_context
from node.auth.principal import Principal
from node.auth.roles import Role
from node.disclosure import Item, PolicyError, evaluate, may_list_quantities
from node.inventory import (
    MAX_UPLOAD_BYTES,
    InventoryError,
    Published,
    document_openings,
    iter_positions,
    open_publisher,
)
from node.inventory.schemas import (
    FactPublic,
    FindingPublic,
    MovementsDisclosure,
    MovementTerm,
    PositionPrivate,
    PositionPublished,
    SnapshotPublic,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/inventory", tags=["inventory"])
Publisher = Annotated[Principal, Depends(require_role(Role.OPERATOR, Role.ADMIN))]
MAX_PAGE = 1000

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "A partner export in its own field names (CSV, or a JSON array of objects; "
            "name the approved mapping profile with ?source=), or canonical positions: "
            '{"positions": [{"sku", "location", "lot"?, "as_of", "quantities": {bucket: n}, '
            '"safety_stock"?}], "zone"?: "+08:00"}.'
        ),
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"oneOf": [{"type": "array"}, {"type": "object"}]}},
        },
    }
}


def _problem(request: Request, exc: InventoryError) -> JSONResponse:
    issues = [ValidationIssue(loc=list(i.loc), msg=i.msg, type=i.type) for i in exc.issues]
    return problem_response(
        request, exc.status, exc.slug, exc.title, exc.detail, errors=issues or None
    )


def _published(done: Published) -> SnapshotPublic:
    return SnapshotPublic(
        snapshot=done.snapshot,
        index=done.seq,
        leaf_hash=done.leaf_hash,
        checkpoint=done.checkpoint,
        checkpoint_size=done.checkpoint_size,
        source=done.source,
        mapping_profile_version=done.profile_version,
        rule_set=done.rule_set,
        disclosure_policy_version=done.policy_version,
        positions=[
            PositionPublished(
                n=n,
                sku=c.position.sku,
                location=c.position.location,
                lot=c.position.lot,
                subject=c.body.subject,
                as_of_ms=c.position.as_of_ms,
                commitments={k: v.hex() for k, v in c.body.commitments.items()},
                facts=[FactPublic.model_validate(f.to_json()) for f in c.body.facts],
            )
            for n, c in enumerate(done.positions)
        ],
        findings=[
            FindingPublic(**{k: f[k] for k in FindingPublic.model_fields}) for f in done.findings
        ],
        exceptions=list(done.exceptions),
    )


@router.post(
    "/snapshots",
    status_code=201,
    response_model=SnapshotPublic,
    responses=problem_responses(400, 401, 403, 409, 413, 422, 503),
    openapi_extra=_BODY_DOC,
)
async def publish_snapshot(
    request: Request,
    services: ServicesDep,
    node_log: NodeLogDep,
    principal: Publisher,
    source: Annotated[
        str | None,
        Query(max_length=64, description="Source system: picks its approved mapping profile"),
    ] = None,
) -> Any:
    """Publish one inventory snapshot (one ledger entry, whatever the number of positions)."""
    from starlette.concurrency import run_in_threadpool

    body = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if len(body) > MAX_UPLOAD_BYTES:
        return problem_response(
            request,
            413,
            "inventory-too-large",
            "Snapshot too large",
            f"a snapshot body is at most {MAX_UPLOAD_BYTES} bytes",
        )

    def run() -> Published:
        publisher = open_publisher(
            engine=services.engine,
            store=node_log.store(),
            signers=lambda now: node_log.keys().signers(now),
            home=services.settings.home,
        )
        return publisher.publish(body, media_type, source, published_by=principal.name)

    try:
        done = await run_in_threadpool(run)
    except InventoryError as exc:
        return _problem(request, exc)
    except PolicyError:
        return problem_response(
            request,
            503,
            "disclosure-policy",
            "Disclosure policy unavailable",
            "the node's disclosure policy file is invalid",
        )
    return JSONResponse(_published(done).model_dump(mode="json"), status_code=201)


@router.get(
    "/positions",
    response_model=list[PositionPrivate],
    responses=problem_responses(401, 403, 422, 503),
)
def list_positions(
    *,
    services: ServicesDep,
    principal: CurrentPrincipal,
    sku: Annotated[str | None, Query(max_length=200)] = None,
    snapshot: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
    since_ms: Annotated[int | None, Query(ge=0, le=2**53 - 1)] = None,
    until_ms: Annotated[int | None, Query(ge=0, le=2**53 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> list[PositionPrivate]:
    """Positions with plaintext quantities: only for roles the policy lets see them."""
    from node.auth.errors import PermissionDeniedError

    policy, grants = disclosure_context(services, principal)
    if not may_list_quantities(policy, principal.role):
        raise PermissionDeniedError("quantities are shown to the node owner's roles only")
    caller = caller_of(principal)
    out: list[PositionPrivate] = []
    skipped = 0
    with services.engine.connect() as conn:
        rows = iter_positions(
            conn, sku=sku, snapshot=snapshot, since_ms=since_ms, until_ms=until_ms
        )
        for row in rows:
            decision = evaluate(policy, caller, Item(row.sku, row.location, row.as_of_ms), grants)
            if not decision.quantities:
                continue
            if skipped < offset:
                skipped += 1
                continue
            out.append(
                PositionPrivate(
                    snapshot=row.snapshot,
                    index=row.seq,
                    n=row.n,
                    sku=row.sku,
                    location=row.location,
                    lot=row.lot,
                    as_of_ms=row.as_of_ms,
                    uom=row.uom,
                    quantities=dict(row.quantities),
                    safety_stock=row.safety_stock,
                    attributes=dict(row.extras),
                    subject=row.subject,
                    commitments=dict(row.commitments),
                    facts=[FactPublic.model_validate(f) for f in row.facts],
                )
            )
            if len(out) >= limit:
                break
    return out


@router.get(
    "/movements/{document}",
    response_model=MovementsDisclosure,
    responses=problem_responses(401, 403, 404, 422),
)
def document_movements(
    *,
    services: ServicesDep,
    node_log: NodeLogDep,
    principal: CurrentPrincipal,
    document: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="Document hash")],
) -> MovementsDisclosure:
    """Openings of one document's effect commitments: to its counterparty and operators."""
    from sqlalchemy import select

    from node.auth.errors import PermissionDeniedError
    from node.documents import metadata as documents_metadata

    documents = documents_metadata.tables["documents"]
    with services.engine.connect() as conn:
        counterparty = conn.execute(
            select(documents.c.counterparty).where(documents.c.hash == document)
        ).scalar_one_or_none()
        if counterparty is None:
            raise ProblemError(404, "document-not-found", "no such document", title="Not found")
        if principal.role not in (Role.OPERATOR, Role.ADMIN) and principal.name != counterparty:
            raise PermissionDeniedError("only the document's counterparty sees its openings")
        terms = document_openings(conn, document)
    return MovementsDisclosure(
        document=document,
        origin=node_log.origin,
        terms=[MovementTerm(**t) for t in terms],
    )
