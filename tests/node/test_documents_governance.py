"""Governance cases opened by documents themselves, between two real nodes over
HTTP: a short receipt opens a ``receipt_mismatch`` case and a late one a
``late_delivery`` case on both nodes, assigned to the supplier, with no call to
the governance service other than the documents service's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from governance import case_digest as digest
from ledger import Entry
from node.peers.registry import PeerRegistry
from node.witness import client_for
from tests.node.documents_support import HTTP, ack, desadv, get, po, recadv, send
from tests.node.test_witness_helpers import Node, network
from tests.plaintext import assert_no_plaintext

BUYER, SUPPLIER = "buyer.example/node", "supplier.example/node"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, BUYER, SUPPLIER)


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    assert response.json()["delivered_ms"] is not None
    body: dict[str, Any] = response.json()
    return body


def _ship(buyer: Node, supplier: Node, number: str, qty: int) -> None:
    _ok(send(buyer, supplier, po(number, [(1, "SKU-A", qty)])))
    _ok(send(supplier, buyer, ack(number)))
    _ok(send(supplier, buyer, desadv(number, f"D-{number}", [(1, "SKU-A", qty)])))


def _cases(node: Node, kind: str | None = None) -> list[dict[str, Any]]:
    response = get(node, "/v1/governance/exceptions")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return [c for c in found if kind is None or c["type"] == kind]


def _peer(node: Node, other: Node) -> Any:
    with node.engine.connect() as conn:
        return next(p for p in PeerRegistry(conn).list() if p.vkey == other.vkey)


def _governance_entries(node: Node, prefix: str = "governance.") -> list[dict[str, Any]]:
    out = []
    for stored in node.store.entries(0, node.store.size()):
        if stored.leaf is not None:
            entry = Entry.from_leaf(stored.leaf)
            if entry.kind.startswith(prefix):
                out.append({"kind": entry.kind, **dict(entry.body)})
    return out


def _opened_entries(node: Node) -> list[dict[str, Any]]:
    return _governance_entries(node, "governance.exception.opened")


def test_short_receipt_opens_a_mismatch_case_on_both_nodes(pair: list[Node]) -> None:
    buyer, supplier = pair
    _ship(buyer, supplier, "PO-M", 500)
    assert _cases(buyer) == []
    assert _cases(supplier) == []
    receipt = recadv("PO-M", "D-PO-M", "R-PO-M", [(1, "SKU-A", 480, 0, 0)])
    created = _ok(send(buyer, supplier, receipt))
    assert [f["rule_id"] for f in created["findings"]] == ["document.receipt_mismatch"]
    for node in pair:
        cases = _cases(node, "receipt_mismatch")
        assert len(cases) == 1, (node.name, _cases(node))
        case = cases[0]
        assert case["assignee"] == SUPPLIER
        assert case["raised_by"] == node.name
        assert case["subject"] == "despatch_advice:D-PO-M/SKU-A"
        assert case["state"] == "open"
        assert _cases(node, "late_delivery") == []
        opened = _opened_entries(node)
        assert [e["case_id"] for e in opened] == [case["id"]]
        # the ledger cites the subject by digest only, the same on both nodes
        assert "subject" not in opened[0]
        assert opened[0]["subject_digest"] == digest("despatch_advice:D-PO-M/SKU-A")
    # the supplier also reads (and answers) the buyer's case over its signed connection
    with client_for(_peer(supplier, buyer), supplier.keys.active) as client:
        theirs = client.get("/v1/governance/exceptions").json()
        assert [c["type"] for c in theirs] == ["receipt_mismatch"]
        acked = client.post(f"/v1/governance/exceptions/{theirs[0]['id']}/ack", json={})
        assert acked.status_code == 200, acked.text
        assert acked.json()["state"] == "acknowledged"
    # a repeated delivery of the receipt is a duplicate and opens nothing more
    doc = get(buyer, f"/v1/documents/{created['hash']}").json()
    wire = {k: doc[k] for k in ("document", "hash", "signature")}
    with client_for(_peer(buyer, supplier), buyer.keys.active) as client:
        again = client.post("/v1/documents/inbox", json=wire)
        assert again.status_code == 200
        assert again.json()["duplicate"] is True
    assert len(_cases(supplier, "receipt_mismatch")) == 1
    assert len(_opened_entries(supplier)) == 1


def test_late_receipt_opens_a_late_delivery_case_on_both_nodes(pair: list[Node]) -> None:
    buyer, supplier = pair
    _ship(buyer, supplier, "PO-L", 10)
    # expected by 2026-03-08T12:00Z; received four days later, complete
    late = recadv("PO-L", "D-PO-L", "R-PO-L", [(1, "SKU-A", 10, 0, 0)], "2026-03-12T09:00:00Z")
    created = _ok(send(buyer, supplier, late))
    assert [f["rule_id"] for f in created["findings"]] == ["document.late_delivery"]
    for node in pair:
        assert [c["type"] for c in _cases(node)] == ["late_delivery"]
        case = _cases(node)[0]
        assert (case["assignee"], case["subject"]) == (SUPPLIER, "despatch_advice:D-PO-L")


def test_matching_receipt_in_time_opens_nothing(pair: list[Node]) -> None:
    buyer, supplier = pair
    _ship(buyer, supplier, "PO-OK", 20)
    fine = recadv("PO-OK", "D-PO-OK", "R-PO-OK", [(1, "SKU-A", 15, 5, 0)])
    assert _ok(send(buyer, supplier, fine))["findings"] == []
    assert _cases(buyer) == []
    assert _cases(supplier) == []
    assert _opened_entries(buyer) == []
    assert _opened_entries(supplier) == []


def test_ledger_holds_no_plaintext_of_a_mismatch_case(pair: list[Node]) -> None:
    """480 received of 500 despatched: the case is opened, commented on (with the
    quantities) and resolved, and no governance entry on either ledger carries the
    document number, the SKU, the quantities or the free text."""
    buyer, supplier = pair
    _ship(buyer, supplier, "PO-M", 500)
    _ok(send(buyer, supplier, recadv("PO-M", "D-PO-M", "R-PO-M", [(1, "SKU-A", 480, 0, 0)])))
    (case,) = _cases(buyer, "receipt_mismatch")
    base = f"{buyer.url}/v1/governance/exceptions/{case['id']}"
    comment = "SKU-A short by 20: 480 of 500 arrived on PO-M"
    said = HTTP.post(f"{base}/comment", json={"text": comment}, headers=buyer.auth)
    assert said.status_code == 200, said.text
    done = HTTP.post(
        f"{base}/resolve", json={"text": "credit note for 20 x SKU-A"}, headers=buyer.auth
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "resolved"
    # the node's own API still has the plaintext
    (mine,) = _cases(buyer, "receipt_mismatch")
    assert mine["subject"] == "despatch_advice:D-PO-M/SKU-A"
    assert [c["text"] for c in mine["comments"]] == [comment]
    entries = _governance_entries(buyer, "governance.exception.")
    kinds = [e["kind"] for e in entries]
    assert kinds == [
        "governance.exception.opened.v1",
        "governance.exception.commented.v1",
        "governance.exception.resolved.v1",
    ]
    assert entries[1]["text_digest"] == digest(comment)
    words = ("D-PO-M", "PO-M", "SKU-A", "R-PO-M", "short by", "credit note")
    for node in pair:
        # the rule set entries hold configuration (its UTC+8 display offset is 480
        # minutes), so figures are looked for in the case entries
        assert_no_plaintext(_governance_entries(node), words=words)
        cases = _governance_entries(node, "governance.exception.")
        assert cases
        assert_no_plaintext(cases, words=words, numbers=(480, 500, 20))
    # a tampered check: the same helper does find the plaintext in the private case
    with pytest.raises(AssertionError):
        assert_no_plaintext(mine, words=("SKU-A",))
