"""Hostile input to the witness, inbox and peer-status routes: never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.peers.client import SignatureAuth, keyid_of
from node.peers.registry import PeerRegistry
from node.settings import load_settings
from tests.node.helpers import vkey_of

PEER = "fuzz-peer.example/node"
FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, str]]:
    home: Path = tmp_path_factory.mktemp("witness-fuzz") / "home"
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", "w.example/fuzz"])
    assert made.exit_code == 0, made.output
    settings_ = load_settings(home=home)
    engine = make_engine(settings_.database_url)
    key = Ed25519PrivateKey.generate()
    with engine.begin() as conn:
        admin = create_token(conn, role=Role.ADMIN, name="admin").token
        peer = PeerRegistry(conn).add(
            url="http://127.0.0.1:9", vkey=vkey_of(PEER, key), role=Role.PARTNER
        )
    app = create_app(settings_)
    app.state.peer_interval_s = 0
    app.state.governance_sweep_s = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        client.auth = SignatureAuth(key, keyid_of(PEER, key))
        yield client, admin, peer.id
    engine.dispose()


texts = st.text(max_size=300)
lines = st.lists(
    st.one_of(
        st.sampled_from(["old 0", "old 1", "old 00", "", "\u2014 x AAAA", PEER, "3", "AAAA"]),
        st.text(alphabet="AZaz09+/= \u2014", max_size=60),
    ),
    max_size=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.binary(max_size=300), lines.map(lambda ls: "\n".join(ls).encode())))
def test_add_checkpoint_never_fails_inside(
    fuzzed: tuple[TestClient, str, str], body: bytes
) -> None:
    client, _, _ = fuzzed
    r = client.post("/v1/witness/add-checkpoint", content=body, auth=None)
    assert r.status_code in {400, 403, 404, 409, 413, 422}, (r.status_code, r.text)


inbox_bodies = st.one_of(
    st.binary(max_size=200),
    st.fixed_dictionaries(
        {
            "seq": st.one_of(st.integers(min_value=-5, max_value=2**64), st.text(max_size=5)),
            "idempotency_key": st.one_of(st.just("ab" * 16), st.text(max_size=70)),
            "kind": st.sampled_from(["entry", "checkpoint", "other", ""]),
            "payload": st.dictionaries(
                st.sampled_from(["seq", "leaf", "leaf_hash", "note", "old", "proof"]),
                st.one_of(
                    st.none(),
                    st.integers(min_value=-(2**70), max_value=2**70),
                    texts,
                    st.lists(texts, max_size=3),
                ),
            ),
        }
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(inbox_bodies)
def test_inbox_never_fails_inside(fuzzed: tuple[TestClient, str, str], body: object) -> None:
    client, _, _ = fuzzed
    if isinstance(body, bytes):
        r = client.post(
            "/v1/peers/inbox", content=body, headers={"content-type": "application/json"}
        )
    else:
        r = client.post("/v1/peers/inbox", json=body)
    assert r.status_code in {200, 400, 409, 422}, (r.status_code, r.text)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=40))
def test_status_and_held_checkpoint_never_fail_inside(
    fuzzed: tuple[TestClient, str, str], value: str
) -> None:
    client, admin, _ = fuzzed
    auth = {"Authorization": f"Bearer {admin}"}
    r = client.get(f"/v1/peers/{quote(value, safe='')}/status", headers=auth, auth=None)
    assert r.status_code in {200, 404, 422}, (r.status_code, r.text)
    r = client.get("/v1/witness/checkpoint", params={"origin": value}, headers=auth, auth=None)
    assert r.status_code in {404, 422}, (r.status_code, r.text)


def test_status_of_a_known_peer(fuzzed: tuple[TestClient, str, str]) -> None:
    client, admin, peer_id = fuzzed
    r = client.get(
        f"/v1/peers/{peer_id}/status", headers={"Authorization": f"Bearer {admin}"}, auth=None
    )
    assert r.status_code == 200
    assert r.json()["origin"] == PEER
    assert client.get(f"/v1/peers/{peer_id}/status", auth=None).status_code == 401
