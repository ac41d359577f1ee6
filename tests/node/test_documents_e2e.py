"""Documents between real nodes over HTTP on loopback: full cycles in both
directions, a partner down mid-cycle, duplicated and reordered deliveries, refused
transitions, findings, readers and the server-sent event feed."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger import Entry
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.documents import DOCUMENT_RECEIVED, DOCUMENT_SENT, chain_digest, deliver_pending
from node.peers.registry import PeerRegistry
from node.witness import client_for
from tests.node.documents_support import HTTP, ack, desadv, get, peer_id, po, recadv, send
from tests.node.test_witness_helpers import Node, network

FAR_FUTURE_MS = 4_000_000_000_000


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, "buyer.example/node", "supplier.example/node")


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, "phone.example/node", "module.example/node", "fab.example/node")


def _docs(node: Node, **params: object) -> list[dict[str, Any]]:
    response = get(node, "/v1/documents", **params)
    assert response.status_code == 200, response.text
    docs: list[dict[str, Any]] = response.json()["documents"]
    return docs


def _ledger_bodies(node: Node) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for stored in node.store.entries(0, node.store.size()):
        if stored.leaf is not None:
            entry = Entry.from_leaf(stored.leaf)
            out.append((entry.kind, dict(entry.body)))
    return out


def _cycle(buyer: Node, supplier: Node, number: str) -> None:
    for author, other, body in (
        (buyer, supplier, po(number, [(1, "SKU-A", 100), (2, "SKU-B", 5)])),
        (supplier, buyer, ack(number)),
        (supplier, buyer, desadv(number, f"D-{number}", [(1, "SKU-A", 100), (2, "SKU-B", 5)])),
        (
            buyer,
            supplier,
            recadv(
                number,
                f"D-{number}",
                f"R-{number}",
                [(1, "SKU-A", 90, 10, 0), (2, "SKU-B", 5, 0, 0)],
            ),
        ),
    ):
        r = send(author, other, body)
        assert r.status_code == 201, r.text
        assert r.json()["delivered_ms"] is not None, r.json()


def _chain(node: Node, chain_id: str) -> dict[str, Any]:
    response = get(node, "/v1/documents/chain", chain_id=chain_id)
    assert response.status_code == 200, response.text
    chain: dict[str, Any] = response.json()
    return chain


def test_full_cycle_recorded_on_both_ledgers_without_plaintext(pair: list[Node]) -> None:
    buyer, supplier = pair
    _cycle(buyer, supplier, "PO-1")
    chain_id = "buyer.example/node/PO-1"
    assert _chain(buyer, chain_id)["status"] == "closed"
    assert _chain(supplier, chain_id) == _chain(buyer, chain_id)
    sent = {d["hash"] for d in _docs(buyer) if d["direction"] == "sent"}
    received = {d["hash"] for d in _docs(supplier) if d["direction"] == "received"}
    assert sent == received
    assert len(sent) == 2
    for node in pair:
        bodies = _ledger_bodies(node)
        recorded = {(k, b["hash"]) for k, b in bodies if k.startswith("document.")}
        mine = {
            (DOCUMENT_SENT if d["direction"] == "sent" else DOCUMENT_RECEIVED, d["hash"])
            for d in _docs(node)
        }
        assert recorded == mine
        for kind, body in bodies:
            if kind.startswith("document."):
                assert body["chain"] == chain_digest(chain_id)
                assert set(body) == {"hash", "type", "chain", "counterparty", "refs"}
        assert not any("SKU-A" in json.dumps(b) or "PO-1" in json.dumps(b) for _, b in bodies)
    # the same document on both sides: same hash, same signature
    for doc in _docs(buyer):
        other = get(supplier, f"/v1/documents/{doc['hash']}").json()
        assert (other["document"], other["signature"]) == (doc["document"], doc["signature"])


def test_both_directions_and_who_may_read(trio: list[Node]) -> None:
    phone, module, fab = trio
    _cycle(phone, module, "P-100")  # module supplies the phone maker
    _cycle(module, fab, "M-200")  # and buys wafers from the fab
    assert _chain(module, "phone.example/node/P-100")["status"] == "closed"
    assert _chain(module, "module.example/node/M-200")["status"] == "closed"
    assert len(_docs(module)) == 8
    # a peer reads only the documents it exchanged with this node
    with client_for(_peer(fab, module), fab.keys.active) as client:
        seen = client.get("/v1/documents").json()["documents"]
        assert {d["counterparty"] for d in seen} == {"fab.example/node"}
        assert len(seen) == 4
        hidden = next(d for d in _docs(module) if d["counterparty"] == "phone.example/node")
        assert client.get(f"/v1/documents/{hidden['hash']}").status_code == 404
        assert (
            client.get(
                "/v1/documents/chain", params={"chain_id": "phone.example/node/P-100"}
            ).status_code
            == 404
        )
        # its event stream shows only its own documents
        with client.stream("GET", "/v1/documents/events", params={"limit": 6}) as stream:
            events = [json.loads(x[6:]) for x in stream.iter_lines() if x.startswith("data: ")]
        assert {e["counterparty"] for e in events} == {"fab.example/node"}
        assert {e["chain_id"] for e in events} == {"module.example/node/M-200"}
    auditor = _token(module, Role.AUDITOR)
    assert HTTP.get(module.url + "/v1/documents", headers=auditor).status_code == 403
    assert HTTP.get(module.url + "/v1/documents/events", headers=auditor).status_code == 403
    # documents go to partners only, never to a third node
    assert _docs(fab, chain_id="phone.example/node/P-100") == []


def _token(node: Node, role: Role) -> dict[str, str]:
    with node.engine.begin() as conn:
        return {"Authorization": f"Bearer {create_token(conn, role=role, name='t').token}"}


def _peer(node: Node, other: Node) -> Any:
    with node.engine.connect() as conn:
        return PeerRegistry(conn).get(peer_id(node, other))


def _wire(node: Node, digest: str) -> dict[str, Any]:
    doc = get(node, f"/v1/documents/{digest}").json()
    return {"document": doc["document"], "hash": doc["hash"], "signature": doc["signature"]}


def test_partner_down_then_duplicated_and_reordered_deliveries(pair: list[Node]) -> None:
    buyer, supplier = pair
    assert buyer.app is not None
    retrier = buyer.app.state.documents_retrier  # this test delivers by hand
    retrier.stopped.set()
    retrier.wake.set()
    retrier.thread.join(timeout=10)
    supplier.stop()
    first = send(buyer, supplier, po("PO-2", [(1, "SKU-A", 10)])).json()
    change = send(buyer, supplier, po("PO-2", [(1, "SKU-A", 8)], version=2)).json()
    assert first["delivered_ms"] is None
    assert first["last_error"]
    assert change["delivered_ms"] is None
    # the change order reaches the supplier first (e.g. another route): retry later
    supplier.start()
    with client_for(_peer(buyer, supplier), buyer.keys.active) as client:
        early = client.post("/v1/documents/inbox", json=_wire(buyer, change["hash"]))
        assert early.status_code == 409
        assert early.json()["type"].endswith("/document-out-of-order")
        # the queued deliveries go out in order, exactly once
        result = deliver_pending(
            buyer.engine, buyer.keys.active, FAR_FUTURE_MS, rng=random.Random(1)
        )
        assert result.refused == {}
        got = [d["hash"] for d in _docs(supplier)]
        assert got == [first["hash"], change["hash"]]
        # a duplicate delivery is acknowledged and changes nothing
        again = client.post("/v1/documents/inbox", json=_wire(buyer, change["hash"]))
        assert again.status_code == 200
        assert again.json()["duplicate"] is True
        assert [d["hash"] for d in _docs(supplier)] == got
        # a tampered copy is refused
        forged = _wire(buyer, change["hash"])
        forged["document"]["lines"][0]["quantity_ordered"] = 9
        assert client.post("/v1/documents/inbox", json=forged).status_code == 422
    assert _chain(supplier, "buyer.example/node/PO-2")["version"] == 2
    kinds = [k for k, _ in _ledger_bodies(supplier) if k.startswith("document.")]
    assert kinds == [DOCUMENT_RECEIVED, DOCUMENT_RECEIVED]


def test_refused_transitions_over_http(pair: list[Node]) -> None:
    buyer, supplier = pair
    assert send(buyer, supplier, po("PO-3", [(1, "SKU-A", 10)])).status_code == 201
    early = send(supplier, buyer, desadv("PO-3", "D-3", [(1, "SKU-A", 10)]))
    assert early.status_code == 409
    assert "not acknowledged" in early.json()["detail"]
    assert send(supplier, buyer, ack("PO-3")).status_code == 201
    twice = send(supplier, buyer, ack("PO-3"))
    assert twice.status_code == 409
    assert "acknowledged already" in twice.json()["detail"]
    over = send(supplier, buyer, desadv("PO-3", "D-3", [(1, "SKU-A", 11)]))
    assert over.status_code == 409
    assert "above ordered quantity" in over.json()["detail"]
    unknown = send(buyer, supplier, recadv("PO-3", "D-9", "R-9", [(1, "SKU-A", 1, 0, 0)]))
    assert unknown.status_code == 409
    assert "unknown despatch" in unknown.json()["detail"]
    wrong_author = send(buyer, supplier, ack("PO-3"))  # a buyer cannot acknowledge
    assert wrong_author.status_code == 409
    assert "unknown purchase order" in wrong_author.json()["detail"]
    posing = send(buyer, supplier, ack("PO-3", buyer="buyer.example/node"))
    assert posing.status_code == 400
    assert "must be this node" in posing.json()["detail"]
    garbage = send(buyer, supplier, {"type": "purchase_order", "po_number": "PO-4"})
    assert garbage.status_code == 400
    assert garbage.json()["type"].endswith("/document-format")
    # a despatch that arrives shorter than shipped, and late: findings on both sides
    assert send(supplier, buyer, desadv("PO-3", "D-3", [(1, "SKU-A", 10)])).status_code == 201
    late = recadv("PO-3", "D-3", "R-3", [(1, "SKU-A", 7, 0, 1)], received_at="2026-03-10T09:00:00Z")
    receipt = send(buyer, supplier, late)
    assert receipt.status_code == 201
    rules = sorted(f["rule_id"] for f in receipt.json()["findings"])
    assert rules == ["document.late_delivery", "document.receipt_mismatch"]
    theirs = get(supplier, f"/v1/documents/{receipt.json()['hash']}").json()
    assert sorted(f["rule_id"] for f in theirs["findings"]) == rules
    # nothing refused was recorded anywhere
    assert len(_docs(buyer)) == len(_docs(supplier)) == 4


def test_events_stream_shows_changes_on_both_sides(pair: list[Node]) -> None:
    buyer, supplier = pair
    created = send(buyer, supplier, po("PO-5", [(1, "SKU-A", 1)])).json()
    for node, wanted in ((buyer, {"sent", "delivered"}), (supplier, {"received"})):
        events: list[dict[str, Any]] = []
        with httpx.stream(
            "GET",
            node.url + "/v1/documents/events",
            params={"limit": len(wanted)},
            headers=node.auth,
            timeout=10,
        ) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
        assert {e["event"] for e in events} == wanted
        assert {e["hash"] for e in events} == {created["hash"]}
    resumed = HTTP.get(
        buyer.url + "/v1/documents/events",
        params={"after": 1, "limit": 1},
        headers=buyer.auth,
        timeout=10,
    )
    assert "id: 2" in resumed.text
