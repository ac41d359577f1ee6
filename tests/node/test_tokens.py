"""API tokens: issued once, stored hashed, checked in constant time, roles enforced."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from node.api.transactions import write_transaction
from node.app import make_engine
from node.auth.errors import AuthenticationError
from node.auth.roles import Role
from node.auth.tables import api_tokens
from node.auth.tokens import authenticate_token, create_token, list_tokens, revoke_token
from node.settings import Settings
from tests.node.conftest import Tokens

# HTTP behaviour that no database backend changes: SQLite only, to keep the suite fast.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_token_is_random_and_stored_only_as_sha256(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with write_transaction(engine) as conn:
        a = create_token(conn, role=Role.OPERATOR, name="erp-import")
        b = create_token(conn, role=Role.OPERATOR, name="erp-import")
    with engine.connect() as conn:
        rows = conn.execute(select(api_tokens)).all()
        principal = authenticate_token(conn, a.token)
    engine.dispose()
    assert a.token != b.token
    assert len(a.token) == len("scn_") + 16 + 1 + 43
    stored = {r.id: r.token_hash for r in rows}
    assert stored[a.info.id] == hashlib.sha256(a.token.encode()).hexdigest()
    assert all(a.token not in str(tuple(r)) for r in rows)
    assert (principal.kind, principal.role, principal.name) == (
        "token",
        Role.OPERATOR,
        "erp-import",
    )


@SQLITE_ONLY
@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # last secret character
        lambda t: t[:4] + ("0" if t[4] != "0" else "1") + t[5:],  # id character
        lambda t: t + "x",
        lambda t: t.upper(),
        lambda t: "",
        lambda t: t.replace("scn_", "tok_"),
    ],
)
def test_tampered_tokens_are_refused(settings: Settings, mutate: object) -> None:
    assert callable(mutate)
    engine = make_engine(settings.database_url)
    with write_transaction(engine) as conn:
        issued = create_token(conn, role=Role.ADMIN, name="n")
    with engine.connect() as conn, pytest.raises(AuthenticationError):
        authenticate_token(conn, mutate(issued.token))
    engine.dispose()


def test_revoked_token_is_refused_and_listed(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with write_transaction(engine) as conn:
        issued = create_token(conn, role=Role.BANK, name="bank-x")
        revoked = revoke_token(conn, issued.info.id)
        assert revoked.revoked_at is not None
        with pytest.raises(KeyError):
            revoke_token(conn, "ffffffffffffffff")
        with pytest.raises(AuthenticationError, match="revoked"):
            authenticate_token(conn, issued.token)
        assert [t.id for t in list_tokens(conn)] == [issued.info.id]
    engine.dispose()


@SQLITE_ONLY
def test_api_requires_a_token(client: TestClient) -> None:
    r = client.get("/v1/tokens")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.get("/v1/tokens", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401
    r = client.get("/v1/tokens", headers={"Authorization": "Bearer scn_nope"})
    assert r.status_code == 401


@SQLITE_ONLY
@pytest.mark.parametrize("role", [Role.OPERATOR, Role.PARTNER, Role.AUDITOR, Role.BANK])
def test_only_admin_manages_tokens(client: TestClient, tokens: Tokens, role: Role) -> None:
    r = client.get("/v1/tokens", headers=tokens.header(role))
    assert r.status_code == 403
    assert r.json()["type"].endswith("/forbidden")
    r = client.post("/v1/tokens", json={"role": "admin", "name": "x"}, headers=tokens.header(role))
    assert r.status_code == 403


def test_admin_creates_uses_and_revokes_token(client: TestClient, tokens: Tokens) -> None:
    admin = tokens.header(Role.ADMIN)
    r = client.post("/v1/tokens", json={"role": "admin", "name": "second-admin"}, headers=admin)
    assert r.status_code == 201
    issued = r.json()
    assert issued["role"] == "admin"
    new = {"Authorization": f"Bearer {issued['token']}"}
    listed = client.get("/v1/tokens", headers=new)
    assert listed.status_code == 200
    assert issued["token"] not in listed.text
    assert {t["name"] for t in listed.json()} >= {"second-admin", "admin-t"}
    assert client.delete(f"/v1/tokens/{issued['id']}", headers=admin).json()["revoked_at"]
    assert client.get("/v1/tokens", headers=new).status_code == 401
    assert client.delete("/v1/tokens/ffffffffffffffff", headers=admin).status_code == 404
    assert client.delete("/v1/tokens/not-an-id", headers=admin).status_code == 422
