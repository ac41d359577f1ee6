"""The bearer-token cache: hits within the TTL only, misses never cached,
revocation through the API effective at once."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from node.api.deps import TOKEN_CACHE_TTL_S, TokenCache
from node.app import make_engine
from node.auth.principal import Principal
from node.auth.roles import Role
from node.auth.tokens import create_token, revoke_token
from node.settings import Settings
from tests.node.conftest import Tokens

P = Principal(kind="token", id="0123456789abcdef", name="t", role=Role.AUDITOR)


def test_entries_expire_after_the_ttl() -> None:
    cache = TokenCache(ttl_s=5.0)
    key = TokenCache.key("scn_x")
    assert cache.get(key, 100.0) is None
    cache.put(key, P, 100.0)
    assert cache.get(key, 104.9) == P
    assert cache.get(TokenCache.key("scn_y"), 104.9) is None
    assert cache.get(key, 105.0) is None  # expired and dropped
    assert cache.get(key, 100.0) is None


def test_forget_drops_every_entry_of_a_token_and_the_size_is_bounded() -> None:
    cache = TokenCache(ttl_s=5.0, max_entries=3)
    other = Principal(kind="token", id="fedcba9876543210", name="o", role=Role.ADMIN)
    cache.put(b"a", P, 0.0)
    cache.put(b"b", other, 0.0)
    cache.forget(P.id)
    assert cache.get(b"a", 1.0) is None
    assert cache.get(b"b", 1.0) == other
    for k in (b"c", b"d", b"e"):
        cache.put(k, other, 0.0)
    assert cache.get(b"e", 1.0) == other
    assert len(cache._entries) <= 3


def test_ttl_is_a_few_seconds() -> None:
    assert 0 < TOKEN_CACHE_TTL_S <= 10


def _revoke_in_database(settings: Settings, token_id: str) -> None:
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            revoke_token(conn, token_id)
    finally:
        engine.dispose()


def test_refusals_are_not_cached_and_expiry_rechecks_the_database(
    app: FastAPI, client: TestClient, settings: Settings, tokens: Tokens
) -> None:
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            issued = create_token(conn, role=Role.ADMIN, name="cached")
    finally:
        engine.dispose()
    header = {"Authorization": f"Bearer {issued.token}"}
    # another last character (one in 16 tokens already ends in "A")
    forged = issued.token[:-1] + ("B" if issued.token[-1] != "B" else "C")
    wrong = {"Authorization": f"Bearer {forged}"}
    cache = TokenCache(ttl_s=3600.0)  # no expiry during the test, however slow the machine
    app.state.token_cache = cache
    assert client.get("/v1/tokens", headers=wrong).status_code == 401
    assert client.get("/v1/tokens", headers=wrong).status_code == 401
    assert client.get("/v1/tokens", headers=header).status_code == 200
    assert cache.get(TokenCache.key(forged), 0.0) is None
    # revoked behind the process's back: served from the cache until the entry expires
    _revoke_in_database(settings, issued.info.id)
    assert client.get("/v1/tokens", headers=header).status_code == 200
    cache.ttl_s = 0.0
    cache.forget(issued.info.id)
    assert client.get("/v1/tokens", headers=header).status_code == 401
    assert client.get("/v1/tokens", headers=header).status_code == 401


def test_revocation_through_the_api_is_immediate(client: TestClient, tokens: Tokens) -> None:
    admin = tokens.header(Role.ADMIN)
    made = client.post("/v1/tokens", json={"role": "admin", "name": "short"}, headers=admin)
    issued = made.json()
    header = {"Authorization": f"Bearer {issued['token']}"}
    for _ in range(3):  # cached now
        assert client.get("/v1/tokens", headers=header).status_code == 200
    assert client.delete(f"/v1/tokens/{issued['id']}", headers=admin).status_code == 200
    assert client.get("/v1/tokens", headers=header).status_code == 401
