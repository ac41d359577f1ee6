"""The outbox over real HTTP: a receiving peer killed (SIGKILL) mid-stream, away for
a simulated day, and restarted receives everything, in order, exactly once."""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ledger import Checkpoint, Entry, leaf_hash, sign_checkpoint
from node.outbox import MAX_DELAY_MS, OutboxMessage, pending
from node.outbox._tables import inbox, outbox
from node.peers.registry import PeerRegistry
from node.witness import client_for, get_view
from tests.node.test_witness_helpers import Node, make_node

DAY_S = 86_400
START_LIMIT_S = 30.0


class SimulatedCrash(Exception):
    pass


class Receiver:
    """A node served by ``scnode serve`` in its own process, which can be killed."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCNODE_")}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from node.cli import main; main()",
                "--home",
                str(self.node.home),
                "serve",
                "--port",
                str(self.node.port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_LIMIT_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "receiver exited early"
            try:
                if httpx.get(f"{self.node.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("receiver did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Receiver]]:
    sender = make_node(tmp_path, "sender.example/node")
    node = make_node(tmp_path, "receiver.example/node")
    sender.add_peer(node)
    node.add_peer(sender)
    receiver = Receiver(node)
    sender.start()
    receiver.start()
    try:
        yield sender, receiver
    finally:
        receiver.kill()
        sender.stop()
        sender.engine.dispose()
        node.engine.dispose()


def _inbox_rows(receiver: Node) -> list[tuple[int, str, dict[str, object]]]:
    with receiver.engine.connect() as conn:
        rows = conn.execute(
            select(inbox.c.seq, inbox.c.kind, inbox.c.payload).order_by(inbox.c.seq)
        ).all()
    return [(int(seq), kind, json.loads(payload)) for seq, kind, payload in rows]


def _deliver(sender: Node) -> None:
    sender.worker.run_once(witness=False, sync=False)


def test_peer_killed_mid_stream_receives_everything_once(pair: tuple[Node, Receiver]) -> None:
    sender, receiver = pair
    sender.publish(5)
    _deliver(sender)
    assert [seq for seq, _, _ in _inbox_rows(receiver.node)] == list(range(1, 7))

    # the receiver dies right after acknowledging the 3rd message of the next batch,
    # and the sender dies before recording that acknowledgement
    sender.publish(10)
    sent: list[OutboxMessage] = []

    def crash_after_third(message: OutboxMessage) -> None:
        sent.append(message)
        if len(sent) == 3:
            receiver.kill()
            raise SimulatedCrash

    now_ms = sender.worker.now_ms()
    from node.outbox import queue_from_ledger

    queue_from_ledger(sender.engine, sender.store, [_peer_id(sender, receiver.node)], now_ms)
    with pytest.raises(SimulatedCrash):
        sender.worker.deliverer.deliver_now(now_ms, after_send=crash_after_third)
    unacked = sent[2]
    assert len(_inbox_rows(receiver.node)) == 9  # 6 + 3, the 3rd not marked at the sender

    # a day offline: more is published, every round fails and backs off
    sender.publish(7)
    delays = []
    start = sender.clock()
    while sender.clock() - start < DAY_S:
        _deliver(sender)
        with sender.engine.connect() as conn:
            head = pending(conn, _peer_id(sender, receiver.node))[0]
        assert head.seq == unacked.seq  # nothing overtakes the undelivered head
        assert head.last_error is not None
        delays.append(head.next_attempt_ms - sender.worker.now_ms())
        # not due yet: a round does not even try
        waiting = sender.worker.deliverer.deliver_now(head.next_attempt_ms - 1)
        assert waiting.waiting == [_peer_id(sender, receiver.node)]
        sender.clock.now = head.next_attempt_ms / 1000
    assert delays[0] < 2_000 < delays[3]
    assert all(b >= a / 2 for a, b in itertools.pairwise(delays))
    assert max(delays) <= MAX_DELAY_MS
    assert 20 <= len(delays) <= 60  # capped exponential backoff over a day

    receiver.start()
    report = sender.worker.run_once(witness=False, sync=False)
    assert report.delivery is not None
    assert report.delivery.duplicates == 1  # the message acknowledged before the crash
    assert report.delivery.failed == {}
    rows = _inbox_rows(receiver.node)
    assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
    entries = [p for _, kind, p in rows if kind == "entry"]
    assert [p["seq"] for p in entries] == list(range(22))  # every entry, once, in order
    for payload in entries:
        leaf = base64.b64decode(str(payload["leaf"]))
        assert Entry.from_leaf(leaf).origin == sender.name
    checkpoints = [p for _, kind, p in rows if kind == "checkpoint"]
    assert len(checkpoints) == 3
    with sender.engine.connect() as conn:
        left = conn.execute(select(outbox.c.seq).where(outbox.c.delivered_ms.is_(None))).all()
    assert left == []
    with receiver.node.engine.connect() as conn:
        view = get_view(conn, sender.name)
    assert view is not None
    assert view.size == 22
    assert view.root == sender.store.root(22)


def _peer_id(node: Node, other: Node) -> str:
    with node.engine.connect() as conn:
        return next(p.id for p in PeerRegistry(conn).list() if p.vkey == other.vkey)


def test_inbox_refuses_gaps_unsigned_and_strangers(pair: tuple[Node, Receiver]) -> None:
    sender, receiver = pair
    with sender.engine.connect() as conn:
        to_receiver = next(p for p in PeerRegistry(conn).list() if p.vkey == receiver.node.vkey)
    message = {
        "seq": 2,
        "idempotency_key": "ab" * 16,
        "kind": "entry",
        "payload": {"seq": 0, "leaf": None, "leaf_hash": base64.b64encode(bytes(32)).decode()},
    }
    with client_for(to_receiver, sender.keys.active) as c:
        gap = c.post("/v1/peers/inbox", json=message)
        assert gap.status_code == 409
        assert gap.headers["x-expected-seq"] == "1"
        first = c.post("/v1/peers/inbox", json={**message, "seq": 1})
        assert first.status_code == 200
        assert first.json() == {"seq": 1, "duplicate": False}
        again = c.post("/v1/peers/inbox", json={**message, "seq": 1})
        assert again.json() == {"seq": 1, "duplicate": True}
        bad = {**message, "seq": 2, "idempotency_key": "cd" * 16}
        bad["payload"] = {"seq": 1, "leaf": base64.b64encode(b"{}").decode(), "leaf_hash": ""}
        assert c.post("/v1/peers/inbox", json=bad).status_code == 422
        # a checkpoint must match the root of the entries delivered before it
        signer = sender.keys.active

        def checkpoint_message(root: bytes, key: str) -> dict[str, object]:
            note = sign_checkpoint(Checkpoint(sender.name, 1, root), [signer])
            payload = {"note": note, "old": 0, "proof": []}
            return {"seq": 2, "idempotency_key": key, "kind": "checkpoint", "payload": payload}

        lying = checkpoint_message(leaf_hash(b"another leaf"), "ef" * 16)
        assert c.post("/v1/peers/inbox", json=lying).status_code == 422
        honest = checkpoint_message(bytes(32), "12" * 16)  # one leaf: the root is its hash
        assert c.post("/v1/peers/inbox", json=honest).status_code == 200
    assert httpx.post(f"{receiver.node.url}/v1/peers/inbox", json=message).status_code == 401
    assert [seq for seq, _, _ in _inbox_rows(receiver.node)] == [1, 2]
