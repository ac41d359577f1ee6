"""Which peers this node knows: add, list, look up by key, remove.

Removing a peer keeps its row with ``status="removed"``, so a removed peer's
requests are refused as such (403) rather than as unknown (401).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy import Connection, insert, select, update

from node.auth.roles import PEER_ROLES, Role
from node.auth.vkey import PeerKey, parse_vkey
from node.peers.tables import peers

__all__ = ["Peer", "PeerConflictError", "PeerError", "PeerNotFoundError", "PeerRegistry"]

PeerStatus = Literal["active", "removed"]


class PeerError(ValueError):
    """Invalid peer data (bad URL, vkey or role)."""


class PeerNotFoundError(KeyError):
    """No peer with that id or key."""


class PeerConflictError(ValueError):
    """A peer with that key is already registered."""


@dataclass(frozen=True)
class Peer:
    id: str
    url: str
    vkey: str
    keyid: str
    role: Role
    status: PeerStatus
    added_at: datetime
    removed_at: datetime | None

    @property
    def key(self) -> PeerKey:
        return parse_vkey(self.vkey)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PeerError("peer URL must be an absolute http(s) URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise PeerError("peer URL must not carry credentials, a query or a fragment")
    return url.rstrip("/")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _peer(row: object) -> Peer:
    r = row._mapping  # type: ignore[attr-defined]
    added = _utc(r["added_at"])
    if added is None:  # pragma: no cover - column is NOT NULL
        raise PeerError("peer row without added_at")
    return Peer(
        id=r["id"],
        url=r["url"],
        vkey=r["vkey"],
        keyid=r["keyid"],
        role=Role(r["role"]),
        status=r["status"],
        added_at=added,
        removed_at=_utc(r["removed_at"]),
    )


class PeerRegistry:
    """Peer rows, within the caller's connection and transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *, url: str, vkey: str, role: Role, now: datetime | None = None) -> Peer:
        """Register a peer (or re-activate a removed one with the same key)."""
        if role not in PEER_ROLES:
            raise PeerError(f"peer role must be one of {', '.join(sorted(PEER_ROLES))}")
        try:
            key = parse_vkey(vkey)
        except ValueError as exc:
            raise PeerError(f"invalid vkey: {exc}") from None
        clean_url = check_url(url)
        when = now or datetime.now(UTC)
        existing = self.conn.execute(select(peers).where(peers.c.keyid == key.keyid)).first()
        if existing is not None:
            if existing.status == "active":
                raise PeerConflictError(f"peer {key.keyid} is already registered")
            self.conn.execute(
                update(peers)
                .where(peers.c.id == existing.id)
                .values(
                    url=clean_url, role=role.value, status="active", added_at=when, removed_at=None
                )
            )
            return self.get(existing.id)
        peer_id = secrets.token_hex(8)
        self.conn.execute(
            insert(peers).values(
                id=peer_id,
                url=clean_url,
                vkey=key.vkey,
                keyid=key.keyid,
                role=role.value,
                status="active",
                added_at=when,
                removed_at=None,
            )
        )
        return self.get(peer_id)

    def get(self, peer_id: str) -> Peer:
        row = self.conn.execute(select(peers).where(peers.c.id == peer_id)).first()
        if row is None:
            raise PeerNotFoundError(peer_id)
        return _peer(row)

    def by_keyid(self, keyid: str) -> Peer | None:
        row = self.conn.execute(select(peers).where(peers.c.keyid == keyid)).first()
        return None if row is None else _peer(row)

    def list(self, *, include_removed: bool = False) -> list[Peer]:
        query = select(peers).order_by(peers.c.added_at, peers.c.id)
        if not include_removed:
            query = query.where(peers.c.status == "active")
        return [_peer(r) for r in self.conn.execute(query)]

    def remove(self, peer_id: str, *, now: datetime | None = None) -> Peer:
        peer = self.get(peer_id)
        if peer.status == "removed":
            raise PeerNotFoundError(peer_id)
        self.conn.execute(
            update(peers)
            .where(peers.c.id == peer_id)
            .values(status="removed", removed_at=now or datetime.now(UTC))
        )
        return self.get(peer_id)
