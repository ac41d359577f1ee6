"""The witness endpoint against the C2SP tlog-witness spec: every status code,
the atomic compare-and-store, and tamperings of the request."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ledger import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    sign_checkpoint,
    verify_checkpoint,
)
from ledger.storage import LedgerStore
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.peers.registry import PeerRegistry
from node.settings import load_settings
from node.witness import (
    SAME_SIZE,
    SizeConflict,
    Witness,
    WitnessError,
    WitnessFormatError,
    WitnessKeyError,
    evidence_for,
    load_or_create_witness_key,
    open_endorsement,
    parse_add_checkpoint,
    render_add_checkpoint,
)

LOG = "log.example/supplier"
NOW_MS = 1_800_000_000_000


@dataclass
class PeerLog:
    """A peer's log, kept in its own database, signing with ``signer``."""

    store: LedgerStore
    signer: NoteSigner

    def grow_to(self, size: int) -> None:
        while self.store.size() < size:
            n = self.store.size()
            self.store.append("test.item", {"n": n}, NOW_MS + n)

    def note(self, size: int, signer: NoteSigner | None = None) -> str:
        checkpoint = Checkpoint(LOG, size, self.store.root(size))
        return sign_checkpoint(checkpoint, [signer or self.signer])

    def body(self, old: int, size: int, proof: list[bytes] | None = None) -> bytes:
        if proof is None:
            proof = self.store.consistency_proof(old, size) if 0 < old < size else []
        return render_add_checkpoint(old, proof, self.note(size))


@dataclass
class WitnessNode:
    client: TestClient
    engine: Engine
    home: Path
    auth: dict[str, str]
    peer_id: str
    vkey: str  # the witness node's log key (which endorses its witness key)

    def add(self, body: bytes) -> httpx.Response:
        response: httpx.Response = self.client.post("/v1/witness/add-checkpoint", content=body)
        return response

    def witness_key(self) -> NoteVerifier:
        endorsement = self.client.get("/v1/witness/key").text
        return open_endorsement(endorsement, NoteVerifier.from_vkey(self.vkey))


@pytest.fixture
def peer_log(tmp_path: Path) -> Iterator[PeerLog]:
    engine = make_engine(f"sqlite:///{tmp_path / 'peer-log.sqlite'}")
    from node.db import upgrade

    upgrade(f"sqlite:///{tmp_path / 'peer-log.sqlite'}")
    signer = NoteSigner.generate(LOG)
    yield PeerLog(LedgerStore.create(engine, LOG), signer)
    engine.dispose()


@pytest.fixture
def witness(database_url: str, tmp_path: Path, peer_log: PeerLog) -> Iterator[WitnessNode]:
    home = tmp_path / "witness"
    made = CliRunner().invoke(
        main,
        [
            "--home",
            str(home),
            "init",
            "--name",
            "witness.example/w1",
            "--database-url",
            database_url,
        ],
    )
    assert made.exit_code == 0, made.output
    settings_ = load_settings(home=home)
    engine = make_engine(settings_.database_url)
    with engine.begin() as conn:
        admin = create_token(conn, role=Role.ADMIN, name="admin").token
        peer = PeerRegistry(conn).add(
            url="http://127.0.0.1:9", vkey=peer_log.signer.vkey, role=Role.PARTNER
        )
    app = create_app(settings_)
    app.state.peer_interval_s = 0
    app.state.governance_sweep_s = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        auth = {"Authorization": f"Bearer {admin}"}
        vkey = made.stdout.strip().splitlines()[-1]
        yield WitnessNode(client, engine, home, auth, peer.id, vkey)
    engine.dispose()


def _size_conflict(response: httpx.Response, size: int) -> None:
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/x.tlog.size")
    assert response.text == f"{size}\n"


def test_first_checkpoint_is_cosigned(witness: WitnessNode, peer_log: PeerLog) -> None:
    peer_log.grow_to(5)
    r = witness.add(peer_log.body(0, 5))
    assert r.status_code == 200, r.text
    lines = r.text.splitlines(keepends=True)
    assert len(lines) == 1
    assert lines[0].startswith("\u2014 witness.example/w1 ")
    key = witness.witness_key()
    assert key.alg == 0x04
    # the endorsement names the witness key only under the witness node's own log key
    with pytest.raises(WitnessKeyError):
        open_endorsement(witness.client.get("/v1/witness/key").text, peer_log.signer.verifier())
    opened = verify_checkpoint(
        peer_log.note(5) + lines[0], [peer_log.signer.verifier()], witnesses=[key], quorum=1
    )
    assert opened.checkpoint.size == 5
    (cosig,) = opened.cosignatures
    assert cosig.timestamp is not None
    assert cosig.timestamp > 1_700_000_000


def test_old_size_must_match(witness: WitnessNode, peer_log: PeerLog) -> None:
    peer_log.grow_to(8)
    assert witness.add(peer_log.body(0, 5)).status_code == 200
    _size_conflict(witness.add(peer_log.body(0, 8)), 5)  # stale client
    _size_conflict(witness.add(peer_log.body(4, 8)), 5)  # index - 1
    _size_conflict(witness.add(peer_log.body(6, 8)), 5)  # index + 1
    ok = witness.add(peer_log.body(5, 8))
    assert ok.status_code == 200, ok.text
    held = witness.client.get(
        "/v1/witness/checkpoint", params={"origin": LOG}, headers=witness.auth
    )
    assert held.status_code == 200
    assert held.text == peer_log.note(8)


def test_same_checkpoint_again_is_cosigned_again(witness: WitnessNode, peer_log: PeerLog) -> None:
    peer_log.grow_to(3)
    assert witness.add(peer_log.body(0, 3)).status_code == 200
    assert witness.add(peer_log.body(3, 3)).status_code == 200


def test_bad_proofs_are_422_and_change_nothing(witness: WitnessNode, peer_log: PeerLog) -> None:
    peer_log.grow_to(13)
    assert witness.add(peer_log.body(0, 6)).status_code == 200
    proof = peer_log.store.consistency_proof(6, 13)
    assert len(proof) >= 3  # so that reordering changes it
    flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
    tamperings = {
        "flipped-bit": flipped,
        "truncated": proof[:-1],
        "extra-hash": [*proof, proof[0]],
        "swapped": list(reversed(proof)),
        "proof-of-other-old-size": peer_log.store.consistency_proof(5, 13),
        "empty": [],
    }
    for name, bad in tamperings.items():
        r = witness.add(peer_log.body(6, 13, bad))
        assert r.status_code == 422, name
        assert r.headers["content-type"] == "application/problem+json"
    _size_conflict(witness.add(peer_log.body(0, 13)), 6)  # state unchanged
    assert witness.add(peer_log.body(6, 13)).status_code == 200


def test_malformed_requests_are_400(witness: WitnessNode, peer_log: PeerLog) -> None:
    peer_log.grow_to(4)
    note = peer_log.note(4)
    hash_line = base64.b64encode(bytes(32)).decode()
    bodies = {
        "no-blank-line": f"old 0\n{note}",
        "leading-zero": f"old 00\n\n{note}",
        "negative": f"old -1\n\n{note}",
        "no-old": f"0\n\n{note}",
        "old-beyond-size": f"old 5\n\n{note}",
        "proof-with-old-zero": f"old 0\n{hash_line}\n\n{note}",
        "short-hash": f"old 2\n{base64.b64encode(bytes(31)).decode()}\n\n{note}",
        "not-base64": f"old 2\n{'!' * 43}=\n\n{note}",
        "too-many-lines": "old 2\n" + f"{hash_line}\n" * 64 + f"\n{note}",
        "unsigned": "old 0\n\n" + Checkpoint(LOG, 4, peer_log.store.root(4)).body(),
        "not-a-checkpoint": "old 0\n\nhello\n\n\u2014 x AAAAAAAA\n",
    }
    for name, body in bodies.items():
        r = witness.add(body.encode())
        assert r.status_code == 400, name
    assert witness.add(b"\xff\xfe old 0\n\n").status_code == 400


def test_unknown_origin_is_404_untrusted_key_is_403(
    witness: WitnessNode, peer_log: PeerLog
) -> None:
    peer_log.grow_to(2)
    stranger = NoteSigner.generate("other.example/log")
    note = sign_checkpoint(Checkpoint("other.example/log", 2, peer_log.store.root(2)), [stranger])
    assert witness.add(render_add_checkpoint(0, [], note)).status_code == 404
    impostor = NoteSigner.generate(LOG)  # same name, another key
    forged = render_add_checkpoint(0, [], peer_log.note(2, impostor))
    r = witness.add(forged)
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"


def test_same_size_other_root_is_409_and_kept_as_evidence(
    witness: WitnessNode, peer_log: PeerLog
) -> None:
    peer_log.grow_to(6)
    assert witness.add(peer_log.body(0, 6)).status_code == 200
    fork = Checkpoint(LOG, 6, bytes(32))
    fork_note = sign_checkpoint(fork, [peer_log.signer])
    r = witness.add(render_add_checkpoint(6, [], fork_note))
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    with witness.engine.connect() as conn:
        (record,) = evidence_for(conn, LOG)
    assert record.kind == SAME_SIZE
    assert {record.note_a, record.note_b} == {peer_log.note(6), fork_note}
    status = witness.client.get(f"/v1/peers/{witness.peer_id}/status", headers=witness.auth)
    assert status.status_code == 200
    assert [e["kind"] for e in status.json()["split_view"]] == [SAME_SIZE]
    metrics = witness.client.get("/metrics").text
    assert f'scnode_split_view_evidence{{origin="{LOG}"}} 1.0' in metrics


def test_compare_and_store_lets_one_of_concurrent_requests_win(
    witness: WitnessNode, peer_log: PeerLog
) -> None:
    peer_log.grow_to(20)
    signer = load_or_create_witness_key(witness.home, "witness.example/w1")
    direct = Witness(witness.engine, signer)
    direct.add_checkpoint(peer_log.body(0, 4), now_ms=NOW_MS)
    bodies = [peer_log.body(4, size) for size in range(5, 21)]
    outcomes: list[object] = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def submit(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = direct.add_checkpoint(bodies[i], now_ms=NOW_MS)
        except WitnessError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, o in enumerate(outcomes) if isinstance(o, str)]
    assert len(winners) == 1, outcomes
    won_size = 5 + winners[0]
    for i, outcome in enumerate(outcomes):
        if i != winners[0]:
            assert isinstance(outcome, SizeConflict)
            assert outcome.latest_size in {4, won_size}
    with pytest.raises(SizeConflict) as info:
        direct.add_checkpoint(peer_log.body(4, 20), now_ms=NOW_MS)
    assert info.value.latest_size == won_size


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_parser_returns_or_raises_format_error(data: bytes) -> None:
    try:
        parsed = parse_add_checkpoint(data)
    except WitnessFormatError:
        return
    assert parsed.old_size <= parsed.checkpoint.size


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="old 0123456789\n=+/AZaz\u2014", max_size=200))
def test_parser_on_near_miss_text(text: str) -> None:
    with contextlib.suppress(WitnessFormatError):
        parse_add_checkpoint(text.encode())


def test_render_parse_round_trip(peer_log: PeerLog) -> None:
    peer_log.grow_to(9)
    proof = peer_log.store.consistency_proof(3, 9)
    parsed = parse_add_checkpoint(render_add_checkpoint(3, proof, peer_log.note(9)))
    assert parsed.old_size == 3
    assert list(parsed.proof) == proof
    assert parsed.note == peer_log.note(9)
    assert parsed.checkpoint.root == peer_log.store.root(9)
