"""Committed orders from purchase-order chains (pure), and their use in gap detection."""

from __future__ import annotations

from typing import Any

from node.documents import Document, parse_document
from node.planning import GapKind, Week, committed_orders, detect_gaps
from tests.node.test_planning_models import _capacity, _forecast

PARTIES = {"buyer": "phone.example/node", "supplier": "module.example/node"}
H = "ab" * 32


def _doc(body: dict[str, Any]) -> Document:
    return parse_document(PARTIES | body)


def _po(number: str, version: int, lines: list[tuple[int, str, int, str]]) -> Document:
    body: dict[str, Any] = {
        "type": "purchase_order",
        "po_number": number,
        "version": version,
        "issued_at": "2026-11-20T08:00:00Z",
        "currency": "EUR",
        "lines": [
            {
                "line": n,
                "sku": sku,
                "quantity_ordered": q,
                "uom": "EA",
                "unit_price": "2.50",
                "requested_date": when,
            }
            for n, sku, q, when in lines
        ],
    }
    if version > 1:
        body["supersedes"] = H
    return _doc(body)


def _ack(
    number: str, version: int, status: str, lines: list[tuple[int, int]] | None = None
) -> Document:
    body: dict[str, Any] = {
        "type": "order_ack",
        "po_number": number,
        "po_version": version,
        "po_hash": H,
        "issued_at": "2026-11-20T09:00:00Z",
        "status": status,
    }
    if lines:
        body["lines"] = [{"line": n, "quantity_accepted": q} for n, q in lines]
    return _doc(body)


def _desadv(number: str, lines: list[tuple[int, str, int]]) -> Document:
    return _doc(
        {
            "type": "despatch_advice",
            "po_number": number,
            "despatch_number": f"D-{number}",
            "po_version": 1,
            "ack_hash": H,
            "issued_at": "2026-11-21T08:00:00Z",
            "shipped_at": "2026-11-21T08:00:00Z",
            "expected_arrival": "2026-11-23T08:00:00Z",
            "lines": [
                {"line": n, "sku": sku, "lot": None, "quantity_shipped": q} for n, sku, q in lines
            ],
        }
    )


W10 = "2026-03-02T00:00:00Z"  # Monday of 2026-W10
W11 = "2026-03-09T00:00:00+08:00"


def test_open_quantities_per_sku_and_week() -> None:
    docs = [
        _po("P1", 1, [(1, "M-1", 100, W10), (2, "M-2", 50, W11)]),
        _ack("P1", 1, "accepted"),
        _desadv("P1", [(1, "M-1", 30)]),
        _po("P2", 1, [(1, "M-1", 20, W10)]),
        _ack("P2", 1, "partial", [(1, 5)]),
        _po("P3", 1, [(1, "M-1", 999, W10)]),
        _ack("P3", 1, "rejected"),
        _po("P4", 1, [(1, "M-1", 1, W10)]),
        _po("P4", 2, [(1, "M-1", 40, W11)]),  # a change order moved it
    ]
    assert committed_orders(docs) == {
        ("M-1", Week("2026-W10")): 70 + 5,
        ("M-2", Week("2026-W11")): 50,
        ("M-1", Week("2026-W11")): 40,
    }
    assert committed_orders([]) == {}


def test_committed_orders_feed_the_gap_detection() -> None:
    docs = [_po("P1", 1, [(1, "M-1", 900, W10)])]
    gaps = detect_gaps(
        _forecast([("M-1", "2026-W10", 100)]),
        _capacity([("2026-W10", 800, 1000)]),
        committed_orders(docs),
    )
    assert [(g.kind, g.committed, g.shortfall) for g in gaps] == [
        (GapKind.BELOW_COMMITTED, 900, 100)
    ]
