"""Attack: replaying a signed node-to-node request.

``tests/node/test_peer_auth.py`` replays a request at once. Here the attacker
waits: it keeps a captured request and replays it at every second of the
signature's validity and after it, while other traffic makes the node purge
expired nonces; it replays a request whose ``created`` lies in the future (the
edge of the tolerance); and it replays to a second worker of the same node (its
own app, the same database). No replay is ever accepted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from node.api import deps
from node.app import create_app, make_engine, upgrade_database
from node.auth.roles import Role
from node.peers.client import SignatureAuth
from node.peers.registry import PeerRegistry
from node.settings import Settings
from tests.node.helpers import keyid_hex, vkey_of

HELLO = "/v1/peers/hello"
TOLERANCE_S = 5
NAME = "peer.example/replayer"


class Clock:
    """The node's clock, set by the test."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def time(self) -> float:
        return self.now


@pytest.fixture
def setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[list[TestClient], Clock, SignatureAuth]]:
    url = f"sqlite:///{tmp_path / 'node.sqlite'}"
    upgrade_database(url)
    key = Ed25519PrivateKey.generate()
    engine = make_engine(url)
    with engine.begin() as conn:
        PeerRegistry(conn).add(
            url="https://peer.example", vkey=vkey_of(NAME, key), role=Role.PARTNER
        )
    engine.dispose()
    clock = Clock()
    monkeypatch.setattr(deps, "time", SimpleNamespace(time=clock.time))
    settings = Settings(
        home=tmp_path / "home",
        database_url=url,
        node_name="victim.example/node",
        run_migrations=False,
        signature_tolerance_s=TOLERANCE_S,
    )
    workers = [create_app(settings), create_app(settings)]  # two workers, one database
    auth = SignatureAuth(key, f"{NAME}+{keyid_hex(NAME, key)}", clock=clock.time)
    with TestClient(workers[0]) as first, TestClient(workers[1]) as second:
        yield [first, second], clock, auth


def _capture(client: TestClient, auth: SignatureAuth, body: bytes) -> httpx.Request:
    request = client.build_request("POST", HELLO, content=body)
    return next(auth.auth_flow(request))


def _refused(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    detail: str = response.json()["detail"]
    return detail


def test_a_captured_request_is_never_accepted_again(
    setup: tuple[list[TestClient], Clock, SignatureAuth],
) -> None:
    (client, _), clock, auth = setup
    start = clock.now
    captured = _capture(client, auth, b'{"n": 1}')
    assert client.send(captured).status_code == 200
    seen = []
    for second in range(TOLERANCE_S + 4):
        clock.now = start + second
        # fresh traffic at this instant (each request purges expired nonces)
        assert client.post(HELLO, content=b"{}", auth=auth).status_code == 200
        seen.append(_refused(client.send(captured)))
    inside, outside = seen[: TOLERANCE_S + 1], seen[TOLERANCE_S + 1 :]
    assert all("replayed" in d for d in inside), inside
    assert all("expired" in d for d in outside), outside


def test_a_future_dated_request_stays_single_use_until_it_expires(
    setup: tuple[list[TestClient], Clock, SignatureAuth],
) -> None:
    (client, _), clock, auth = setup
    start = clock.now
    ahead = SignatureAuth(auth.key, auth.keyid, clock=lambda: start + TOLERANCE_S)
    captured = _capture(client, ahead, b'{"n": 2}')
    assert client.send(captured).status_code == 200  # at the edge of the tolerance
    for second in range(3 * TOLERANCE_S + 3):
        clock.now = start + second
        assert client.post(HELLO, content=b"{}", auth=auth).status_code == 200
        detail = _refused(client.send(captured))
        assert "replayed" in detail or "expired" in detail, detail
        if second <= 2 * TOLERANCE_S:
            assert "replayed" in detail, (second, detail)  # its nonce is still kept


def test_a_request_to_one_worker_cannot_be_replayed_to_another(
    setup: tuple[list[TestClient], Clock, SignatureAuth],
) -> None:
    (first, second), _clock, auth = setup
    captured = _capture(first, auth, b'{"n": 3}')
    assert first.send(captured).status_code == 200
    assert "replayed" in _refused(second.send(captured))
    # and the other way round
    again = _capture(second, auth, b'{"n": 4}')
    assert second.send(again).status_code == 200
    assert "replayed" in _refused(first.send(again))
