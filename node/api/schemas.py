"""Request and response bodies of the API (frozen pydantic models)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from node.auth.principal import Principal
from node.auth.roles import Role
from node.auth.tokens import TokenInfo
from node.peers.registry import Peer

__all__ = [
    "Health",
    "PeerChange",
    "PeerCreate",
    "PeerHello",
    "PeerPublic",
    "TokenCreate",
    "TokenIssued",
    "TokenPublic",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Health(BaseModel):
    model_config = _FROZEN
    status: Literal["ok"]
    database: Literal["ok"]
    node_name: str


class TokenCreate(BaseModel):
    model_config = _FROZEN
    role: Role
    name: str = Field(min_length=1, max_length=200)


class TokenPublic(BaseModel):
    model_config = _FROZEN
    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: TokenInfo) -> TokenPublic:
        return cls(
            id=info.id,
            name=info.name,
            role=info.role,
            created_at=info.created_at,
            revoked_at=info.revoked_at,
        )


class TokenIssued(TokenPublic):
    token: str = Field(description="The secret token; shown only in this response")


class PeerCreate(BaseModel):
    model_config = _FROZEN
    url: str = Field(max_length=2000, description="Base URL of the peer's node")
    vkey: str = Field(max_length=500, description="The peer's C2SP verifier key")
    role: Role = Field(description="partner, auditor or bank")


class PeerPublic(BaseModel):
    model_config = _FROZEN
    id: str
    url: str
    vkey: str
    keyid: str = Field(description="name+keyid: the keyid of the peer's request signatures")
    role: Role
    status: Literal["active", "removed"]
    added_at: datetime
    removed_at: datetime | None

    @classmethod
    def of(cls, peer: Peer) -> PeerPublic:
        return cls(
            id=peer.id,
            url=peer.url,
            vkey=peer.vkey,
            keyid=peer.keyid,
            role=peer.role,
            status=peer.status,
            added_at=peer.added_at,
            removed_at=peer.removed_at,
        )


class PeerChange(PeerPublic):
    ledger_index: int | None = Field(
        description="Index of the peer.add / peer.remove ledger entry (null: no ledger yet)"
    )

    @classmethod
    def of(cls, peer: Peer, ledger_index: int | None = None) -> PeerChange:
        return cls(**PeerPublic.of(peer).model_dump(), ledger_index=ledger_index)


class PeerHello(BaseModel):
    """How this node sees the signing peer."""

    model_config = _FROZEN
    node_name: str = Field(description="This node's name")
    peer_id: str
    peer_name: str
    role: Role

    @classmethod
    def of(cls, node_name: str, principal: Principal) -> PeerHello:
        return cls(
            node_name=node_name, peer_id=principal.id, peer_name=principal.name, role=principal.role
        )
