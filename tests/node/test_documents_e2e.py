"""Documents between two real nodes over HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger import Entry
from tests.node.documents_support import ack, desadv, po, recadv, send
from tests.node.test_witness_helpers import Node, network


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, "buyer.example/node", "supplier.example/node")


def _docs(node: Node, **params: object) -> list[dict[str, object]]:
    response = node.get("/v1/documents", **params)
    assert response.status_code == 200, response.text
    docs: list[dict[str, object]] = response.json()["documents"]
    return docs


def test_full_cycle(pair: list[Node]) -> None:
    buyer, supplier = pair
    r = send(buyer, supplier, po("PO-1", [(1, "SKU-A", 100), (2, "SKU-B", 5)]))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["delivered_ms"] is not None
    got = _docs(supplier)
    assert [d["hash"] for d in got] == [created["hash"]]
    assert got[0]["direction"] == "received"
    r = send(supplier, buyer, ack("PO-1"))
    assert r.status_code == 201, r.text
    r = send(supplier, buyer, desadv("PO-1", "D-1", [(1, "SKU-A", 100), (2, "SKU-B", 5)]))
    assert r.status_code == 201, r.text
    r = send(
        buyer,
        supplier,
        recadv("PO-1", "D-1", "R-1", [(1, "SKU-A", 90, 10, 0), (2, "SKU-B", 5, 0, 0)]),
    )
    assert r.status_code == 201, r.text
    chain = buyer.get("/v1/documents/chain", chain_id="buyer.example/node/PO-1").json()
    assert chain["status"] == "closed"
    assert supplier.get("/v1/documents/chain", chain_id="buyer.example/node/PO-1").json() == chain
    # both ledgers hold every hash, and no plaintext
    for node in pair:
        leaves = [e.leaf for e in node.store.entries(0, node.store.size()) if e.leaf]
        bodies = [Entry.from_leaf(leaf).body for leaf in leaves]
        hashes = {b.get("hash") for b in bodies}
        assert {d["hash"] for d in _docs(node)} <= hashes
        assert not any("SKU-A" in str(b) or "PO-1" in str(b) for b in bodies)
