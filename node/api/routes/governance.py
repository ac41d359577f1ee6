"""Governance: rule sets in force, partner health, exceptions with SLA clocks, lineage.

Who may do what:

| role | health, dashboard, rules, lineage | exception cases | act on cases |
| --- | --- | --- | --- |
| admin, operator | all partners | all | as this node |
| auditor | all partners | all, read only (quantities withheld, see below) | no (403) |
| partner | its own row | those assigned to it or raised by it | under its own id |
| bank | no (403) | no (403) | no (403) |

A partner is a ``partner`` token whose name is its node id, or a signing partner
peer. The disclosure policy (``node.disclosure``) governs inventory positions, not
cases, so these rules are enforced here; they follow it in one respect: only the
owner's roles see plaintext quantities, so an auditor reading a receipt-mismatch
or capacity case sees its findings without their quantity messages.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from governance import ExceptionCase, ExceptionType
from node.api.deps import require_role
from node.api.problems import ProblemError, problem_responses
from node.auth.principal import Principal
from node.auth.roles import Role
from node.disclosure import OWNER_ROLES
from node.governance import GovernanceService, governance_service
from node.governance._rules import rule_set_document
from node.governance._service import all_cases
from node.governance._views import case_view, dashboard_json, health_json, lineage_json

__all__ = ["GovernanceDep", "party_of", "router"]

router = APIRouter(prefix="/v1/governance", tags=["governance"])

_STAFF = (Role.ADMIN, Role.OPERATOR)
Reader = Annotated[Principal, Depends(require_role(*_STAFF, Role.AUDITOR, Role.PARTNER))]
Actor = Annotated[Principal, Depends(require_role(*_STAFF, Role.PARTNER))]
CaseReader = Annotated[Principal, Depends(require_role(*_STAFF, Role.AUDITOR, Role.PARTNER))]
Window = Literal["hour", "day", "30d"]
CaseId = Annotated[str, Path(pattern=r"^exc-[0-9a-f]{32}$", description="Exception case id")]
NodeId = Annotated[str, Path(min_length=1, max_length=200, description="Partner node id")]
MAX_LIST = 500


def get_governance(request: Request) -> GovernanceService:
    # Routes declare their role dependency before this one: the first use (which
    # publishes the rule sets in force) never happens for a refused request.
    service = governance_service(request.app)
    service.ensure_started()
    return service


GovernanceDep = Annotated[GovernanceService, Depends(get_governance)]


def party_of(principal: Principal) -> str | None:
    """``None`` for this node's own staff and auditors; a partner's node id otherwise."""
    return principal.name if principal.role is Role.PARTNER else None


def may_see_quantities(principal: Principal) -> bool:
    """Owner roles, and partners (a party to the documents a case quotes)."""
    return principal.role in OWNER_ROLES or principal.role is Role.PARTNER


def _actor(principal: Principal, service: GovernanceService) -> str:
    return principal.name if principal.role is Role.PARTNER else service.origin


def _not_found(what: str) -> ProblemError:
    return ProblemError(404, "not-found", f"no {what} visible to this caller", title="Not found")


def _json(document: dict[str, Any]) -> JSONResponse:
    """The large read documents (health, dashboard) go out as built: re-validating
    them through :class:`Reply` costs more than building them (100 partners × 3
    windows); ``response_model`` still documents them in OpenAPI."""
    return JSONResponse(document)


class Reply(BaseModel):
    """A JSON document (see docs/dashboard.md for its fields)."""

    model_config = ConfigDict(extra="allow")


class CaseText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str = Field(min_length=1, max_length=4000, description="Comment or resolution text")


class AckText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str | None = Field(default=None, min_length=1, max_length=4000, description="Note")


@router.get("/rules", response_model=Reply, responses=problem_responses(401, 403))
def rules(_who: Reader, service: GovernanceDep) -> dict[str, Any]:
    """The rule set in force now (with its full document) and every stored version."""
    now = service.clock()
    current = service.rule_set(now)
    history = service.rules.all(reload=True)
    stored = next(s for s in history if s.rules.ref == current.ref) if history else None
    return {
        "now": now,
        "current": None
        if stored is None
        else {**stored.to_dict(), "document": rule_set_document(stored)},
        "history": [s.to_dict() for s in history],
    }


@router.get("/health", response_model=Reply, responses=problem_responses(401, 403, 422))
def health(
    who: Reader,
    service: GovernanceDep,
    window: Annotated[Window | None, Query(description="Only this window")] = None,
) -> JSONResponse:
    """Data-quality health of every partner (a partner caller: its own only)."""
    party = party_of(who)
    if party is None:
        return _json(health_json(service, window=window))
    try:
        return _json(health_json(service, window=window, partner=party))
    except LookupError:
        return _json({**health_json(service, window=window, partner=None), "partners": []})


@router.get(
    "/health/{node:path}", response_model=Reply, responses=problem_responses(401, 403, 404, 422)
)
def health_of(
    node: NodeId,
    who: Reader,
    service: GovernanceDep,
    window: Annotated[Window | None, Query(description="Only this window")] = None,
) -> JSONResponse:
    """Health of one partner node."""
    party = party_of(who)
    if party is not None and party != node:
        raise _not_found(f"partner {node!r}")
    try:
        return _json(health_json(service, window=window, partner=node))
    except LookupError:
        raise _not_found(f"partner {node!r}") from None


@router.get("/dashboard", response_model=Reply, responses=problem_responses(401, 403, 422))
def dashboard(
    who: Reader, service: GovernanceDep, window: Annotated[Window, Query()] = "day"
) -> JSONResponse:
    """The dashboard's view model: one row per partner, coloured cells, sparklines."""
    return _json(dashboard_json(service, window=window, party=party_of(who)))


@router.get("/lineage", response_model=Reply, responses=problem_responses(400, 401, 403, 404, 422))
def lineage(
    *,
    who: Reader,
    service: GovernanceDep,
    partner: Annotated[str, Query(min_length=1, max_length=200)],
    start: Annotated[int, Query(ge=0, le=2**53)],
    end: Annotated[int, Query(ge=0, le=2**53)],
    field: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    exception: Annotated[list[str] | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> dict[str, Any]:
    """The records, source fields, mapping profile versions and ledger entries behind a
    figure of ``partner`` over ``[start, end]`` (optionally: records missing ``field``;
    the ledger events of the given exception ids)."""
    party = party_of(who)
    if party is not None and party != partner:
        raise _not_found(f"partner {partner!r}")
    if end < start:
        raise ProblemError(400, "bad-range", "end must not be before start", title="Bad range")
    return lineage_json(
        service,
        partner=partner,
        start=start,
        end=end,
        field=field,
        exception_ids=list(exception or []),
        limit=limit,
    )


@router.get("/exceptions", response_model=list[Reply], responses=problem_responses(401, 403, 422))
def exceptions(
    *,
    who: CaseReader,
    service: GovernanceDep,
    state: Annotated[list[Literal["open", "acknowledged", "resolved"]] | None, Query()] = None,
    type_: Annotated[list[ExceptionType] | None, Query(alias="type")] = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> list[dict[str, Any]]:
    """Exception cases, newest first (a partner: those it is assignee or raiser of;
    an auditor: all, read only)."""
    found = all_cases(
        service,
        party=party_of(who),
        states=list(state or []),
        types=[t.value for t in type_ or []],
        limit=None if assignee else limit,
    )
    if assignee is not None:
        found = [c for c in found if c.assignee == assignee][:limit]
    quantities = may_see_quantities(who)
    return [case_view(service, c, quantities=quantities) for c in found]


def _visible(service: GovernanceService, case_id: str, who: Principal) -> ExceptionCase:
    try:
        return service.visible_case(case_id, party_of(who))
    except LookupError:
        raise _not_found(f"exception {case_id}") from None


@router.get(
    "/exceptions/{case_id}", response_model=Reply, responses=problem_responses(401, 403, 404, 422)
)
def exception(case_id: CaseId, who: CaseReader, service: GovernanceDep) -> dict[str, Any]:
    """One case with its SLA state and ledger events."""
    case = _visible(service, case_id, who)
    return case_view(service, case, quantities=may_see_quantities(who))


_ACT = problem_responses(401, 403, 404, 409, 422)


@router.post("/exceptions/{case_id}/ack", response_model=Reply, responses=_ACT)
def acknowledge(
    case_id: CaseId, who: Actor, service: GovernanceDep, body: AckText | None = None
) -> dict[str, Any]:
    """The assignee acknowledges the case (stops the response clock)."""
    _visible(service, case_id, who)
    note = None if body is None else body.text
    case = service.act(case_id, "ack", by=_actor(who, service), text=note)
    return case_view(service, case)


@router.post("/exceptions/{case_id}/comment", response_model=Reply, responses=_ACT)
def comment(case_id: CaseId, body: CaseText, who: Actor, service: GovernanceDep) -> dict[str, Any]:
    """Either party comments on an unresolved case."""
    _visible(service, case_id, who)
    case = service.act(case_id, "comment", by=_actor(who, service), text=body.text)
    return case_view(service, case)


@router.post("/exceptions/{case_id}/resolve", response_model=Reply, responses=_ACT)
def resolve(case_id: CaseId, body: CaseText, who: Actor, service: GovernanceDep) -> dict[str, Any]:
    """The assignee or the raiser resolves the case."""
    _visible(service, case_id, who)
    case = service.act(case_id, "resolve", by=_actor(who, service), text=body.text)
    return case_view(service, case)
