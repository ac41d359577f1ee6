"""Document bodies and node helpers shared by the documents tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from node.peers.registry import PeerRegistry

if TYPE_CHECKING:
    from tests.node.test_witness_helpers import Node

T_ISSUED = "2026-03-01T08:00:00Z"


def po(number: str, lines: list[tuple[int, str, int]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "purchase_order",
        "po_number": number,
        "version": 1,
        "issued_at": T_ISSUED,
        "currency": "EUR",
        "lines": [
            {
                "line": n,
                "sku": sku,
                "quantity_ordered": q,
                "uom": "EA",
                "unit_price": "2.50",
                "requested_date": "2026-03-10T00:00:00Z",
            }
            for n, sku, q in lines
        ],
        **extra,
    }


def ack(number: str, status: str = "accepted", **extra: Any) -> dict[str, Any]:
    return {
        "type": "order_ack",
        "po_number": number,
        "status": status,
        "issued_at": T_ISSUED,
        **extra,
    }


def desadv(
    number: str, despatch: str, lines: list[tuple[int, str, int]], **extra: Any
) -> dict[str, Any]:
    return {
        "type": "despatch_advice",
        "po_number": number,
        "despatch_number": despatch,
        "issued_at": "2026-03-05T08:00:00Z",
        "shipped_at": "2026-03-05T08:00:00Z",
        "expected_arrival": "2026-03-08T12:00:00Z",
        "lines": [
            {"line": n, "sku": sku, "lot": "L1", "quantity_shipped": q} for n, sku, q in lines
        ],
        **extra,
    }


def recadv(
    number: str,
    despatch: str,
    receipt: str,
    lines: list[tuple[int, str, int, int, int]],
    received_at: str = "2026-03-08T10:00:00Z",
) -> dict[str, Any]:
    """lines: (line, sku, accepted, in_inspection, rejected)."""
    return {
        "type": "goods_receipt",
        "po_number": number,
        "despatch_number": despatch,
        "receipt_number": receipt,
        "issued_at": received_at,
        "received_at": received_at,
        "lines": [
            {
                "line": n,
                "sku": sku,
                "lot": "L1",
                "quantity_received": a + i + r,
                "quantity_accepted": a,
                "quantity_in_inspection": i,
                "quantity_rejected": r,
                **({"reason": "damaged in transit"} if r else {}),
            }
            for n, sku, a, i, r in lines
        ],
    }


def peer_id(node: Node, other: Node) -> str:
    with node.engine.connect() as conn:
        for peer in PeerRegistry(conn).list():
            if peer.vkey == other.vkey:
                return peer.id
    raise AssertionError("peer not registered")


#: one client for the tests' requests (a new httpx client costs a TLS context)
HTTP = httpx.Client(timeout=10)


def send(node: Node, other: Node, document: dict[str, Any]) -> httpx.Response:
    return HTTP.post(
        node.url + "/v1/documents",
        json={"counterparty": peer_id(node, other), "document": document},
        headers=node.auth,
    )


def get(node: Node, path: str, **params: Any) -> httpx.Response:
    return HTTP.get(node.url + path, params=params or None, headers=node.auth)
