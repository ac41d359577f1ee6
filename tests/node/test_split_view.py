"""Split view: one log key, two forked ledgers, each shown to a different witness.

The witnesses compare notes (each fetches the checkpoint the other holds of the
log and verifies it against its own with a consistency proof from the log); the
fork is detected and both signed checkpoints are kept as evidence, visible in the
peer status and counted in the metrics.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger import SignedNote, verify_checkpoint, verify_consistency
from ledger.errors import VerificationError
from node.peers.registry import PeerRegistry
from node.witness import INCONSISTENT, SAME_SIZE
from tests.node.test_witness_helpers import Node, make_node, split_view


@pytest.fixture
def forked(tmp_path: Path) -> Iterator[tuple[Node, Node, Node, Node]]:
    yield from split_view(tmp_path)


def _peer_id(node: Node, other: Node) -> str:
    with node.engine.connect() as conn:
        return next(p.id for p in PeerRegistry(conn).list() if p.vkey == other.vkey)


def _evidence(witness: Node, log: Node) -> list[dict[str, object]]:
    status = witness.get(f"/v1/peers/{_peer_id(witness, log)}/status")
    assert status.status_code == 200, status.text
    found: list[dict[str, object]] = status.json()["split_view"]
    return found


def test_fork_at_the_same_size_is_detected(forked: tuple[Node, Node, Node, Node]) -> None:
    log_a, log_b, w1, w2 = forked
    log_a.publish(3, tag="-a")
    log_b.publish(3, tag="-b")
    assert log_a.store.root(3) != log_b.store.root(3)
    for log in (log_a, log_b):
        report = log.worker.run_once(sync=False)
        assert report.errors == {}
        assert list(report.cosigned.values()) == [3]  # each witness cosigned its view
    assert _evidence(w1, log_a) == []

    w1.worker.run_once(witness=False)  # w1 compares notes with w2
    (record,) = _evidence(w1, log_a)
    assert record["kind"] == SAME_SIZE
    assert record["source"] == "gossip"
    notes = [str(record["note_a"]), str(record["note_b"])]
    opened = [verify_checkpoint(n, [log_a.verifier]).checkpoint for n in notes]
    assert {c.size for c in opened} == {3}
    assert {c.root for c in opened} == {log_a.store.root(3), log_b.store.root(3)}
    metrics = w1.get("/metrics").text
    assert 'scnode_split_view_evidence{origin="log.example/forker"} 1.0' in metrics

    w2.worker.run_once(witness=False)  # and w2 with w1: the same pair, seen from w2
    (seen_by_w2,) = _evidence(w2, log_b)
    assert {SignedNote.parse(str(seen_by_w2[k])).text for k in ("note_a", "note_b")} == {
        SignedNote.parse(n).text for n in notes
    }
    w1.worker.run_once(witness=False)  # comparing again keeps one record per pair
    assert len(_evidence(w1, log_a)) == 1


def test_fork_at_different_sizes_is_detected(forked: tuple[Node, Node, Node, Node]) -> None:
    log_a, log_b, w1, _w2 = forked
    log_a.publish(2, tag="-shared")
    log_b.appended = 0
    log_b.publish(2, tag="-shared")  # the same two entries: one history so far
    assert log_a.store.root(2) == log_b.store.root(2)
    log_a.publish(1, tag="-a")  # view A: size 3
    log_b.publish(3, tag="-b")  # view B: size 5, not an extension of A
    for log in (log_a, log_b):
        assert log.worker.run_once(sync=False).errors == {}
    log_a.publish(2, tag="-a", sign=False)  # view A grows on (so it can answer proofs to 5)

    with w1.engine.connect() as conn:
        peers = PeerRegistry(conn).list()
    w1.worker.gossip(peers, w1.worker.now_ms())  # w1 compares notes with w2 only
    (record,) = _evidence(w1, log_a)
    assert record["kind"] == INCONSISTENT
    proof = record["proof"]
    assert isinstance(proof, list)
    assert proof  # the proof the log served (from view A) that fails for view B
    a, b = (
        verify_checkpoint(str(record[k]), [log_a.verifier]).checkpoint for k in ("note_a", "note_b")
    )
    assert (a.size, b.size) == (3, 5)

    with pytest.raises(VerificationError):
        verify_consistency(3, 5, [base64.b64decode(h) for h in proof], a.root, b.root)


def test_honest_log_leaves_no_evidence(tmp_path: Path) -> None:
    log = make_node(tmp_path, "log.example/honest")
    w1 = make_node(tmp_path, "w1.example/witness")
    w2 = make_node(tmp_path, "w2.example/witness")
    for a, b in ((w1, log), (w1, w2), (w2, log), (w2, w1), (log, w1), (log, w2)):
        a.add_peer(b)
    nodes = (log, w1, w2)
    for node in nodes:
        node.start()
    try:
        log.publish(3)
        assert log.worker.run_once(sync=False).errors == {}
        log.publish(4)
        assert log.worker.run_once(sync=False).errors == {}
        for witness in (w1, w2):
            witness.worker.run_once(witness=False)
            assert _evidence(witness, log) == []
            status = witness.get(f"/v1/peers/{_peer_id(witness, log)}/status").json()
            assert status["checkpoint"]["size"] == 7
    finally:
        for node in nodes:
            node.stop()
            node.engine.dispose()
