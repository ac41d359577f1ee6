"""Real time between two real uvicorn servers: a document created on one node is
pushed to the other by the request that creates it. The delivery retry loops are
set to 60 s, so a document seen on the other node before then came by push, not
by a retry; the waits are generous for CI and nothing is timed (the latency is
measured by ``scnode bench documents``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import node.api.routes.documents as documents_routes
from tests.node.documents_support import ack, get, po, send
from tests.node.test_witness_helpers import Node, network

RETRY_S = 60.0
WAIT_S = 30.0  # generous for a busy CI machine, and well below the retry interval


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Node]]:
    monkeypatch.setattr(documents_routes, "DEFAULT_RETRY_S", RETRY_S)
    yield from network(tmp_path, "buyer.example/node", "supplier.example/node")


class Listener(threading.Thread):
    """Reads one node's document event stream until ``count`` events came."""

    def __init__(self, node: Node, count: int) -> None:
        super().__init__(daemon=True)
        self.node, self.count = node, count
        self.events: list[dict[str, Any]] = []
        self.ready = threading.Event()

    def run(self) -> None:
        with httpx.stream(
            "GET",
            self.node.url + "/v1/documents/events",
            params={"limit": self.count},
            headers=self.node.auth,
            timeout=WAIT_S,
        ) as stream:
            self.ready.set()
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    self.events.append(json.loads(line[6:]))


def test_a_created_document_is_pushed_to_the_other_node(pair: list[Node]) -> None:
    buyer, supplier = pair
    for node in pair:
        assert node.app is not None
        assert node.app.state.documents_retrier.interval_s == RETRY_S
    listener = Listener(supplier, 1)
    listener.start()
    assert listener.ready.wait(WAIT_S)
    created = send(buyer, supplier, po("PO-RT", [(1, "SKU-A", 10)]))
    assert created.status_code == 201, created.text
    # delivered by the creating request itself
    assert created.json()["delivered_ms"] is not None
    assert created.json()["last_error"] is None
    listener.join(WAIT_S)
    assert not listener.is_alive(), "the supplier's stream never showed the document"
    assert [(e["event"], e["hash"]) for e in listener.events] == [
        ("received", created.json()["hash"])
    ]
    # and back: the acknowledgement is on the buyer's list as soon as it is created
    acked = send(supplier, buyer, ack("PO-RT"))
    assert acked.status_code == 201, acked.text
    theirs = get(buyer, f"/v1/documents/{acked.json()['hash']}")
    assert theirs.status_code == 200
    assert theirs.json()["direction"] == "received"
    # nothing was left for the retry loop
    for node in pair:
        docs = get(node, "/v1/documents").json()["documents"]
        assert all(d["last_error"] is None for d in docs)
        assert all(d["delivered_ms"] is not None for d in docs if d["direction"] == "sent")
