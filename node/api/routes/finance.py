"""Financing over HTTP: grants, pledges (the bank co-signs), the registry, bundles.

* ``POST /v1/finance/grants`` (admin, operator): grant a bank SKUs and sites for a
  period; a ``finance.grant`` entry is logged (ids and hashes only).
* ``POST /v1/finance/pledges`` (admin, operator): a pledge signed by this node,
  awaiting the bank's signature.
* ``GET /v1/finance/pledges/{id}`` (the pledge's bank, admin, operator): the pledge
  text to sign, its state and entry index.
* ``POST /v1/finance/pledges/{id}/cosign`` (the pledge's bank): the bank's signature
  line; the pledge is logged if the stock covers it with every active pledge
  (201), refused otherwise (409, ``pledge-refused``).
* ``GET /v1/finance/registry?key=...`` (bank, auditor, admin, operator): pledges
  carrying the registry keys (no quantities, no terms).
* ``GET /v1/finance/bundle?bank=&from_ms=&to_ms=`` (that bank, admin, operator):
  the financing evidence bundle, verifiable offline with ``scnode verify``.
* ``GET /v1/finance/collateral?key=...`` (bank, admin, operator) — served by a
  BANK's node: the ``finance.collateral`` records of its own log on those blinded
  collateral keys, with evidence (no amounts, no periods, no terms).
* ``POST /v1/finance/collateral/review`` (admin, operator of the bank's node): vet
  a borrower's pledge request — ask every bank peer's registry and this bank's own
  about the collateral, refuse (409 ``double-pledge``) a request that hides a
  pledge they hold, register the collateral, and return this node's signature.
* ``POST /v1/finance/collateral/release`` (admin, operator of the bank's node):
  the pledge no longer holds its collateral.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ledger import LedgerError
from node.api.deps import CurrentPrincipal, ServicesDep, require_role
from node.api.node_log import NodeLog, NodeLogDep
from node.api.problems import ProblemError, problem_responses
from node.api.services import Services
from node.auth.principal import Principal
from node.auth.roles import Role
from node.disclosure import GrantError
from node.finance import (
    BankRegistry,
    Collateral,
    DoublePledgeError,
    Finance,
    FinanceError,
    FinanceNotFoundError,
    PledgeRefusedError,
    RegistryUnavailableError,
    SignedPledge,
    registry_lookup,
    vet_request,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/finance", tags=["finance"])
Owner = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OPERATOR))]
Reader = Annotated[
    Principal, Depends(require_role(Role.ADMIN, Role.OPERATOR, Role.BANK, Role.AUDITOR))
]
_MS = Field(ge=0, lt=2**53)
_BUNDLE_TYPE = "application/json"


class FinanceGrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    bank: str = Field(min_length=1, max_length=200)
    skus: list[str] = Field(min_length=1, max_length=100)
    sites: list[str] = Field(min_length=1, max_length=100)
    from_ms: int = _MS
    to_ms: int = _MS


class PledgeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    grant: str = Field(min_length=1, max_length=32)
    bank_vkey: str = Field(min_length=1, max_length=400)
    sku: str = Field(min_length=1, max_length=200)
    site: str = Field(min_length=1, max_length=200)
    lot: str | None = Field(default=None, min_length=1, max_length=200)
    quantity: int = Field(gt=0, lt=2**32)
    from_ms: int = _MS
    to_ms: int = _MS


class Cosign(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    signature: str = Field(min_length=1, max_length=400)


class PledgePublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    state: str
    seq: int | None
    body: dict[str, Any] = Field(description="The finance.pledge entry body: pledge, signatures")
    text: str = Field(description="The note text both parties sign")
    collateral: dict[str, str | None] = Field(
        description="What the pledge is on: sku, site, lot (for the bank's registry check)"
    )


def _finance(node_log: NodeLog, services: Services) -> Finance:
    keys = node_log.keys()
    return Finance(
        services.engine,
        node_log.store(),
        keys.signers,
        lambda: time.time_ns() // 1_000_000,
        secrets.SystemRandom(),
    )


def _problem(exc: Exception) -> ProblemError:
    if isinstance(exc, PledgeRefusedError):
        return ProblemError(409, "pledge-refused", str(exc), title="Pledge refused")
    if isinstance(exc, RegistryUnavailableError):
        return ProblemError(502, "registry-unavailable", str(exc)[:500], title="Bank unreachable")
    if isinstance(exc, FinanceNotFoundError):
        return ProblemError(404, "finance-not-found", str(exc), title="Not found")
    return ProblemError(422, "finance", str(exc)[:500], title="Financing request refused")


_ERRORS = (FinanceError, GrantError, LedgerError)


def _public(fin: Finance, pledge_id: str) -> PledgePublic:
    signed, state, seq = fin.pledge(pledge_id)
    c = fin.collateral_of(pledge_id)
    return PledgePublic(
        id=signed.pledge.id,
        state=state,
        seq=seq,
        body=signed.to_body(),
        text=signed.pledge.note_text(),
        collateral={"sku": c.sku, "site": c.site, "lot": c.lot},
    )


@router.post("/grants", status_code=201, responses=problem_responses(401, 403, 422))
def create_grant(
    body: Annotated[FinanceGrantCreate, Body()],
    _who: Owner,
    services: ServicesDep,
    node_log: NodeLogDep,
) -> dict[str, Any]:
    """Grant a bank access to SKUs and sites for a period (logged as ids and hashes)."""
    try:
        grant, record, seq = _finance(node_log, services).grant(
            bank=body.bank, skus=body.skus, sites=body.sites, from_ms=body.from_ms, to_ms=body.to_ms
        )
    except _ERRORS as exc:
        raise _problem(exc) from None
    return {"grant": grant.to_json(), "entry": seq, "record": record.to_body()}


@router.post("/pledges", status_code=201, responses=problem_responses(401, 403, 404, 422))
def create_pledge(
    body: Annotated[PledgeCreate, Body()],
    _who: Owner,
    services: ServicesDep,
    node_log: NodeLogDep,
) -> PledgePublic:
    """A pledge signed by this node, for the bank to countersign."""
    fin = _finance(node_log, services)
    try:
        signed = fin.request_pledge(
            grant_id=body.grant,
            bank_vkey=body.bank_vkey,
            sku=body.sku,
            site=body.site,
            lot=body.lot,
            quantity=body.quantity,
            from_ms=body.from_ms,
            to_ms=body.to_ms,
        )
        return _public(fin, signed.pledge.id)
    except _ERRORS as exc:
        raise _problem(exc) from None


def _may_see(principal: Principal, bank: str) -> None:
    if principal.role in (Role.ADMIN, Role.OPERATOR):
        return
    if principal.role is Role.BANK and principal.name == bank:
        return
    raise ProblemError(403, "forbidden", "this pledge belongs to another bank", title="Forbidden")


_PledgeId = Annotated[str, Path(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")]


@router.get("/pledges/{pledge_id}", responses=problem_responses(401, 403, 404))
def get_pledge(
    pledge_id: _PledgeId, who: CurrentPrincipal, services: ServicesDep, node_log: NodeLogDep
) -> PledgePublic:
    """The pledge, its state and (once logged) its entry index."""
    fin = _finance(node_log, services)
    try:
        found = _public(fin, pledge_id)
    except _ERRORS as exc:
        raise _problem(exc) from None
    _may_see(who, str(found.body["pledge"]["bank"]))
    return found


@router.post(
    "/pledges/{pledge_id}/cosign",
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def cosign_pledge(
    pledge_id: _PledgeId,
    body: Annotated[Cosign, Body()],
    who: CurrentPrincipal,
    services: ServicesDep,
    node_log: NodeLogDep,
) -> PledgePublic:
    """The bank's signature: the pledge is logged if the stock covers every active pledge."""
    fin = _finance(node_log, services)
    try:
        signed, _state, _seq = fin.pledge(pledge_id)
        if who.role is not Role.BANK or who.name != signed.pledge.bank:
            raise ProblemError(
                403, "forbidden", "only the pledge's bank co-signs", title="Forbidden"
            )
        fin.complete_pledge(pledge_id, body.signature)
        return _public(fin, pledge_id)
    except _ERRORS as exc:
        raise _problem(exc) from None


@router.get("/registry", responses=problem_responses(401, 403, 422))
def registry(
    key: Annotated[list[str], Query(min_length=1, max_length=120)],
    _who: Reader,
    services: ServicesDep,
    node_log: NodeLogDep,
) -> dict[str, Any]:
    """Pledges of this node's log carrying any of the registry keys (no terms)."""
    fin = _finance(node_log, services)
    try:
        hits = registry_lookup(fin.logged_pledges(), key)
    except _ERRORS as exc:
        raise _problem(exc) from None
    return {"borrower": fin.origin, "pledges": [h.to_json() for h in hits]}


@router.get(
    "/bundle",
    responses={**problem_responses(401, 403, 422), 200: {"content": {_BUNDLE_TYPE: {}}}},
    response_class=Response,
)
def bundle(
    *,
    bank: Annotated[str, Query(min_length=1, max_length=200)],
    from_ms: Annotated[int, Query(ge=0, lt=2**53)],
    to_ms: Annotated[int, Query(ge=0, lt=2**53)],
    who: CurrentPrincipal,
    services: ServicesDep,
    node_log: NodeLogDep,
) -> Response:
    """The financing evidence bundle for ``bank`` over the period."""
    _may_see(who, bank)
    fin = _finance(node_log, services)
    try:
        fin.catch_up()  # proofs the coverage worker has not logged yet (usually none)
        data = fin.export(
            bank=bank, from_ms=from_ms, to_ms=to_ms, vkeys=list(node_log.keys().history)
        )
    except _ERRORS as exc:
        raise _problem(exc) from None
    return Response(data, media_type=_BUNDLE_TYPE)


_Key = Annotated[
    list[str], Query(min_length=1, max_length=120, description="Blinded collateral keys (hex)")
]
Banker = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OPERATOR, Role.BANK))]


def _registry(node_log: NodeLog) -> BankRegistry:
    keys = node_log.keys()
    return BankRegistry(node_log.store(), keys.signers, lambda: time.time_ns() // 1_000_000)


@router.get(
    "/collateral",
    responses={**problem_responses(401, 403, 422), 200: {"content": {_BUNDLE_TYPE: {}}}},
    response_class=Response,
)
def collateral(key: _Key, _who: Banker, node_log: NodeLogDep) -> Response:
    """This bank's registry records on the keys, with evidence from its own log."""
    try:
        data = _registry(node_log).answer(key, list(node_log.keys().history))
    except _ERRORS as exc:
        raise _problem(exc) from None
    return Response(data, media_type=_BUNDLE_TYPE)


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pledge: str = Field(pattern="^[0-9a-f]{32}$")


@router.post(
    "/collateral/release", status_code=201, responses=problem_responses(401, 403, 404, 422)
)
def release(body: Annotated[Release, Body()], _who: Owner, node_log: NodeLogDep) -> dict[str, Any]:
    """Log that the pledge no longer holds its collateral (the loan ended)."""
    try:
        done = _registry(node_log).release_pledge(body.pledge)
    except _ERRORS as exc:
        raise _problem(exc) from None
    return {"pledge": body.pledge, "entries": done}


REGISTRY_KEY_FILE = "finance-registry.key"


class CollateralIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku: str = Field(min_length=1, max_length=200)
    site: str = Field(min_length=1, max_length=200)
    lot: str | None = Field(default=None, min_length=1, max_length=200)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    request: dict[str, Any] = Field(description="The finance.pledge body the borrower signed")
    collateral: CollateralIn


def _network_key(services: Services) -> bytes:
    path = services.settings.home / REGISTRY_KEY_FILE
    try:
        key = bytes.fromhex(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != 32:
        raise ProblemError(
            409,
            "registry-key-missing",
            "this node has no network registry key (scnode finance registry-key)",
            title="No registry key",
        )
    return key


@router.post("/collateral/review", status_code=201, responses=problem_responses(401, 403, 409, 422))
def review(
    body: Annotated[ReviewIn, Body()], _who: Owner, services: ServicesDep, node_log: NodeLogDep
) -> dict[str, Any]:
    """Vet a pledge request with the network's bank registries; sign it if it hides nothing."""
    network_key = _network_key(services)
    keys = node_log.keys()
    try:
        signed = SignedPledge.from_body(body.request)
        vetted = vet_request(
            _registry(node_log),
            services.engine,
            signer=keys.active,
            vkeys=list(keys.history),
            network_key=network_key,
            signed=signed,
            collateral=Collateral(body.collateral.sku, body.collateral.site, body.collateral.lot),
        )
    except DoublePledgeError as exc:
        raise ProblemError(
            409, "double-pledge", str(exc), title="Collateral already pledged"
        ) from None
    except _ERRORS as exc:
        raise _problem(exc) from None
    return {
        "pledge": signed.pledge.id,
        "key": vetted.review.key,
        "asked": vetted.asked,
        "others": [{"bank": b, "pledge": p} for b, p in vetted.review.others],
        "entry": vetted.seq,
        "signature": keys.active.sign_line(signed.pledge.note_text()).rstrip("\n"),
    }
