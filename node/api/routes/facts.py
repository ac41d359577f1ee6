"""What a caller is entitled to know about this node's inventory, and the policy behind it.

``GET /v1/facts`` and ``GET /v1/facts/{sku}``: per published position the caller
may see (decided by :func:`node.disclosure.evaluate`, nothing else), the item's
identity and salt (to recompute the subject hash in the ledger entry), the
commitments, the safety-stock facts with their proofs and everything needed to
verify them with ``zk.verify_at_least``, and openings only where a grant opened
them. Never a quantity otherwise.

``/v1/disclosure/policy`` and ``/v1/disclosure/grants`` manage the policy (data,
versioned) and the grant records (admin; grants also operator).
"""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query

import zk
from node.api.deps import CurrentPrincipal, ServicesDep, require_role
from node.api.node_log import NodeLogDep
from node.api.problems import ProblemError, problem_responses
from node.api.services import Services
from node.api.transactions import write_transaction
from node.auth.principal import Principal
from node.auth.roles import Role
from node.disclosure import (
    Caller,
    Decision,
    Grant,
    GrantError,
    Item,
    Policy,
    PolicyError,
    add_grant,
    evaluate,
    grants_for,
    list_grants,
    parse_policy,
    policy_digest,
    policy_to_dict,
    revoke_grant,
    store_policy,
    sync_home_policy,
)
from node.inventory import AT_LEAST, PositionRow, fact_context, iter_positions
from node.inventory.schemas import (
    FactsPage,
    GrantCreate,
    GrantPublic,
    OpeningPublic,
    PolicyPublic,
    Verification,
    VisibleFact,
    VisibleFacts,
)

__all__ = ["caller_of", "disclosure_context", "router"]

router = APIRouter(tags=["facts"])
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Owner = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OPERATOR))]
MAX_PAGE = 1000
_FACT_BUCKETS = ("available", "safety_stock")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def caller_of(principal: Principal) -> Caller:
    return Caller(role=principal.role, party=principal.name)


def disclosure_context(services: Services, principal: Principal) -> tuple[Policy, list[Grant]]:
    """The policy in force (after loading a newer home-folder file) and the caller's grants."""
    try:
        policy = sync_home_policy(services.engine, services.settings.home, now_ms=_now_ms())
    except PolicyError:
        raise ProblemError(
            503,
            "disclosure-policy",
            "the node's disclosure policy file is invalid",
            title="Disclosure policy unavailable",
        ) from None
    with services.engine.connect() as conn:
        return policy, grants_for(conn, principal.name, principal.role)


def _verification(row: PositionRow, fact: dict[str, Any], origin: str) -> Verification | None:
    bits = fact.get("bits")
    if fact.get("fact") != AT_LEAST or not isinstance(bits, int):
        return None
    available = zk.Commitment.from_bytes(bytes.fromhex(row.commitments["available"]))
    safety = zk.Commitment.from_bytes(bytes.fromhex(row.commitments["safety_stock"]))
    context = fact_context(origin, row.snapshot, row.subject, AT_LEAST)
    return Verification(
        statement="at_least",
        commitment=(available - safety).to_bytes().hex(),
        threshold=0,
        bits=bits,
        context=base64.b64encode(context).decode("ascii"),
    )


def _visible(row: PositionRow, decision: Decision, origin: str) -> VisibleFacts:
    if decision.commitments:
        commitments = dict(row.commitments)
    elif decision.facts and row.facts:
        commitments = {k: v for k, v in row.commitments.items() if k in _FACT_BUCKETS}
    else:
        commitments = {}
    facts = []
    if decision.facts:
        for fact in row.facts:
            facts.append(
                VisibleFact(
                    fact=str(fact["fact"]),
                    proof=fact.get("proof"),
                    bits=fact.get("bits"),
                    verification=_verification(row, dict(fact), origin),
                )
            )
    openings = {}
    for name, hexed in row.openings.items():
        if decision.may_open(name):
            opening = zk.Opening.from_bytes(bytes.fromhex(hexed))
            openings[name] = OpeningPublic(
                value=opening.value, blinding=opening.blinding.to_bytes(32, "big").hex()
            )
            commitments.setdefault(name, row.commitments[name])
    return VisibleFacts(
        snapshot=row.snapshot,
        index=row.seq,
        leaf_hash=row.leaf_hash,
        sku=row.sku,
        location=row.location,
        lot=row.lot,
        salt=row.salt,
        subject=row.subject,
        as_of_ms=row.as_of_ms,
        commitments=commitments,
        facts=facts,
        openings=openings,
    )


def _facts(
    services: Services,
    principal: Principal,
    *,
    origin: str,
    sku: str | None,
    since_ms: int | None,
    until_ms: int | None,
    limit: int,
    offset: int,
) -> FactsPage:
    policy, grants = disclosure_context(services, principal)
    caller = caller_of(principal)
    items: list[VisibleFacts] = []
    skipped = 0
    with services.engine.connect() as conn:
        for row in iter_positions(conn, sku=sku, since_ms=since_ms, until_ms=until_ms):
            decision = evaluate(policy, caller, Item(row.sku, row.location, row.as_of_ms), grants)
            if not decision.visible:
                continue
            if skipped < offset:
                skipped += 1
                continue
            items.append(_visible(row, decision, origin))
            if len(items) >= limit:
                break
    return FactsPage(origin=origin, generators=zk.DEFAULT_GENERATORS.digest.hex(), items=items)


Since = Annotated[int | None, Query(ge=0, le=2**53 - 1, description="as-of from (UTC ms)")]
Until = Annotated[int | None, Query(ge=0, le=2**53 - 1, description="as-of until (UTC ms)")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=2**31)]
_READ = problem_responses(401, 403, 422, 503)


@router.get("/v1/facts", response_model=FactsPage, responses=_READ)
def list_facts(
    *,
    services: ServicesDep,
    node_log: NodeLogDep,
    principal: CurrentPrincipal,
    since_ms: Since = None,
    until_ms: Until = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> FactsPage:
    """Every published position the caller may see, with what it may see of it."""
    return _facts(
        services,
        principal,
        origin=node_log.origin,
        sku=None,
        since_ms=since_ms,
        until_ms=until_ms,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/v1/facts/{sku}",
    response_model=FactsPage,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def sku_facts(
    *,
    services: ServicesDep,
    node_log: NodeLogDep,
    principal: CurrentPrincipal,
    sku: Annotated[str, Path(max_length=200)],
    since_ms: Since = None,
    until_ms: Until = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> FactsPage:
    """The facts about one SKU the caller may see (404 when there is none it may see)."""
    page = _facts(
        services,
        principal,
        origin=node_log.origin,
        sku=sku,
        since_ms=since_ms,
        until_ms=until_ms,
        limit=limit,
        offset=offset,
    )
    if not page.items and offset == 0:
        raise ProblemError(404, "facts-not-found", "no facts about this SKU that you may see")
    return page


# -- policy and grants ------------------------------------------------------------------


def _policy_public(policy: Policy) -> PolicyPublic:
    return PolicyPublic(
        version=policy.version, digest=policy_digest(policy), document=policy_to_dict(policy)
    )


@router.get(
    "/v1/disclosure/policy", response_model=PolicyPublic, responses=problem_responses(401, 403, 503)
)
def get_policy(services: ServicesDep, principal: Owner) -> PolicyPublic:
    """The disclosure policy in force."""
    return _policy_public(disclosure_context(services, principal)[0])


@router.put(
    "/v1/disclosure/policy",
    response_model=PolicyPublic,
    responses=problem_responses(400, 401, 403, 409, 422),
)
def put_policy(
    services: ServicesDep, _admin: Admin, document: Annotated[dict[str, Any], Body()]
) -> PolicyPublic:
    """Store a new policy version (its version must be higher than the one in force)."""
    try:
        policy = parse_policy(document)
    except PolicyError as exc:
        raise ProblemError(422, "disclosure-policy-invalid", str(exc)) from None
    try:
        with write_transaction(services.engine) as conn:
            store_policy(conn, policy, now_ms=_now_ms(), source="api")
    except PolicyError as exc:
        raise ProblemError(409, "disclosure-policy-version", str(exc)) from None
    return _policy_public(policy)


def _grant_public(grant: Grant) -> GrantPublic:
    return GrantPublic.model_validate(grant.to_json())


@router.post(
    "/v1/disclosure/grants",
    status_code=201,
    response_model=GrantPublic,
    responses=problem_responses(401, 403, 422),
)
def create_grant(services: ServicesDep, _owner: Owner, body: GrantCreate) -> GrantPublic:
    """Grant a bank or auditor the positions (and openings) of SKUs, sites and a period."""
    try:
        with write_transaction(services.engine) as conn:
            grant = add_grant(conn, now_ms=_now_ms(), **body.model_dump())
    except GrantError as exc:
        raise ProblemError(422, "grant-invalid", str(exc)) from None
    return _grant_public(grant)


@router.get(
    "/v1/disclosure/grants", response_model=list[GrantPublic], responses=problem_responses(401, 403)
)
def get_grants(services: ServicesDep, _owner: Owner) -> list[GrantPublic]:
    with services.engine.connect() as conn:
        return [_grant_public(g) for g in list_grants(conn)]


@router.delete(
    "/v1/disclosure/grants/{grant_id}",
    response_model=GrantPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def delete_grant(
    services: ServicesDep,
    _owner: Owner,
    grant_id: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")],
) -> GrantPublic:
    """Revoke a grant: from now on it discloses nothing."""
    try:
        with write_transaction(services.engine) as conn:
            return _grant_public(revoke_grant(conn, grant_id, now_ms=_now_ms()))
    except GrantError as exc:
        raise ProblemError(404, "grant-not-found", str(exc)) from None
