"""ERPNext webhooks into a real node over HTTP, and Odoo pulled from a fake ERP on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.connectors import (
    FRAPPE_SIGNATURE_HEADER,
    UpstreamError,
    odoo,
    positions_body,
    sign_frappe,
)
from tests.node.connector_support import ODOO_KEY, WEBHOOK_SECRET, recorded, serve_fake_odoo
from tests.node.test_witness_helpers import Node, network

SOURCE = "erpnext-fab"
HOOK = f"/v1/connectors/erpnext/{SOURCE}/webhook"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    for nodes in network(tmp_path, "fab.example/node"):
        yield nodes[0]


def _configure(node: Node) -> None:
    r = httpx.put(
        node.url + HOOK,
        json={"secret": WEBHOOK_SECRET, "timezone": "Asia/Shanghai"},
        headers=node.auth,
        timeout=10,
    )
    assert r.status_code == 204, r.text


def _deliver(node: Node, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[FRAPPE_SIGNATURE_HEADER] = signature
    return httpx.post(node.url + HOOK, content=body, headers=headers, timeout=30)


def _problem(r: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = r.json()
    assert problem["type"].endswith("/" + slug)
    return problem


def test_webhook_good_bad_missing_replayed(node: Node) -> None:
    body = recorded("erpnext", "webhook-bin.body")
    signature = recorded("erpnext", "webhook-bin.signature").decode().strip()
    # before a secret is configured nothing is accepted
    _problem(_deliver(node, body, signature), 401, "webhook-signature")
    _configure(node)
    missing = _problem(_deliver(node, body, None), 401, "webhook-signature")
    assert "missing" in missing["detail"]
    bad = _problem(
        _deliver(node, body, sign_frappe(body, "another-secret")), 401, "webhook-signature"
    )
    assert WEBHOOK_SECRET not in json.dumps(bad)
    tampered = body.replace(b"900.0", b"9000.0")
    _problem(_deliver(node, tampered, signature), 401, "webhook-signature")
    good = _deliver(node, body, signature)
    assert good.status_code == 200, good.text
    accepted = good.json()
    assert (accepted["doctype"], accepted["status"]) == ("Bin", "accepted")
    assert accepted["snapshot"]
    replay = _problem(_deliver(node, body, signature), 409, "webhook-replay")
    assert "already" in replay["detail"]
    older = body.replace(b"14:05:31.412095", b"14:00:00")
    stale = _problem(
        _deliver(node, older, sign_frappe(older, WEBHOOK_SECRET)), 409, "webhook-replay"
    )
    assert "newer" in stale["detail"]
    # the published snapshot holds the mapped Bin (Shanghai time → UTC +08:00 offset kept)
    positions = node.get("/v1/inventory/positions", sku="WAF-7NM").json()
    assert positions, positions
    assert positions[0]["location"] == "Stores - WFC"


def test_webhook_purchase_receipt_becomes_a_document(node: Node) -> None:
    _configure(node)
    body = recorded("erpnext", "webhook-purchase-receipt.body")
    signature = recorded("erpnext", "webhook-purchase-receipt.signature").decode().strip()
    r = _deliver(node, body, signature)
    assert r.status_code == 200, r.text
    document = r.json()["document"]
    assert document["type"] == "goods_receipt"
    assert document["receipt_number"] == "MAT-PRE-2026-00007"
    assert document["received_at"] == "2026-11-20T11:20:05+08:00"
    # this node issued no such order over the network: stored, not sent, and said so
    assert r.json()["goods_receipt"] is None
    assert "PUR-ORD-2026-00012" in r.json()["goods_receipt_error"]
    junk = b'{"doctype": "User", "name": "x", "modified": "2026-11-20 10:00:00"}'
    _problem(_deliver(node, junk, sign_frappe(junk, WEBHOOK_SECRET)), 400, "connector-payload")


def test_configuring_needs_admin(node: Node) -> None:
    r = httpx.put(node.url + HOOK, json={"secret": WEBHOOK_SECRET}, timeout=10)
    assert r.status_code == 401
    short = httpx.put(node.url + HOOK, json={"secret": "short"}, headers=node.auth, timeout=10)
    assert short.status_code == 422


@pytest.fixture
def fake_odoo() -> Iterator[str]:
    yield from serve_fake_odoo()


def test_odoo_over_loopback_published_on_a_node(fake_odoo: str, node: Node) -> None:
    with odoo.OdooClient(fake_odoo, ODOO_KEY, database="modules") as client:
        records = odoo.fetch_stock(client)
        (po,) = odoo.fetch_purchase_orders(client)
    assert po.number == "P00012"
    r = httpx.post(
        node.url + "/v1/inventory/snapshots",
        content=json.dumps(positions_body(records)).encode(),
        headers={**node.auth, "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    published = node.get("/v1/inventory/positions", sku="MOD-A1").json()
    assert {p["location"] for p in published} == {"WH/Stock", "WH/Stock/Shelf 2"}
    with odoo.OdooClient(fake_odoo, "bad-key") as client, pytest.raises(UpstreamError):
        odoo.fetch_stock(client)
