"""The peer registry over the API (admin only)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from node.auth.roles import Role
from tests.node.conftest import PeerIdentity, Tokens

# HTTP behaviour that no database backend changes: SQLite only, to keep the suite fast.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_add_list_get_remove(
    client: TestClient, tokens: Tokens, peer_identity: PeerIdentity
) -> None:
    admin = tokens.header(Role.ADMIN)
    body = {"url": "https://alpha.example:8470/", "vkey": peer_identity.vkey, "role": "partner"}
    r = client.post("/v1/peers", json=body, headers=admin)
    assert r.status_code == 201, r.text
    peer = r.json()
    assert peer["url"] == "https://alpha.example:8470"
    assert peer["keyid"] == peer_identity.keyid
    assert (peer["role"], peer["status"]) == ("partner", "active")
    assert client.post("/v1/peers", json=body, headers=admin).status_code == 409
    assert [p["id"] for p in client.get("/v1/peers", headers=admin).json()] == [peer["id"]]
    assert peer.pop("ledger_index") is None  # this node has no ledger (no `scnode init`)
    assert client.get(f"/v1/peers/{peer['id']}", headers=admin).json() == peer
    removed = client.delete(f"/v1/peers/{peer['id']}", headers=admin).json()
    assert removed["status"] == "removed"
    assert client.get("/v1/peers", headers=admin).json() == []
    listed = client.get("/v1/peers", params={"include_removed": True}, headers=admin).json()
    assert [p["status"] for p in listed] == ["removed"]
    assert client.delete(f"/v1/peers/{peer['id']}", headers=admin).status_code == 404
    readded = client.post("/v1/peers", json=body, headers=admin)
    assert readded.status_code == 201
    assert readded.json()["id"] == peer["id"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"url": "ftp://alpha.example"}, 400),
        ({"url": "https://u:p@alpha.example"}, 400),
        ({"url": "alpha.example"}, 400),
        ({"vkey": "garbage"}, 400),
        ({"role": "admin"}, 400),
        ({"role": "operator"}, 400),
        ({"role": "king"}, 422),
        ({"vkey": None}, 422),
    ],
)
def test_bad_peer_is_refused(
    client: TestClient,
    tokens: Tokens,
    peer_identity: PeerIdentity,
    change: dict[str, object],
    status: int,
) -> None:
    body: dict[str, object] = {
        "url": "https://alpha.example",
        "vkey": peer_identity.vkey,
        "role": "bank",
    }
    body.update(change)
    r = client.post("/v1/peers", json=body, headers=tokens.header(Role.ADMIN))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"


@SQLITE_ONLY
@pytest.mark.parametrize("role", [Role.OPERATOR, Role.PARTNER, Role.AUDITOR, Role.BANK])
def test_non_admin_is_forbidden(client: TestClient, tokens: Tokens, role: Role) -> None:
    assert client.get("/v1/peers", headers=tokens.header(role)).status_code == 403


@SQLITE_ONLY
def test_unknown_peer_is_404(client: TestClient, tokens: Tokens) -> None:
    r = client.get("/v1/peers/0123456789abcdef", headers=tokens.header(Role.ADMIN))
    assert r.status_code == 404
    assert client.get("/v1/peers/xyz", headers=tokens.header(Role.ADMIN)).status_code == 422
