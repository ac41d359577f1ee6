"""Sum statements linking snapshots to documents, over two real nodes on loopback.

PO → ack → despatch → receipt between a buyer and a supplier, each publishing a
snapshot before and after: both entries carry statements old + receipts −
shipments (± adjustment) = new that verify; quantities never reach a ledger; the
counterparty checks its own signed document against the owner's commitments with
the openings of that one document; tampering with a document quantity, a
commitment or an opening is rejected (raises)."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import zk
from ledger import Entry
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.documents import SignedDocument
from node.documents import metadata as documents_metadata
from node.inventory import (
    SumError,
    check_document,
    inventory_movements,
    verify_sums,
)
from tests.node.documents_support import HTTP, ack, desadv, po, recadv, send
from tests.node.inventory_support import recent
from tests.node.test_witness_helpers import Node, network
from tests.plaintext import assert_no_plaintext

BUYER, SUPPLIER = "buyer.example/node", "supplier.example/node"
SECRET_NUMBERS = (4321, 7777, 137, 123, 4439, 4453, 7640)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, BUYER, SUPPLIER)


def _publish(node: Node, site: str, quantities: dict[str, int]) -> dict[str, Any]:
    body = {
        "positions": [
            {
                "sku": "SKU-A",
                "location": site,
                "lot": "L1",
                "as_of": recent(0),
                "quantities": {"in_inspection": 0, **quantities},
                "safety_stock": 50,
            }
        ]
    }
    r = HTTP.post(node.url + "/v1/inventory/snapshots", json=body, headers=node.auth)
    assert r.status_code == 201, r.text
    return _body(node, r.json()["index"])


def _body(node: Node, index: int) -> dict[str, Any]:
    leaf = node.store.entry(index).leaf
    assert leaf is not None
    return dict(Entry.from_leaf(leaf).body)


def _document_at(node: Node) -> Any:
    def check(index: int, digest: str) -> None:
        if _body(node, index).get("hash") != digest:
            raise SumError(f"entry {index} does not record document {digest[:16]}")

    return check


def _signed(node: Node, digest: str) -> SignedDocument:
    documents = documents_metadata.tables["documents"]
    with node.engine.connect() as conn:
        body = conn.execute(select(documents.c.body).where(documents.c.hash == digest)).scalar_one()
    return SignedDocument.from_json(json.loads(body))


def _disclosure(owner: Node, counterparty: Node, digest: str) -> list[dict[str, Any]]:
    with owner.engine.begin() as conn:
        token = create_token(conn, role=Role.PARTNER, name=counterparty.name).token
        stranger = create_token(conn, role=Role.PARTNER, name="someone.example/else").token
    path = f"{owner.url}/v1/inventory/movements/{digest}"
    refused = HTTP.get(path, headers={"Authorization": f"Bearer {stranger}"})
    assert refused.status_code == 403, refused.text
    r = HTTP.get(path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["origin"] == owner.name
    terms: list[dict[str, Any]] = r.json()["terms"]
    return terms


def _cycle(buyer: Node, supplier: Node) -> tuple[str, str]:
    hashes = {}
    for author, other, body in (
        (buyer, supplier, po("PO-1", [(1, "SKU-A", 137)])),
        (supplier, buyer, ack("PO-1")),
        (supplier, buyer, desadv("PO-1", "D-1", [(1, "SKU-A", 137)])),
        (buyer, supplier, recadv("PO-1", "D-1", "R-1", [(1, "SKU-A", 123, 14, 0)])),
    ):
        r = send(author, other, body)
        assert r.status_code == 201, r.text
        assert r.json()["delivered_ms"] is not None, r.json()
        hashes[body["type"]] = r.json()["hash"]
    return hashes["despatch_advice"], hashes["goods_receipt"]


def _statements(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["bucket"]: s for s in body["movements"]}


def test_documents_between_snapshots_give_verifiable_sum_statements(pair: list[Node]) -> None:
    buyer, supplier = pair
    _publish(buyer, "WH-B", {"available": 4321, "on_hand": 4321, "in_transit": 0})
    _publish(supplier, "PLANT", {"available": 7777, "on_hand": 7777, "in_transit": 0})
    despatch, receipt = _cycle(buyer, supplier)

    # supplier: 137 shipped and received: no adjustment anywhere
    s_body = _publish(supplier, "PLANT", {"available": 7640, "on_hand": 7640, "in_transit": 0})
    # buyer: 123 accepted, 14 in inspection, 5 consumed meanwhile (an adjustment)
    b_body = _publish(
        buyer,
        "WH-B",
        {"available": 4439, "on_hand": 4453, "in_transit": 0, "in_inspection": 14},
    )
    for node, body in ((supplier, s_body), (buyer, b_body)):
        assert_no_plaintext(body, words=["SKU-A", "PO-1", "D-1", "WH-B"], numbers=SECRET_NUMBERS)
        got = verify_sums(
            body,
            origin=node.name,
            body_at=lambda i, node=node: _body(node, i),  # type: ignore[misc]
            document_at=_document_at(node),
        )
        assert got == len(body["movements"])

    supplier_sums = _statements(s_body)
    assert set(supplier_sums) == {"available", "on_hand", "in_transit"}
    for statement in supplier_sums.values():
        assert all(t["role"] == "document" for t in statement["terms"])
    assert {t["document"] for t in supplier_sums["in_transit"]["terms"]} == {despatch, receipt}
    buyer_sums = _statements(b_body)
    assert set(buyer_sums) == {"available", "on_hand", "in_transit", "in_inspection"}
    assert all(s["old"] is not None for s in buyer_sums.values())
    assert [t["role"] for t in buyer_sums["available"]["terms"]] == ["document", "adjustment"]
    assert buyer_sums["available"]["terms"][1]["direction"] == "out"
    with buyer.engine.connect() as conn:
        consumed = conn.execute(select(inventory_movements.c.quantity)).scalars().all()
    assert sorted(int(q) for q in consumed if q != "0") == sorted([137, 137, 123, 5, 137, 5, 14])

    # consumed once: the next snapshot has no statements
    again = _publish(buyer, "WH-B", {"available": 4439, "on_hand": 4453, "in_transit": 0})
    assert "movements" not in again

    # the supplier checks its own despatch and the buyer's receipt on the buyer's ledger
    despatch_doc = _signed(supplier, despatch).document
    receipt_doc = _signed(supplier, receipt).document
    for digest, document, answered in (
        (despatch, despatch_doc, None),
        (receipt, receipt_doc, despatch_doc),
    ):
        disclosed = _disclosure(buyer, supplier, digest)
        named = [
            (s["bucket"], n)
            for s in b_body["movements"]
            for n, t in enumerate(s["terms"])
            if t.get("document") == digest
        ]
        assert sorted((d["bucket"], d["term"]) for d in disclosed) == sorted(named)
        result = check_document(
            disclosed,
            document=document,
            document_hash=digest,
            despatch=answered,
            owner=BUYER,
            origin=BUYER,
            body_at=lambda i: _body(buyer, i),
        )
        assert result.checked
        assert result.uncovered == ()
    _tamperings(buyer, b_body, despatch, despatch_doc, supplier)


def _tamperings(
    buyer: Node, body: dict[str, Any], despatch: str, despatch_doc: Any, supplier: Node
) -> None:
    disclosed = _disclosure(buyer, supplier, despatch)

    def check(doc: Any = despatch_doc, items: Any = disclosed, entry: Any = body) -> None:
        def body_at(i: int) -> dict[str, Any]:
            return dict(entry) if i == entry_index else _body(buyer, i)

        check_document(
            items,
            document=doc,
            document_hash=despatch,
            owner=BUYER,
            origin=BUYER,
            body_at=body_at,
        )

    entry_index = disclosed[0]["index"]
    check()  # untampered
    # one document quantity changed
    line = dataclasses.replace(despatch_doc.lines[0], quantity_shipped=138)
    with pytest.raises(SumError):
        check(doc=dataclasses.replace(despatch_doc, lines=(line,)))
    # one opening changed (the value the owner claims)
    forged = copy.deepcopy(disclosed)
    opening = zk.Opening.from_bytes(bytes.fromhex(forged[0]["opening"]))
    forged[0]["opening"] = zk.Opening(opening.value + 1, opening.blinding).to_bytes().hex()
    with pytest.raises(SumError):
        check(items=forged)
    # one commitment in the entry replaced by a commitment to the document's true value
    tampered = copy.deepcopy(body)
    statement = next(s for s in tampered["movements"] if s["bucket"] == "in_transit")
    other = zk.commit(137, rng=__import__("random").Random(1))[0]
    statement["terms"][0]["commitment"] = other.to_bytes().hex()
    with pytest.raises(SumError):
        verify_sums(tampered, origin=BUYER, body_at=lambda i: _body(buyer, i))
    with pytest.raises(SumError):
        check(entry=tampered)
    # the new snapshot's own commitment swapped for another bucket's
    swapped = copy.deepcopy(body)
    position = swapped["positions"][0]["commitments"]
    position["available"], position["on_hand"] = position["on_hand"], position["available"]
    with pytest.raises(SumError):
        verify_sums(swapped, origin=BUYER, body_at=lambda i: _body(buyer, i))
    # a proof moved to another statement, and a broken proof
    moved = copy.deepcopy(body)
    sums = moved["movements"]
    sums[0]["proof"], sums[1]["proof"] = sums[1]["proof"], sums[0]["proof"]
    with pytest.raises(SumError):
        verify_sums(moved, origin=BUYER, body_at=lambda i: _body(buyer, i))
    broken = copy.deepcopy(body)
    raw = bytearray(base64.b64decode(broken["movements"][0]["proof"]))
    raw[-1] ^= 1
    broken["movements"][0]["proof"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SumError):
        verify_sums(broken, origin=BUYER, body_at=lambda i: _body(buyer, i))
    # another origin (the context binds the node)
    with pytest.raises(SumError):
        verify_sums(body, origin=SUPPLIER, body_at=lambda i: _body(buyer, i))


def test_an_item_first_published_after_its_documents(pair: list[Node]) -> None:
    buyer, supplier = pair
    _cycle(buyer, supplier)
    body = _publish(buyer, "WH-B", {"available": 4439, "on_hand": 4453, "in_transit": 0})
    sums = _statements(body)
    assert all(s["old"] is None for s in sums.values())
    # no old stock: what the documents do not explain is an explicit adjustment in
    assert [(t["role"], t["direction"]) for t in sums["available"]["terms"]] == [
        ("document", "in"),
        ("adjustment", "in"),
    ]
    # in transit: in with the despatch, out with the receipt, nothing unexplained
    assert [t["role"] for t in sums["in_transit"]["terms"]] == ["document", "document"]
    assert verify_sums(body, origin=BUYER, body_at=lambda i: _body(buyer, i)) == len(sums)
    assert_no_plaintext(body, numbers=SECRET_NUMBERS)
    # the supplier's ledger: its first snapshot takes the despatch and the receipt too
    s_body = _publish(supplier, "PLANT", {"available": 7640, "on_hand": 7640, "in_transit": 0})
    assert verify_sums(s_body, origin=SUPPLIER, body_at=lambda i: _body(supplier, i)) == 3
