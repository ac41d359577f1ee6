"""Crash safety: a node killed with SIGKILL during a burst of inventory publishes and
document sends, restarted on the same home, again and again at random moments.

After every restart: the ledger verifies end to end, every acknowledged publish is
at its index with the acknowledged leaf hash, every acknowledged document is stored
once and recorded once on the ledger. At the end the outbox and the document queue
resume: the peer holds every ledger entry and every document exactly once.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledger import Entry
from ledger.storage import LedgerStore
from node.documents._tables import documents
from node.outbox._tables import inbox, outbox
from tests.node.documents_support import peer_id, po
from tests.node.inventory_support import canonical
from tests.node.test_witness_helpers import Node, make_node
from tests.reliability._crash_node import CrashableServer

KILLS = 50
#: the known double ledger record of a document (test_document_record_race.py)
RECORD_RACE = "recorded 2 times on the ledger"
SEED = 20261122
MAX_BURST_S = 1.5  # a kill lands this long at most after the node is up (or first ack)
DRAIN_LIMIT_S = 90.0


@dataclass
class Acked:
    """What the node acknowledged (a 201) before it was killed."""

    entries: dict[int, str] = field(default_factory=dict)  # index -> leaf hash (hex)
    documents: dict[str, int | None] = field(default_factory=dict)  # hash -> ledger seq
    refused: list[str] = field(default_factory=list)  # unexpected non-201 replies
    cut: int = 0  # requests cut by the kill (no reply)


class Burst(threading.Thread):
    """Publishes and sends documents as fast as the node answers, until it dies."""

    def __init__(self, node: Node, counterparty: str, cycle: int, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.node, self.counterparty, self.cycle = node, counterparty, cycle
        self.rng = random.Random(rng.random())
        self.acked = Acked()
        self.in_flight: dict[str, Any] | None = None  # the document being sent
        self.cut_document: dict[str, Any] | None = None  # the one the kill cut off
        self.first_ack = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.node.url, headers=self.node.auth, timeout=30) as http:
            for n in range(10_000):
                try:
                    if self.rng.random() < 0.65:
                        self._publish(http, n)
                    else:
                        self._send(http, n)
                except httpx.TransportError:
                    self.acked.cut += 1
                    self.cut_document = self.in_flight
                    return

    def _publish(self, http: httpx.Client, n: int) -> None:
        positions = canonical(self.rng.randint(1, 2), prefix=f"K{self.cycle}-{n}-")
        reply = http.post(
            "/v1/inventory/snapshots",
            content=json.dumps(positions).encode(),
            headers={"Content-Type": "application/json"},
        )
        if reply.status_code != 201:
            self.acked.refused.append(f"snapshot {reply.status_code}: {reply.text[:200]}")
            return
        body = reply.json()
        self.acked.entries[int(body["index"])] = str(body["leaf_hash"])
        self.first_ack.set()

    def _send(self, http: httpx.Client, n: int) -> None:
        document = po(f"K{self.cycle}-{n}", [(1, "SKU-1", 5 + n)])
        self.in_flight = document
        reply = http.post(
            "/v1/documents", json={"counterparty": self.counterparty, "document": document}
        )
        if reply.status_code != 201:
            self.acked.refused.append(f"document {reply.status_code}: {reply.text[:200]}")
            return
        self.in_flight = None
        body = reply.json()
        self.acked.documents[str(body["hash"])] = body["ledger_seq"]
        self.first_ack.set()


def resend(node: Node, counterparty: str, document: dict[str, Any], acked: Acked) -> str:
    """A client that got no answer sends the same document again after the restart:
    created (201) if the kill came before it was stored, refused as a repeat (409)
    if after; never stored twice (``check_after_restart`` counts)."""
    reply = httpx.post(
        f"{node.url}/v1/documents",
        json={"counterparty": counterparty, "document": document},
        headers=node.auth,
        timeout=30,
    )
    if reply.status_code == 201:
        acked.documents[str(reply.json()["hash"])] = reply.json()["ledger_seq"]
        return "201"
    problem = str(reply.json().get("type", "")).rsplit("/", 1)[-1]
    return f"{reply.status_code} {problem}"


@dataclass
class Pair:
    node: Node
    peer: Node
    server: CrashableServer


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    node = make_node(tmp_path, "crash.example/node")
    peer = make_node(tmp_path, "peer.example/node")
    node.add_peer(peer)
    peer.add_peer(node)
    peer.start()
    scratch = make_node(tmp_path, "scratch.example/node")
    scratch.engine.dispose()
    server = CrashableServer(node, warm=(scratch.home, json.dumps(canonical(1))))
    try:
        yield Pair(node, peer, server)
    finally:
        server.close()
        peer.stop()
        node.engine.dispose()
        peer.engine.dispose()


def check_after_restart(node: Node, acked: Acked) -> list[str]:
    """Everything a restarted node must still hold; returns what is wrong."""
    problems: list[str] = []
    store = LedgerStore.open(node.engine, node.name)
    report = store.verify_all([node.verifier])
    for index, leaf in sorted(acked.entries.items()):
        if index >= report.size:
            problems.append(f"acknowledged entry {index} lost (ledger size {report.size})")
        elif store.entry(index).leaf_hash.hex() != leaf:
            problems.append(f"entry {index} differs from the acknowledged leaf hash")
    with node.engine.connect() as conn:
        rows = conn.execute(
            select(documents.c.hash, documents.c.doc_id, documents.c.chain_id)
        ).all()
    stored = Counter(h for h, _, _ in rows)
    problems += [f"document {h} stored {c} times" for h, c in stored.items() if c > 1]
    ids = Counter((chain, doc_id) for _, doc_id, chain in rows)
    problems += [f"document {k} stored {c} times" for k, c in ids.items() if c > 1]
    recorded: Counter[str] = Counter()
    for kind in ("document.sent", "document.received"):
        for stored_entry in store.entries_of_kind(kind):
            if stored_entry.leaf is not None:
                body = Entry.from_leaf(stored_entry.leaf).body
                if isinstance(body, dict):
                    recorded[str(body.get("hash"))] += 1
    problems += [
        f"document {h} recorded {c} times on the ledger" for h, c in recorded.items() if c > 1
    ]
    for digest, seq in acked.documents.items():
        if digest not in stored:
            problems.append(f"acknowledged document {digest} lost")
        elif seq is not None and recorded[digest] == 0:
            problems.append(f"acknowledged document {digest} not on the ledger")
    return problems


def drain(pair: Pair) -> tuple[list[int], list[str]]:
    """Wait until the peer holds every ledger entry and document of the node."""
    node, peer = pair.node, pair.peer
    deadline = time.monotonic() + DRAIN_LIMIT_S
    while True:
        size = LedgerStore.open(node.engine, node.name).size()
        with peer.engine.connect() as conn:
            rows = conn.execute(select(inbox.c.seq, inbox.c.kind, inbox.c.payload)).all()
            received = conn.execute(
                select(documents.c.hash).where(documents.c.direction == "received")
            ).all()
        with node.engine.connect() as conn:
            waiting = conn.execute(
                select(outbox.c.seq).where(outbox.c.delivered_ms.is_(None))
            ).all()
            unsent = conn.execute(
                select(documents.c.hash).where(
                    documents.c.direction == "sent", documents.c.delivered_ms.is_(None)
                )
            ).all()
        seqs = sorted(int(json.loads(p)["seq"]) for _, k, p in rows if k == "entry")
        done = not waiting and not unsent and seqs[-1:] == [size - 1]
        if done or time.monotonic() > deadline:
            return [int(s) for s, _, _ in rows] + [-1] + seqs, [h for (h,) in received]
        time.sleep(0.5)


def test_kill_nine_during_bursts_loses_nothing_acknowledged(pair: Pair) -> None:
    node, server = pair.node, pair.server
    rng = random.Random(SEED)
    counterparty = peer_id(node, pair.peer)
    acked = Acked()
    problems: list[str] = []
    resent: Counter[str] = Counter()  # status of each document resent after a cut
    server.start()
    for cycle in range(KILLS):
        burst = Burst(node, counterparty, cycle, rng)
        burst.start()
        if cycle % 2 == 0:  # mid-burst: after something was acknowledged
            assert burst.first_ack.wait(timeout=60), "nothing acknowledged after a restart"
        # odd cycles: anywhere from the first moments after the restart on
        time.sleep(rng.uniform(0.0, MAX_BURST_S))
        server.kill9()
        burst.join(timeout=60)
        assert not burst.is_alive(), "a request hung after the kill"
        acked.entries.update(burst.acked.entries)
        acked.documents.update(burst.acked.documents)
        acked.refused += burst.acked.refused
        acked.cut += burst.acked.cut
        server.start()
        if burst.cut_document is not None:
            resent[resend(node, counterparty, burst.cut_document, acked)] += 1
        problems += [f"after kill {cycle + 1}: {p}" for p in check_after_restart(node, acked)]
    raced = sorted({p.split(": ", 1)[1] for p in problems if RECORD_RACE in p})
    problems = [p for p in problems if RECORD_RACE not in p]
    print(
        f"\ncrash safety: {KILLS} kills, {len(acked.entries)} acknowledged publishes, "
        f"{len(acked.documents)} acknowledged documents, {acked.cut} requests cut, "
        f"cut documents resent: {dict(resent)}, "
        f"restart median {sorted(server.starts)[len(server.starts) // 2]:.2f}s, "
        f"findings: {problems or 'none'}, known race hit: {raced or 'no'}"
    )
    assert acked.refused == []
    assert set(resent) <= {"201", "409 document-transition"}
    assert problems == []
    assert len(acked.entries) + len(acked.documents) >= KILLS // 2  # bursts reached the node

    began = time.monotonic()
    inbox_seqs, received = drain(pair)
    drained_s = time.monotonic() - began
    split = inbox_seqs.index(-1)
    delivered, entry_seqs = inbox_seqs[:split], inbox_seqs[split + 1 :]
    size = LedgerStore.open(node.engine, node.name).size()
    assert sorted(delivered) == list(range(1, len(delivered) + 1))  # no gap, no repeat
    assert entry_seqs == list(range(size))  # every entry delivered exactly once
    with node.engine.connect() as conn:
        sent = {
            h
            for (h,) in conn.execute(
                select(documents.c.hash).where(documents.c.direction == "sent")
            )
        }
    print(
        f"crash safety: ledger size {size}: {len(acked.entries)} acknowledged publishes, "
        f"{len(sent)} documents ({len(acked.documents)} acknowledged), "
        f"{size - len(acked.entries) - len(sent)} other entries (publishes stored whose reply "
        f"the kill cut, repeated document records); "
        f"peer inbox {len(delivered)} messages, {len(received)} documents, "
        f"drained {drained_s:.1f}s after the last restart"
    )
    assert sorted(received) == sorted(sent)  # every document delivered, once
    assert set(acked.documents) <= sent
    assert check_after_restart(pair.peer, Acked()) == []  # the peer recorded each once
    if raced:
        pytest.xfail(
            "bug (see test_document_record_race.py): a delivery round racing a document "
            f"create recorded a document twice on the ledger: {raced}"
        )
