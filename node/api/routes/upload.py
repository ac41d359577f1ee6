"""``GET /upload``: the supplier upload page, its assets, and the two calls it adds.

* ``GET /upload`` and ``GET /upload/assets/{name}``: static files of
  ``node/upload/`` served by the node itself (no CDN, no external fonts). They carry
  no data and need no token; every URL in them is relative, so the page works
  under a path prefix (``/t/<tenant>/upload`` on a multi-tenant host).
* ``POST /v1/upload/preview?source=`` (operator, admin): the export's columns with
  their approved or proposed canonical concepts (SKOS labels, zh and en) and
  confidence, and the rows a publish would refuse, with the rule and reason.
  Nothing is stored.
* ``POST /v1/upload/mapping`` (operator, admin): approve ``column -> concept``
  mappings for a source; writes the same profile file as ``scnode map approve``.

Publishing itself is ``POST /v1/inventory/snapshots?source=`` (unchanged).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from node.api.deps import ServicesDep, require_role
from node.api.node_log import NodeLogDep
from node.api.problems import ProblemError, ValidationIssue, problem_response, problem_responses
from node.api.static_page import add_static_page
from node.auth.principal import Principal
from node.auth.roles import Role
from node.governance import RuleBook
from node.inventory import InventoryError, home_mapping
from node.upload import Preview, approve_columns, preview_export
from node.upload.schemas import (
    SOURCE_PATTERN,
    ZONE_PATTERN,
    AlternativePublic,
    ColumnPublic,
    ConceptPublic,
    FindingPreview,
    MappingApproval,
    MappingApproved,
    PreviewPublic,
)
from semantic_mapping import Vocabulary, new_profile, profile_to_turtle

__all__ = ["ASSETS", "router"]

router = APIRouter(tags=["upload"])
Operator = Annotated[Principal, Depends(require_role(Role.OPERATOR, Role.ADMIN))]

#: The assets the page may load, with their media types (nothing else is served).
ASSETS: Final = {
    "upload.js": "text/javascript; charset=utf-8",
    "upload.css": "text/css; charset=utf-8",
}
_approvals = threading.Lock()  # one profile write at a time in this process
_BODY_DOC: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": (
            "The export exactly as it would be published: CSV in the partner's own column "
            "names, or a JSON array of objects (canonical positions are checked too)."
        ),
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"oneOf": [{"type": "array"}, {"type": "object"}]}},
        },
    }
}


add_static_page(router, at="upload", package="node.upload", assets=ASSETS, what="upload page")


# -- the API the page adds -------------------------------------------------------------


def _concept(vocabulary: Vocabulary, concept_id: str) -> ConceptPublic:
    c = vocabulary[concept_id]
    return ConceptPublic(id=c.id, zh=c.label_zh, en=c.label_en, value_type=c.value_type)


def _public(done: Preview, vocabulary: Vocabulary) -> PreviewPublic:
    return PreviewPublic(
        source=done.source,
        profile_version=done.profile_version,
        rows=done.rows,
        ready=done.ready,
        columns=[
            ColumnPublic(
                name=c.name,
                concept=c.concept,
                labels=_concept(vocabulary, c.concept),
                confidence=c.confidence,
                approved=c.approved,
                explanation=c.explanation,
                alternatives=[
                    AlternativePublic(concept=a.concept, confidence=a.confidence)
                    for a in c.alternatives
                ],
            )
            for c in done.columns
        ],
        problems=[ValidationIssue(loc=list(i.loc), msg=i.msg, type=i.type) for i in done.problems],
        warnings=[
            FindingPreview(row=n, rule_id=f.rule_id, field=f.field, message=f.message)
            for n, f in done.warnings
        ],
        concepts=[_concept(vocabulary, k) for k in sorted(vocabulary.concepts)],
    )


@router.post(
    "/v1/upload/preview",
    response_model=PreviewPublic,
    responses=problem_responses(400, 401, 403, 413, 422, 503),
    openapi_extra=_BODY_DOC,
)
async def preview(
    request: Request,
    services: ServicesDep,
    node_log: NodeLogDep,
    _principal: Operator,
    source: Annotated[str, Query(pattern=SOURCE_PATTERN, description="Source system")],
    timezone: Annotated[
        str, Query(pattern=ZONE_PATTERN, description="Zone of offset-less times (new sources)")
    ] = "Z",
) -> Response:
    """What publishing this export would do: mappings proposed, rows refused. Stores nothing."""
    body = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    origin = node_log.origin
    mapping = home_mapping(services.settings.home)

    def run() -> tuple[Preview, Vocabulary]:
        vocabulary = mapping.vocabulary()
        at = time.time_ns() // 1_000_000
        done = preview_export(
            body,
            media_type,
            source=source,
            timezone=timezone,
            vocabulary=vocabulary,
            profile=mapping.profile,
            rules=RuleBook(services.engine).in_force(at=at),
            now_ms=at,
            node_id=origin,
        )
        return done, vocabulary

    try:
        done, vocabulary = await run_in_threadpool(run)
    except InventoryError as exc:
        issues = [ValidationIssue(loc=list(i.loc), msg=i.msg, type=i.type) for i in exc.issues]
        return problem_response(
            request, exc.status, exc.slug, exc.title, exc.detail, errors=issues or None
        )
    return JSONResponse(_public(done, vocabulary).model_dump(mode="json"))


@router.post(
    "/v1/upload/mapping",
    response_model=MappingApproved,
    responses=problem_responses(400, 401, 403, 422),
)
def approve(body: MappingApproval, services: ServicesDep, principal: Operator) -> MappingApproved:
    """Approve column mappings for a source (the approver is the token's name)."""
    mapping = home_mapping(services.settings.home)
    vocabulary = mapping.vocabulary()
    unknown = sorted(c for c in set(body.fields.values()) if c not in vocabulary)
    if unknown:
        raise ProblemError(422, "mapping-profile", f"unknown concept {unknown[0]!r}")
    now = datetime.now(UTC)
    path = mapping.folder / "profiles" / f"{body.source}.ttl"
    with _approvals:
        current = mapping.profile(body.source) or new_profile(body.source, timezone=body.timezone)
        profile = approve_columns(
            current, vocabulary, body.fields, approved_by=principal.name, now=now
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_suffix(".ttl.tmp")
        staged.write_text(profile_to_turtle(profile), "utf-8")
        staged.replace(path)
    return MappingApproved(
        source=profile.source,
        version=profile.version,
        timezone=profile.timezone,
        fields=len(profile.fields),
    )
