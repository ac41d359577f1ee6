"""Days 2-5: purchase orders, acknowledgements, despatches and receipts, synced
point to point between buyer and supplier nodes; a short receipt at the module
maker becomes a governance exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from node.demo._nodes import DemoError

if TYPE_CHECKING:
    from node.demo._scenario import Demo


def _at(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def _send(demo: Demo, author: str, other: str, document: dict[str, Any]) -> dict[str, Any]:
    node = demo.node(author)
    got: dict[str, Any] = node.call(
        "POST",
        "/v1/documents",
        json={"counterparty": node.peer(demo.node(other)).id, "document": document},
    )
    if got.get("delivered_ms") is None:
        raise DemoError(f"{document['type']} {document['po_number']} was not delivered")
    return got


def _order(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "purchase_order",
        "po_number": order["po_number"],
        "version": 1,
        "issued_at": _at(0),
        "currency": order["currency"],
        "lines": [
            {
                "line": li["line"],
                "sku": li["sku"],
                "quantity_ordered": li["quantity"],
                "uom": "EA",
                "unit_price": li["unit_price"],
                "requested_date": _at(7),
            }
            for li in order["lines"]
        ],
    }


def _despatch(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "despatch_advice",
        "po_number": d["po_number"],
        "despatch_number": d["despatch_number"],
        "issued_at": _at(0),
        "shipped_at": _at(0),
        "expected_arrival": _at(2),
        "lines": [
            {
                "line": li["line"],
                "sku": li["sku"],
                "lot": d["lot"],
                "quantity_shipped": li["shipped"],
            }
            for li in d["lines"]
        ],
    }


def _receipt(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "goods_receipt",
        "po_number": r["po_number"],
        "despatch_number": r["despatch_number"],
        "receipt_number": r["receipt_number"],
        "issued_at": _at(0),
        "received_at": _at(0),
        "lines": [
            {
                "line": li["line"],
                "sku": li["sku"],
                "lot": r["lot"],
                "quantity_received": li["accepted"] + li["in_inspection"] + li["rejected"],
                "quantity_accepted": li["accepted"],
                "quantity_in_inspection": li["in_inspection"],
                "quantity_rejected": li["rejected"],
                **({"reason": "damaged in transit"} if li["rejected"] else {}),
            }
            for li in r["lines"]
        ],
    }


def documents_cycle(demo: Demo) -> None:
    story, plan = demo.story, demo.week.plan
    story.heading("Days 2-5: orders, despatches and receipts, synced node to node")
    buyers: dict[str, tuple[str, str]] = {}
    for order in plan["orders"]:
        buyer, supplier = order["buyer"], order["supplier"]
        buyers[order["po_number"]] = (buyer, supplier)
        sent = _send(demo, buyer, supplier, _order(order))
        ack = {"type": "order_ack", "po_number": order["po_number"], "status": "accepted"}
        acked = _send(demo, supplier, buyer, {**ack, "issued_at": _at(0)})
        story.line(
            f"day {order['day']}: {buyer} -> {supplier} PO {order['po_number']} "
            f"(ledger entry {sent['ledger_seq']} on {buyer}), acknowledged "
            f"(entry {acked['ledger_seq']} on {supplier}); the ledgers hold only hashes"
        )
    for d in plan["despatches"]:
        buyer, supplier = buyers[d["po_number"]]
        _send(demo, supplier, buyer, _despatch(d))
        shipped = sum(li["shipped"] for li in d["lines"])
        story.line(f"day {d['day']}: {supplier} despatches {d['despatch_number']}: {shipped} units")
    cases: list[dict[str, Any]] = []
    for r in plan["receipts"]:
        buyer, supplier = buyers[r["po_number"]]
        document = _receipt(r)
        got = _send(demo, buyer, supplier, document)
        found = [f.get("rule_id", f.get("type", "?")) for f in got.get("findings", [])]
        received = sum(li["quantity_received"] for li in document["lines"])
        story.line(
            f"day {r['day']}: {buyer} receives {r['despatch_number']}: {received} units; "
            f"findings on the receipt: {found or 'none'}"
        )
        cases += _receipt_cases(demo, buyer, supplier, got.get("findings", []))
    _chains(demo, buyers)
    demo.outcome["receipt_cases"] = cases


def _receipt_cases(
    demo: Demo, buyer: str, supplier: str, findings: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The cases the buyer's node opened by itself when the receipt was recorded."""
    node = demo.node(buyer)
    if not findings:
        return []
    opened = node.call(
        "GET", "/v1/governance/exceptions", params={"state": ["open"], "type": "receipt_mismatch"}
    )
    mine = [c for c in opened if c.get("assignee") == demo.name(supplier)] or opened
    if not mine:
        raise DemoError(f"{buyer}'s node opened no receipt_mismatch case for its findings")
    for finding in findings:
        rule = finding.get("rule_id", finding.get("type", "?"))
        demo.story.line(f"governance at {buyer}: {rule}: {finding.get('message', '')}")
    for case in mine:
        demo.story.seen(buyer, f"exception {case['id']} {case['type']}, state {case['state']}")
    with demo.node(supplier).signed_client(node) as client:
        got = client.get("/v1/governance/exceptions")
    theirs = got.json() if got.status_code == 200 else []
    for case in theirs:
        demo.story.seen(
            supplier, f"on {buyer}'s node, the case {case['id']} {case['type']} assigned to it"
        )
    shown = {c["id"] for c in theirs}
    return [
        {
            "buyer": buyer,
            "supplier": supplier,
            "case": c["id"],
            "type": c["type"],
            "state": c["state"],
            "supplier_sees_it": c["id"] in shown,
        }
        for c in mine
    ]


def _chains(demo: Demo, buyers: dict[str, tuple[str, str]]) -> None:
    chains = demo.outcome.setdefault("chains", {})
    for po_number, (buyer, supplier) in buyers.items():
        chain_id = f"{demo.name(buyer)}/{po_number}"
        mine = demo.node(buyer).call("GET", "/v1/documents/chain", params={"chain_id": chain_id})
        theirs = demo.node(supplier).call(
            "GET", "/v1/documents/chain", params={"chain_id": chain_id}
        )
        same = mine == theirs
        chains[po_number] = {"status": mine["status"], "same_on_both_nodes": same}
        demo.story.line(
            f"PO {po_number}: status {mine['status']} on {buyer}, "
            f"{'the same' if same else 'DIFFERENT'} on {supplier}"
        )
