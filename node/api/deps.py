"""Typed FastAPI dependencies: services, database connection, the caller."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from node.api.problems import ProblemError
from node.api.services import Services
from node.auth.errors import (
    AuthenticationError,
    PermissionDeniedError,
    SignatureVerificationError,
)
from node.auth.nonces import remember_nonce
from node.auth.principal import Principal
from node.auth.roles import Role
from node.auth.signatures import parse_signature, verify_signature
from node.auth.tokens import authenticate_token
from node.peers.registry import PeerRegistry
from node.settings import Settings

__all__ = [
    "ConnectionDep",
    "CurrentPeer",
    "CurrentPrincipal",
    "ServicesDep",
    "SettingsDep",
    "require_role",
]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_connection(services: ServicesDep) -> Iterator[Connection]:
    """A connection in a transaction, committed when the handler returns normally."""
    with services.engine.begin() as conn:
        yield conn


ConnectionDep = Annotated[Connection, Depends(get_connection)]


# Larger bodies are refused before they are buffered for a signature check.
MAX_BODY_BYTES = 64 * 1024 * 1024


async def request_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ProblemError(413, "too-large", "request body is too large", title="Too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProblemError(413, "too-large", "request body is too large", title="Too large")
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette's cache: later readers get the same bytes
    return body


def target_uri(request: Request, settings: Settings) -> str:
    """The ``@target-uri`` of a request as its signer saw it."""
    if not settings.public_url:
        return str(request.url)
    query = request.url.query
    return settings.public_url + request.url.path + (f"?{query}" if query else "")


def _peer_principal(request: Request, body: bytes, services: Services) -> Principal:
    parsed = parse_signature(
        request.headers.get("signature-input"), request.headers.get("signature")
    )
    with services.engine.connect() as conn:
        peer = PeerRegistry(conn).by_keyid(parsed.keyid)
    if peer is None:
        raise SignatureVerificationError("unknown peer key")
    now = int(time.time())
    tolerance = services.settings.signature_tolerance_s
    verify_signature(
        parsed,
        peer.key.verifier(),
        method=request.method,
        target_uri=target_uri(request, services.settings),
        digest_header=request.headers.get("content-digest"),
        body=body,
        now=now,
        tolerance_s=tolerance,
    )
    if peer.status != "active":
        raise PermissionDeniedError("peer has been removed")
    remember_nonce(
        services.engine,
        parsed.keyid,
        parsed.nonce,
        expires_at=parsed.created + tolerance + 1,
        now=now,
    )
    return Principal(kind="peer", id=peer.id, name=peer.key.name, role=peer.role)


def get_peer(
    request: Request, body: Annotated[bytes, Depends(request_body)], services: ServicesDep
) -> Principal:
    """The peer that signed this request (RFC 9421), or 401/403."""
    return _peer_principal(request, body, services)


def get_principal(
    request: Request, body: Annotated[bytes, Depends(request_body)], services: ServicesDep
) -> Principal:
    """The caller: a bearer token holder, else a signing peer, else 401."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("Authorization must be 'Bearer <token>'")
        with services.engine.connect() as conn:
            return authenticate_token(conn, token.strip())
    if request.headers.get("signature-input") is not None:
        return _peer_principal(request, body, services)
    raise AuthenticationError("authentication required (Bearer token or peer signature)")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
CurrentPeer = Annotated[Principal, Depends(get_peer)]


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only callers holding one of ``roles``."""
    allowed = frozenset(roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise PermissionDeniedError(f"this operation needs role {' or '.join(sorted(allowed))}")
        return principal

    return check
