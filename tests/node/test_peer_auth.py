"""Signed node-to-node requests against the app: only known, active peers, once."""

from __future__ import annotations

import itertools
import time

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from node.api.transactions import write_transaction
from node.app import make_engine
from node.auth.roles import Role
from node.peers.client import SignatureAuth, keyid_of, private_key_from_skey
from node.peers.registry import PeerRegistry
from node.settings import Settings
from tests.node.conftest import PeerIdentity

# HTTP behaviour that no database backend changes: SQLite only, to keep the suite fast.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HELLO = "/v1/peers/hello"


def _register(settings: Settings, peer: PeerIdentity, role: Role = Role.PARTNER) -> str:
    engine = make_engine(settings.database_url)
    with write_transaction(engine) as conn:
        peer_id = PeerRegistry(conn).add(url="https://alpha.example", vkey=peer.vkey, role=role).id
    engine.dispose()
    return peer_id


def _auth(peer: PeerIdentity, **kw: object) -> SignatureAuth:
    return SignatureAuth(peer.key, peer.keyid, **kw)  # type: ignore[arg-type]


def _refused(r: httpx.Response, status: int, needle: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert needle in r.json()["detail"]
    if status == 401:
        assert r.headers["www-authenticate"] == "Signature"


def test_keyid_matches_vkey(peer_identity: PeerIdentity) -> None:
    assert keyid_of(peer_identity.name, peer_identity.key) == peer_identity.keyid


def test_known_peer_is_admitted(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    peer_id = _register(settings, peer_identity, Role.BANK)
    r = client.post(HELLO, json={"ping": 1}, auth=_auth(peer_identity))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "node_name": "test-node",
        "peer_id": peer_id,
        "peer_name": peer_identity.name,
        "role": "bank",
    }
    # An empty body is signed too (digest of b"").
    assert client.post(HELLO, auth=_auth(peer_identity)).status_code == 200


def test_unsigned_request_is_refused(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    _register(settings, peer_identity)
    _refused(client.post(HELLO, json={}), 401, "not signed")


@SQLITE_ONLY
def test_token_is_not_a_peer_signature(client: TestClient, tokens: object) -> None:
    from tests.node.conftest import Tokens

    assert isinstance(tokens, Tokens)
    _refused(client.post(HELLO, headers=tokens.header(Role.ADMIN)), 401, "not signed")


def test_unknown_peer_is_refused(client: TestClient, peer_identity: PeerIdentity) -> None:
    _refused(client.post(HELLO, json={}, auth=_auth(peer_identity)), 401, "unknown peer")


def test_forged_signature_is_refused(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    _register(settings, peer_identity)
    forger = SignatureAuth(Ed25519PrivateKey.generate(), peer_identity.keyid)
    _refused(client.post(HELLO, json={}, auth=forger), 401, "does not verify")


def test_replayed_request_is_refused(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    _register(settings, peer_identity)
    request = client.build_request("POST", HELLO, json={"n": 1})
    signed = next(_auth(peer_identity).auth_flow(request))
    assert client.send(signed).status_code == 200
    _refused(client.send(signed), 401, "replayed")
    # Same nonce, fresh timestamp and signature: still a replay.
    again = _auth(
        peer_identity, nonce=lambda: signed.headers["signature-input"].split('nonce="')[1][:24]
    )
    _refused(client.post(HELLO, json={"n": 1}, auth=again), 401, "replayed")


def test_wrong_body_is_refused(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    _register(settings, peer_identity)
    request = client.build_request("POST", HELLO, content=b'{"qty": 1}')
    signed = next(_auth(peer_identity).auth_flow(request))
    tampered = client.build_request("POST", HELLO, content=b'{"qty": 9}', headers=signed.headers)
    _refused(client.send(tampered), 401, "Content-Digest does not match")


@SQLITE_ONLY
def test_wrong_target_is_refused(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    _register(settings, peer_identity)
    request = client.build_request("POST", "/v1/peers/other", content=b"{}")
    signed = next(_auth(peer_identity).auth_flow(request))
    moved = client.build_request("POST", HELLO, content=b"{}", headers=signed.headers)
    _refused(client.send(moved), 401, "does not verify")


@SQLITE_ONLY
@pytest.mark.parametrize(("offset", "needle"), [(-310, "expired"), (310, "future")])
def test_stale_or_future_signature_is_refused(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity, offset: int, needle: str
) -> None:
    _register(settings, peer_identity)
    auth = _auth(peer_identity, clock=lambda: time.time() + offset)
    _refused(client.post(HELLO, json={}, auth=auth), 401, needle)


def test_removed_peer_is_forbidden(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    peer_id = _register(settings, peer_identity)
    assert client.post(HELLO, auth=_auth(peer_identity)).status_code == 200
    engine = make_engine(settings.database_url)
    with write_transaction(engine) as conn:
        PeerRegistry(conn).remove(peer_id)
    engine.dispose()
    _refused(client.post(HELLO, auth=_auth(peer_identity)), 403, "removed")


@SQLITE_ONLY
def test_peer_cannot_use_admin_routes(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    _register(settings, peer_identity)
    r = client.get("/v1/peers", auth=_auth(peer_identity))
    assert r.status_code == 403


def test_distinct_nonces_are_all_accepted(
    client: TestClient, settings: Settings, peer_identity: PeerIdentity
) -> None:
    _register(settings, peer_identity)
    counter = itertools.count()
    auth = _auth(peer_identity, nonce=lambda: f"nonce-{next(counter):018d}")
    assert [client.post(HELLO, auth=auth).status_code for _ in range(5)] == [200] * 5


def test_node_key_from_ledger_signs_requests(client: TestClient, settings: Settings) -> None:
    from ledger import NoteSigner

    signer = NoteSigner.generate("beta.example/node")
    engine = make_engine(settings.database_url)
    with write_transaction(engine) as conn:
        PeerRegistry(conn).add(url="https://beta.example", vkey=signer.vkey, role=Role.PARTNER)
    engine.dispose()
    name, key = private_key_from_skey(signer.skey())
    assert keyid_of(name, key) == "+".join(signer.vkey.split("+", 2)[:2])
    r = client.post(HELLO, json={}, auth=SignatureAuth(key, keyid_of(name, key)))
    assert r.status_code == 200, r.text
    assert r.json()["peer_name"] == "beta.example/node"
    for bad in ("PRIVATE+KEY+x", "PUBLIC+KEY+a+b+c", "PRIVATE+KEY+a+00000000+!!!"):
        with pytest.raises(ValueError, match="C2SP private key"):
            private_key_from_skey(bad)
