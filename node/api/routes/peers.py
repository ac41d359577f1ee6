"""The peer registry (admin) and the signed peer greeting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from node.api.deps import ConnectionDep, CurrentPeer, ServicesDep, SettingsDep, require_role
from node.api.membership import PEER_ADD_KIND, PEER_REMOVE_KIND, record_membership
from node.api.node_log import NodeLogDep
from node.api.problems import problem_responses
from node.api.schemas import PeerChange, PeerCreate, PeerHello, PeerPublic
from node.api.transactions import write_transaction
from node.auth.principal import Principal
from node.auth.roles import Role
from node.peers.registry import PeerRegistry

__all__ = ["router"]

router = APIRouter(prefix="/v1/peers", tags=["peers"])
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
PeerId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="Peer id")]


@router.post(
    "",
    status_code=201,
    response_model=PeerChange,
    responses=problem_responses(400, 401, 403, 409, 422),
)
def add(body: PeerCreate, services: ServicesDep, node_log: NodeLogDep, _admin: Admin) -> PeerChange:
    """Register a peer node by URL, verifier key and role (recorded as a ``peer.add`` entry)."""
    with write_transaction(services.engine) as conn:
        peer = PeerRegistry(conn).add(url=body.url, vkey=body.vkey, role=body.role)
    return PeerChange.of(peer, record_membership(node_log, PEER_ADD_KIND, peer))


@router.get("", response_model=list[PeerPublic], responses=problem_responses(401, 403, 422))
def list_(conn: ConnectionDep, _admin: Admin, include_removed: bool = False) -> list[PeerPublic]:
    """Registered peers (active ones unless ``include_removed``)."""
    registry = PeerRegistry(conn)
    return [PeerPublic.of(p) for p in registry.list(include_removed=include_removed)]


@router.post("/hello", response_model=PeerHello, responses=problem_responses(400, 401, 403, 422))
def hello(peer: CurrentPeer, settings: SettingsDep) -> PeerHello:
    """A signed request from a peer: checks that both sides know each other."""
    return PeerHello.of(settings.node_name, peer)


@router.get(
    "/{peer_id}", response_model=PeerPublic, responses=problem_responses(401, 403, 404, 422)
)
def get(peer_id: PeerId, conn: ConnectionDep, _admin: Admin) -> PeerPublic:
    return PeerPublic.of(PeerRegistry(conn).get(peer_id))


@router.delete(
    "/{peer_id}", response_model=PeerChange, responses=problem_responses(401, 403, 404, 422)
)
def remove(
    peer_id: PeerId, services: ServicesDep, node_log: NodeLogDep, _admin: Admin
) -> PeerChange:
    """Remove a peer: its signed requests are refused from now on (a ``peer.remove`` entry)."""
    with write_transaction(services.engine) as conn:
        peer = PeerRegistry(conn).remove(peer_id)
    return PeerChange.of(peer, record_membership(node_log, PEER_REMOVE_KIND, peer))
