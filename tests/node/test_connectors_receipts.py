"""ERP goods receipts become signed goods-receipt documents for the supplier's node:
ERPNext's recorded Purchase Receipt webhook and Odoo's recorded incoming picking
(pulled with ``scnode connector odoo --what receipts --send``), between two real
nodes on loopback; and the pure matching of ERP lines to despatch lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from node.cli import main
from node.connectors import (
    FRAPPE_SIGNATURE_HEADER,
    ImportedDocument,
    PayloadError,
    erpnext,
    receipt_body,
    sign_frappe,
)
from node.documents import DespatchAdvice, DespatchLine
from tests.node.connector_support import (
    ODOO_KEY,
    WEBHOOK_SECRET,
    recorded,
    serve_fake_odoo,
)
from tests.node.documents_support import ack, desadv, get, po, send
from tests.node.test_witness_helpers import Node, network

BUYER, SUPPLIER = "buyer.example/node", "supplier.example/node"
HOOK = "/v1/connectors/erpnext/erp-buyer/webhook"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, BUYER, SUPPLIER)


@pytest.fixture
def fake_odoo() -> Iterator[str]:
    yield from serve_fake_odoo()


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["delivered_ms"] is not None
    return body


def _ordered(buyer: Node, supplier: Node, number: str, sku: str, qty: int) -> None:
    _ok(send(buyer, supplier, po(number, [(1, "OTHER-SKU", 5), (2, sku, qty)])))
    _ok(send(supplier, buyer, ack(number)))


def _despatched(
    supplier: Node, buyer: Node, number: str, despatch: str, line: dict[str, Any], **extra: Any
) -> None:
    body = {**desadv(number, despatch, []), "lines": [line], **extra}
    _ok(send(supplier, buyer, body))


def _cases(node: Node) -> list[str]:
    response = get(node, "/v1/governance/exceptions")
    assert response.status_code == 200, response.text
    return sorted(c["type"] for c in response.json())


def _webhook(node: Node, body: bytes) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    headers[FRAPPE_SIGNATURE_HEADER] = sign_frappe(body, WEBHOOK_SECRET)
    return httpx.post(node.url + HOOK, content=body, headers=headers, timeout=30)


def test_erpnext_purchase_receipt_webhook_reaches_the_supplier_signed(pair: list[Node]) -> None:
    buyer, supplier = pair
    configured = httpx.put(
        buyer.url + HOOK,
        json={"secret": WEBHOOK_SECRET, "timezone": "Asia/Shanghai"},
        headers=buyer.auth,
        timeout=10,
    )
    assert configured.status_code == 204
    _ordered(buyer, supplier, "PUR-ORD-2026-00012", "SI-WAFER-300", 250)
    line = {"line": 2, "sku": "SI-WAFER-300", "lot": "SRM-B-4471", "quantity_shipped": 250}
    _despatched(
        supplier, buyer, "PUR-ORD-2026-00012", "SRM-DN-88120", line,
        expected_arrival="2026-11-20T14:00:00+08:00",
    )  # fmt: skip
    body = recorded("erpnext", "webhook-purchase-receipt.body")
    signature = recorded("erpnext", "webhook-purchase-receipt.signature").decode().strip()
    headers = {"Content-Type": "application/json", FRAPPE_SIGNATURE_HEADER: signature}
    r = httpx.post(buyer.url + HOOK, content=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    made = r.json()["goods_receipt"]
    assert r.json()["goods_receipt_error"] is None
    assert made["created"] is True
    assert made["doc_id"] == "recadv:MAT-PRE-2026-00007"
    assert made["counterparty"] == SUPPLIER
    assert made["delivered_ms"] is not None
    assert made["findings"] == []  # 250 despatched, 250 arrived, in time
    theirs = get(supplier, f"/v1/documents/{made['hash']}").json()
    assert theirs["direction"] == "received"
    document = theirs["document"]
    assert (document["buyer"], document["supplier"]) == (BUYER, SUPPLIER)
    assert document["despatch_number"] == "SRM-DN-88120"
    assert document["received_at"] == "2026-11-20T11:20:05+08:00"
    assert document["lines"] == [
        {
            "line": 2,
            "sku": "SI-WAFER-300",
            "lot": "SRM-B-4471",
            "quantity_received": 250,
            "quantity_accepted": 240,
            "quantity_in_inspection": 0,
            "quantity_rejected": 10,
            "reason": "rejected at receipt (erpnext MAT-PRE-2026-00007)",
        }
    ]
    mine = get(buyer, f"/v1/documents/{made['hash']}").json()
    assert mine["signature"] == theirs["signature"]
    chain = get(supplier, "/v1/documents/chain", chain_id=f"{BUYER}/PUR-ORD-2026-00012").json()
    assert chain["received"] == {"2": 250}
    # the same receipt again (a later version in Frappe): the same document, not a second
    again = body.replace(b"11:21:40.771034", b"11:30:00.000000")
    replay = _webhook(buyer, again)
    assert replay.status_code == 200, replay.text
    assert replay.json()["goods_receipt"]["hash"] == made["hash"]
    assert replay.json()["goods_receipt"]["created"] is False
    assert len(get(supplier, "/v1/documents").json()["documents"]) == 4
    assert _cases(buyer) == []
    assert _cases(supplier) == []


def _odoo(node: Node, url: str, *extra: str) -> tuple[int, str]:
    result = CliRunner(env={"ODOO_TEST_KEY": ODOO_KEY}).invoke(
        main,
        ["--home", str(node.home), "connector", "odoo", url, "--api-key-env", "ODOO_TEST_KEY",
         "--database", "modules", "--what", "receipts", *extra],
    )  # fmt: skip
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_odoo_receipt_pulled_and_sent_opens_the_mismatch_on_both(
    pair: list[Node], fake_odoo: str
) -> None:
    buyer, supplier = pair
    # the order exists, nothing despatched yet: the receipt cannot be matched
    _ordered(buyer, supplier, "P00012", "WAF-7NM", 500)
    code, out = _odoo(buyer, fake_odoo, "--send")
    assert code == 1
    assert "WH/IN/00007" in out
    assert "0 open despatches" in out
    line = {"line": 2, "sku": "WAF-7NM", "lot": "F-L9", "quantity_shipped": 500}
    _despatched(supplier, buyer, "P00012", "WF-D-1", line, expected_arrival="2026-11-21T00:00:00Z")
    code, out = _odoo(buyer, fake_odoo, "--send")
    assert code == 0, out
    (row,) = json.loads(out)
    assert row["created"] is True
    assert row["counterparty"] == SUPPLIER
    assert row["delivered_ms"] is not None
    assert [f["rule_id"] for f in row["findings"]] == ["document.receipt_mismatch"]
    document = get(supplier, f"/v1/documents/{row['hash']}").json()["document"]
    assert document["despatch_number"] == "WF-D-1"
    assert document["received_at"] == "2026-11-20T06:30:00Z"
    assert [(x["quantity_received"], x["quantity_accepted"]) for x in document["lines"]] == [
        (480, 480)
    ]
    assert _cases(buyer) == ["receipt_mismatch"]
    assert _cases(supplier) == ["receipt_mismatch"]
    # pulled again: reported as made before, not sent twice
    code, out = _odoo(buyer, fake_odoo, "--send")
    assert code == 0, out
    assert json.loads(out)[0]["created"] is False
    assert json.loads(out)[0]["hash"] == row["hash"]
    code, out = _odoo(buyer, fake_odoo, "--send", "--what", "stock")
    assert code == 1
    assert "--send goes with --what receipts" in out


def _advice(*lines: tuple[int, str, str | None, int]) -> DespatchAdvice:
    return DespatchAdvice(
        buyer=BUYER,
        supplier=SUPPLIER,
        po_number="PUR-ORD-2026-00012",
        despatch_number="SRM-DN-88120",
        po_version=1,
        ack_hash="a" * 64,
        issued_at="2026-11-19T08:00:00Z",
        shipped_at="2026-11-19T08:00:00Z",
        expected_arrival="2026-11-21T08:00:00Z",
        lines=tuple(DespatchLine(n, sku, lot, q) for n, sku, lot, q in lines),
    )


def _rest_receipt() -> ImportedDocument:
    doc = json.loads(recorded("erpnext", "purchase-receipt.MAT-PRE-2026-00007.json"))["data"]
    return erpnext.receipt_document(doc, timezone="Asia/Shanghai")


def test_receipt_body_from_the_recorded_rest_receipt() -> None:
    body = receipt_body(
        _rest_receipt(), _advice((1, "OTHER", None, 3), (7, "SI-WAFER-300", None, 250))
    )
    assert body["receipt_number"] == "MAT-PRE-2026-00007"
    assert body["despatch_number"] == "SRM-DN-88120"
    assert body["issued_at"] == body["received_at"] == "2026-11-20T11:20:05+08:00"
    (line,) = body["lines"]
    assert (line["line"], line["lot"], line["quantity_received"]) == (7, "SRM-B-4471", 250)
    assert (line["quantity_accepted"], line["quantity_rejected"]) == (240, 10)
    assert line["quantity_in_inspection"] == 0


@pytest.mark.parametrize(
    ("change", "advice_lines", "message"),
    [
        ({}, [(1, "OTHER", None, 3)], "was not on despatch SRM-DN-88120"),
        ({}, [(1, "SI-WAFER-300", "LOT-X", 250)], "was not on despatch"),
        (
            {},
            [(1, "SI-WAFER-300", None, 100), (2, "SI-WAFER-300", None, 150)],
            "the receipt must give the lot",
        ),
        ({"quantity_received": 250.5}, None, "whole non-negative number"),
        ({"quantity_received": "250"}, None, "is not a number"),
        ({"quantity_rejected": 300}, None, "exceed received"),
        ({"quantity_accepted": -1}, None, "whole non-negative"),
    ],
)
def test_receipt_lines_that_do_not_fit_are_refused(
    change: dict[str, Any], advice_lines: list[Any] | None, message: str
) -> None:
    doc = _rest_receipt()
    line = {**doc.body["lines"][0], **change}
    if advice_lines is None:
        line.pop("lot")
    tampered = ImportedDocument(
        doc.document_type, doc.number, doc.source, {**doc.body, "lines": [line]}
    )
    advice = _advice(*(advice_lines or [(1, "SI-WAFER-300", None, 250)]))
    with pytest.raises(PayloadError, match=message):
        receipt_body(tampered, advice)


def test_only_goods_receipts_with_lines() -> None:
    doc = _rest_receipt()
    advice = _advice((1, "SI-WAFER-300", None, 250))
    with pytest.raises(PayloadError, match="not a goods receipt"):
        receipt_body(ImportedDocument("purchase_order", "X", "erpnext", doc.body), advice)
    with pytest.raises(PayloadError, match="has no lines"):
        receipt_body(
            ImportedDocument("goods_receipt", "X", "erpnext", {**doc.body, "lines": []}), advice
        )
