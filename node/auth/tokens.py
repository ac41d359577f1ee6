"""API tokens for people and systems: create, authenticate, list, revoke.

A token is ``scn_<id>_<secret>``: a public 8-byte id (to find the row) and a
256-bit secret from :mod:`secrets`. Only SHA-256 of the whole token is stored. A
fast unsalted hash is the right tool here: the secret has 256 bits of entropy, so
no dictionary or brute-force search of the hash is feasible, and a slow password
hash would only cost time on every request. The stored hash is compared with
:func:`hmac.compare_digest`, in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select, update

from node.auth.errors import AuthenticationError
from node.auth.principal import Principal
from node.auth.roles import Role
from node.auth.tables import api_tokens

__all__ = [
    "IssuedToken",
    "TokenInfo",
    "authenticate_token",
    "create_token",
    "list_tokens",
    "revoke_token",
]

TOKEN_PREFIX = "scn_"  # noqa: S105  (a prefix, not a secret)
ID_BYTES = 8
SECRET_BYTES = 32  # 256 bits
_TOKEN_RE = re.compile(r"^scn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedToken:
    info: TokenInfo
    token: str  # shown once, never stored


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def create_token(
    conn: Connection, *, role: Role, name: str, now: datetime | None = None
) -> IssuedToken:
    """Create a token; the caller commits and shows ``token`` exactly once."""
    if not name or len(name) > 200:
        raise ValueError("token name must be 1-200 characters")
    token_id = secrets.token_hex(ID_BYTES)
    token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    created = now or datetime.now(UTC)
    conn.execute(
        insert(api_tokens).values(
            id=token_id, name=name, role=role.value, token_hash=_digest(token), created_at=created
        )
    )
    return IssuedToken(TokenInfo(token_id, name, role, created, None), token)


def authenticate_token(conn: Connection, token: str) -> Principal:
    """The principal of a valid, unrevoked token, else :class:`AuthenticationError`."""
    match = _TOKEN_RE.fullmatch(token)
    if match is None:
        raise AuthenticationError("malformed API token")
    row = conn.execute(
        select(
            api_tokens.c.name, api_tokens.c.role, api_tokens.c.token_hash, api_tokens.c.revoked_at
        ).where(api_tokens.c.id == match.group(1))
    ).first()
    # Compare even when the id is unknown, so timing does not reveal which ids exist.
    stored = row.token_hash if row is not None else "0" * 64
    if not hmac.compare_digest(stored.encode(), _digest(token).encode()) or row is None:
        raise AuthenticationError("invalid API token")
    if row.revoked_at is not None:
        raise AuthenticationError("API token has been revoked")
    return Principal(kind="token", id=match.group(1), name=row.name, role=Role(row.role))


def list_tokens(conn: Connection) -> list[TokenInfo]:
    rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id))
    return [
        TokenInfo(r.id, r.name, Role(r.role), _utc(r.created_at), _utc_or_none(r.revoked_at))
        for r in rows
    ]


def revoke_token(conn: Connection, token_id: str, *, now: datetime | None = None) -> TokenInfo:
    """Revoke a token by id; ``KeyError`` if there is no such token."""
    conn.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )
    for info in list_tokens(conn):
        if info.id == token_id:
            return info
    raise KeyError(token_id)


def _utc(value: datetime) -> datetime:
    # SQLite returns naive datetimes; everything stored here is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
