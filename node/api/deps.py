"""Typed FastAPI dependencies: services, database connection, the caller."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

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
from node.disclosure import Policy, PolicyCache, PolicyError
from node.peers.registry import PeerRegistry
from node.settings import Settings

__all__ = [
    "TOKEN_CACHE_TTL_S",
    "ConnectionDep",
    "CurrentPeer",
    "CurrentPrincipal",
    "PolicyDep",
    "ServicesDep",
    "SettingsDep",
    "TokenCache",
    "disclosure_policy",
    "forget_token",
    "require_role",
]


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def``
# dependency in a worker thread, a hop that costs more than the work itself.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(services: ServicesDep) -> Settings:
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


async def get_peer(
    request: Request, body: Annotated[bytes, Depends(request_body)], services: ServicesDep
) -> Principal:
    """The peer that signed this request (RFC 9421), or 401/403."""
    return await run_in_threadpool(_peer_principal, request, body, services)


# A valid token's principal is reused for this long without a database query. A
# token revoked through this process's API stops working at once (forget_token);
# one revoked elsewhere (another worker, the CLI) within this many seconds.
TOKEN_CACHE_TTL_S = 5.0
TOKEN_CACHE_MAX = 10_000


class TokenCache:
    """Principals of recently authenticated tokens, keyed by the token's SHA-256.

    Only successful authentications are cached (never a miss or a refusal), each
    for ``ttl_s`` seconds; the token itself is never kept."""

    def __init__(self, ttl_s: float = TOKEN_CACHE_TTL_S, max_entries: int = TOKEN_CACHE_MAX):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[bytes, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(token: str) -> bytes:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()

    def get(self, key: bytes, now: float) -> Principal | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[1] <= now:
                del self._entries[key]
                return None
            return found[0]

    def put(self, key: bytes, principal: Principal, now: float) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (principal, now + self.ttl_s)

    def forget(self, token_id: str) -> None:
        """Drop every cached principal of token ``token_id``."""
        with self._lock:
            stale = [k for k, (p, _) in self._entries.items() if p.id == token_id]
            for k in stale:
                del self._entries[k]


def _token_cache(request: Request) -> TokenCache:
    state = request.app.state
    cache: TokenCache | None = getattr(state, "token_cache", None)
    if cache is None:
        cache = TokenCache()
        state.token_cache = cache
    return cache


def forget_token(request: Request, token_id: str) -> None:
    """After a revocation: this process stops accepting ``token_id`` at once."""
    _token_cache(request).forget(token_id)


def _authenticate(services: Services, token: str) -> Principal:
    with services.engine.connect() as conn:
        return authenticate_token(conn, token)


async def _bearer_principal(request: Request, token: str, services: Services) -> Principal:
    """A cached principal without leaving the event loop, else one database lookup
    in a worker thread."""
    cache = _token_cache(request)
    key = TokenCache.key(token)
    now = time.monotonic()
    cached = cache.get(key, now)
    if cached is not None:
        return cached
    principal = await run_in_threadpool(_authenticate, services, token)
    cache.put(key, principal, now)
    return principal


async def get_principal(
    request: Request, body: Annotated[bytes, Depends(request_body)], services: ServicesDep
) -> Principal:
    """The caller: a bearer token holder, else a signing peer, else 401."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("Authorization must be 'Bearer <token>'")
        return await _bearer_principal(request, token.strip(), services)
    if request.headers.get("signature-input") is not None:
        return await run_in_threadpool(_peer_principal, request, body, services)
    raise AuthenticationError("authentication required (Bearer token or peer signature)")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def _policy_cache(request: Request, services: Services) -> PolicyCache:
    state = request.app.state
    cache: PolicyCache | None = getattr(state, "policy_cache", None)
    if cache is None:
        cache = PolicyCache(services.engine, services.settings.home)
        state.policy_cache = cache
    return cache


async def disclosure_policy(request: Request, services: ServicesDep) -> Policy:
    """The disclosure policy in force (cached for ``POLICY_CACHE_TTL_S`` seconds);
    503 if the home folder's policy file is malformed."""
    cache = _policy_cache(request, services)
    policy = cache.cached()
    if policy is not None:
        return policy
    try:
        return await run_in_threadpool(cache.reload)
    except PolicyError:
        raise ProblemError(
            503,
            "disclosure-policy",
            "the node's disclosure policy file is invalid",
            title="Disclosure policy unavailable",
        ) from None


PolicyDep = Annotated[Policy, Depends(disclosure_policy)]
CurrentPeer = Annotated[Principal, Depends(get_peer)]


def require_role(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only callers holding one of ``roles``."""
    allowed = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise PermissionDeniedError(f"this operation needs role {' or '.join(sorted(allowed))}")
        return principal

    return check
