"""Three nodes on loopback: publishing, pushing, witnessing (C2SP tlog-witness)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from ledger import NoteVerifier, verify_bundle, verify_checkpoint
from node.witness import open_endorsement
from node.witness._tables import peer_witness_keys
from tests.node.test_witness_helpers import Node, network


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, "alpha.example/node", "beta.example/node", "gamma.example/node")


def _witness_key(of: Node) -> NoteVerifier:
    """A node's witness key, read from its endorsement and checked with its log key."""
    import httpx

    endorsement = httpx.get(f"{of.url}/v1/witness/key").text
    return open_endorsement(endorsement, of.verifier)


def _peer_id(node: Node, other: Node) -> str:
    with node.engine.connect() as conn:
        from node.peers.registry import PeerRegistry

        return next(p.id for p in PeerRegistry(conn).list() if p.vkey == other.vkey)


def test_publish_push_witness(trio: list[Node]) -> None:
    alpha, beta, gamma = trio
    alpha.publish(5)
    report = alpha.worker.run_once()
    assert report.errors == {}
    assert set(report.cosigned.values()) == {5}

    witnesses = [_witness_key(beta), _witness_key(gamma)]
    note = alpha.get("/v1/ledger/checkpoint").text
    opened = verify_checkpoint(note, [alpha.verifier], witnesses=witnesses, quorum=2)
    assert opened.checkpoint.size == 5
    assert opened.checkpoint.root == alpha.store.root(5)
    # the cosignatures also travel in evidence bundles
    bundle = alpha.get("/v1/ledger/bundle").content
    verified = verify_bundle(
        bundle, vkeys=[alpha.vkey], witnesses=[w.vkey for w in witnesses], quorum=2
    )
    assert verified.ok
    assert verified.quorum == 2
    assert len(verified.entries) == 5

    # the witnesses keep alpha's checkpoint as their verified view
    status = beta.get(f"/v1/peers/{_peer_id(beta, alpha)}/status").json()
    assert status["checkpoint"]["size"] == 5
    assert status["checkpoint"]["source"] in {"witness", "inbox"}
    assert status["split_view"] == []
    assert status["zk_facts"] == []
    assert status["lag"]["entries_received"] == 5
    assert status["outbox"]["pending"] == 0

    # the log grows: the witnesses need (and verify) consistency proofs from size 5
    alpha.publish(6)
    report = alpha.worker.run_once()
    assert report.errors == {}
    assert set(report.cosigned.values()) == {11}
    note = alpha.get("/v1/ledger/checkpoint").text
    opened = verify_checkpoint(note, [alpha.verifier], witnesses=witnesses, quorum=2)
    assert opened.checkpoint.size == 11
    with alpha.engine.connect() as conn:
        cosigned = conn.execute(select(peer_witness_keys.c.cosigned_size)).scalars().all()
    assert sorted(cosigned) == [11, 11]

    # beta pulls alpha's checkpoint and verifies it from the one it stored
    beta.clock.advance(10)
    synced = beta.worker.run_once(witness=False)
    assert synced.synced[_peer_id(beta, alpha)].size == 11
    status = beta.get(f"/v1/peers/{_peer_id(beta, alpha)}/status").json()
    assert status["checkpoint"]["size"] == 11
    assert status["checkpoint"]["witnesses"] >= 1  # beta knows its own and gamma's keys
    assert status["lag"]["entries_behind"] == 0
    metrics = beta.get("/metrics").text
    assert f'scnode_peer_lag_entries{{peer="{_peer_id(beta, alpha)}"}} 0.0' in metrics

    # pushing again is idempotent: no duplicate cosignature lines
    again = alpha.worker.run_once()
    assert again.errors == {}
    assert alpha.get("/v1/ledger/checkpoint").text == note


def test_witness_refuses_unknown_and_unsigned(trio: list[Node]) -> None:
    import httpx

    alpha, beta, _gamma = trio
    alpha.publish(2)
    note = alpha.store.checkpoint()
    assert note is not None
    body = f"old 0\n\n{note.note}".encode()
    ok = httpx.post(f"{beta.url}/v1/witness/add-checkpoint", content=body)
    assert ok.status_code == 200, ok.text
    assert ok.text.startswith("\u2014 beta.example/node ")
    again = httpx.post(f"{beta.url}/v1/witness/add-checkpoint", content=body)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("text/x.tlog.size")
    assert again.text == "2\n"
    # beta forgets alpha: its log is now unknown to beta's witness
    peer_id = _peer_id(beta, alpha)
    assert httpx.delete(f"{beta.url}/v1/peers/{peer_id}", headers=beta.auth).status_code == 200
    gone = httpx.post(f"{beta.url}/v1/witness/add-checkpoint", content=body)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
