"""Partners' document exports in their own column names (Chinese, English, SAP field
codes) imported as canonical documents through semantic mapping, between two real
nodes over HTTP; unmapped, ambiguous and missing columns refused by name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from node.cli import main
from tests.node.documents_support import HTTP, ack, desadv, get, peer_id, po, send
from tests.node.test_witness_helpers import Node, network

BUYER, SUPPLIER = "buyer.example/node", "supplier.example/node"

#: a Chinese ERP's purchase-order lines (币种 has no canonical concept: a default)
PO_CN = """采购单号,订单日期,物料编码,数量,计量单位,单价,交货日期,币种,备注
PO-CN-1,2026-03-01 08:00:00,SKU-A,500,EA,2.50,2026-03-10,CNY,
PO-CN-1,2026-03-01 08:00:00,SKU-B,20,EA,11.00,2026-03-12,CNY,加急
"""
#: an English WMS's despatch rows (JSON)
DESADV_EN = [
    {"PO Number": "PO-CN-1", "Despatch No": "DN-77", "SKU": "SKU-A", "Lot": "L-9", "Qty": 500,
     "Ship Date": "2026-03-05T08:00:00Z", "Expected Arrival": "2026-03-08T12:00:00Z"},
    {"PO Number": "PO-CN-1", "Despatch No": "DN-77", "SKU": "SKU-B", "Lot": "L-9", "Qty": 20,
     "Ship Date": "2026-03-05T08:00:00Z", "Expected Arrival": "2026-03-08T12:00:00Z"},
]  # fmt: skip
#: an SAP goods receipt (MSEG/MKPF field names): 480 of the 500 arrived
RECEIPT_SAP = """EBELN;LIFEX;MBLNR;MATNR;CHARG;MENGE;MEINS;BUDAT;WERKS
PO-CN-1;DN-77;5000012345;SKU-A;L-9;480;EA;20260308;1000
PO-CN-1;DN-77;5000012345;SKU-B;L-9;20;EA;20260308;1000
"""


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, BUYER, SUPPLIER)


def _import(node: Node, other: Node, export: str, fmt: str, **extra: Any) -> httpx.Response:
    body = {"counterparty": peer_id(node, other), "format": fmt, "export": export, **extra}
    return HTTP.post(node.url + "/v1/documents/import", json=body, headers=node.auth)


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    for doc in result["documents"]:
        assert doc["delivered_ms"] is not None
    return result


def _problem(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    assert response.json()["type"].endswith("/document-format")
    detail: str = response.json()["detail"]
    return detail


def _mapped(result: dict[str, Any]) -> dict[str, str]:
    return {m["column"]: m["concept"] for m in result["mapping"]}


def test_three_vocabularies_make_one_chain_on_both_nodes(pair: list[Node]) -> None:
    buyer, supplier = pair
    ordered = _created(_import(buyer, supplier, PO_CN, "csv", defaults={"currency": "CNY"}))
    assert ordered["type"] == "purchase_order"
    assert _mapped(ordered) == {
        "采购单号": "po_number",
        "订单日期": "issued_at",
        "物料编码": "sku",
        "数量": "quantity_ordered",
        "计量单位": "uom",
        "单价": "unit_cost",
        "交货日期": "requested_date",
    }
    assert {m["column"] for m in ordered["ignored"]} == {"币种", "备注"}
    (po,) = ordered["documents"]
    assert po["document"]["issued_at"] == "2026-03-01T08:00:00Z"
    assert po["document"]["lines"] == [
        {"line": 1, "sku": "SKU-A", "quantity_ordered": 500, "uom": "EA", "unit_price": "2.50",
         "requested_date": "2026-03-10T00:00:00Z"},
        {"line": 2, "sku": "SKU-B", "quantity_ordered": 20, "uom": "EA", "unit_price": "11.00",
         "requested_date": "2026-03-12T00:00:00Z"},
    ]  # fmt: skip
    theirs = get(supplier, f"/v1/documents/{po['hash']}").json()
    assert theirs["signature"] == po["signature"]
    sent = HTTP.post(
        supplier.url + "/v1/documents",
        json={"counterparty": peer_id(supplier, buyer), "document": ack("PO-CN-1")},
        headers=supplier.auth,
    )
    assert sent.status_code == 201, sent.text
    shipped = _created(_import(supplier, buyer, json.dumps(DESADV_EN), "json"))
    assert shipped["type"] == "despatch_advice"
    assert _mapped(shipped)["Qty"] == "quantity_shipped"
    assert _mapped(shipped)["Despatch No"] == "despatch_number"
    (advice,) = shipped["documents"]
    assert advice["document"]["expected_arrival"] == "2026-03-08T12:00:00Z"
    assert [(x["line"], x["quantity_shipped"]) for x in advice["document"]["lines"]] == [
        (1, 500),
        (2, 20),
    ]
    received = _created(_import(buyer, supplier, RECEIPT_SAP, "csv"))
    assert received["type"] == "goods_receipt"
    assert _mapped(received) == {
        "EBELN": "po_number",
        "LIFEX": "despatch_number",
        "MBLNR": "receipt_number",
        "MATNR": "sku",
        "CHARG": "lot",
        "MENGE": "quantity_received",
        "BUDAT": "received_at",
    }
    # a receipt line has no unit of its own (the order's), nor a plant
    assert [m["column"] for m in received["ignored"]] == ["MEINS", "WERKS"]
    (receipt,) = received["documents"]
    assert receipt["document"]["received_at"] == "2026-03-08T00:00:00Z"
    assert [f["rule_id"] for f in receipt["findings"]] == ["document.receipt_mismatch"]
    for node in pair:
        chain = get(node, "/v1/documents/chain", chain_id=f"{BUYER}/PO-CN-1").json()
        assert (chain["shipped"], chain["received"]) == ({"1": 500, "2": 20}, {"1": 480, "2": 20})
        cases = get(node, "/v1/governance/exceptions").json()
        assert [c["type"] for c in cases] == ["receipt_mismatch"]


def test_unmapped_ambiguous_and_missing_columns_are_named(pair: list[Node]) -> None:
    buyer, supplier = pair
    odd = PO_CN.replace("备注", "xq_7z")
    detail = _problem(_import(buyer, supplier, odd, "csv", defaults={"currency": "CNY"}))
    assert "'xq_7z' is unmapped" in detail
    # named by hand, it goes through (here: ignored)
    fine = _import(
        buyer, supplier, odd, "csv", defaults={"currency": "CNY"}, fields={"xq_7z": "none"},
        dry_run=True,
    )  # fmt: skip
    assert fine.status_code == 201, fine.text
    assert fine.json()["documents"] == []
    assert len(fine.json()["bodies"]) == 1
    twice = PO_CN.replace("备注", "MENGE").replace(",\n", ",500\n").replace("加急", "20")
    detail = _problem(_import(buyer, supplier, twice, "csv", defaults={"currency": "CNY"}))
    assert "'数量', 'MENGE' are ambiguous: each maps to quantity_ordered" in detail
    no_sku = PO_CN.replace("物料编码", "备注2")
    detail = _problem(_import(buyer, supplier, no_sku, "csv", defaults={"currency": "CNY"}))
    assert "no column gives sku" in detail
    no_currency = _problem(_import(buyer, supplier, PO_CN, "csv"))
    assert "currency" in no_currency
    assert "defaults.currency" in no_currency
    # the currency column, named by hand, is read as it is
    named = _import(buyer, supplier, PO_CN, "csv", fields={"币种": "currency"}, dry_run=True)
    assert named.status_code == 201, named.text
    assert named.json()["bodies"][0]["currency"] == "CNY"
    assert {
        "column": "币种",
        "concept": "currency",
        "confidence": 1.0,
        "how": "given",
    } in named.json()["mapping"]
    unknown = _problem(_import(buyer, supplier, PO_CN, "csv", fields={"数量": "colour"}))
    assert "unknown concept 'colour'" in unknown
    profile = _problem(_import(buyer, supplier, PO_CN, "csv", profile="nobody"))
    assert "no approved mapping profile 'nobody'" in profile
    bad_default = _problem(_import(buyer, supplier, PO_CN, "csv", defaults={"sku": "X"}))
    assert "not document fields that may be defaulted" in bad_default
    # nothing was created by any refused import
    assert get(buyer, "/v1/documents").json()["documents"] == []


def test_a_receipt_for_an_unknown_order_or_despatch_is_refused(pair: list[Node]) -> None:
    buyer, supplier = pair
    r = _import(buyer, supplier, RECEIPT_SAP, "csv")
    assert r.status_code == 404, r.text
    assert "PO-CN-1" in r.json()["detail"]


def _cli(node: Node, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(node.home), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_import_from_the_shell(pair: list[Node], tmp_path: Path) -> None:
    buyer, supplier = pair
    export = tmp_path / "订单.csv"
    export.write_text(PO_CN, encoding="utf-8")
    to = peer_id(buyer, supplier)
    code, out = _cli(buyer, "documents", "import", str(export), "--to", to, "--json")
    assert code == 1
    assert out.startswith("Error: ")
    assert "defaults.currency" in out
    assert "Traceback" not in out
    code, out = _cli(
        buyer, "documents", "import", str(export), "--to", to, "--set", "currency=CNY", "--json"
    )
    assert code == 0, out
    result = json.loads(out)
    (doc,) = result["documents"]
    assert (doc["doc_id"], doc["delivered_ms"] is not None) == ("po:PO-CN-1:v1", True)
    assert get(supplier, f"/v1/documents/{doc['hash']}").status_code == 200
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([{"po_number": "X", "sku": "A", "qty": 1, "wibble_9": "?"}]))
    code, out = _cli(buyer, "doc", "import", str(odd), "--to", to, "--type", "purchase_order")
    assert code == 1
    assert "'wibble_9' is unmapped" in out
    code, out = _cli(buyer, "doc", "import", str(odd), "--to", to, "--field", "oops")
    assert code == 1
    assert "--field 'oops' is not NAME=VALUE" in out
    code, out = _cli(buyer, "doc", "import", str(tmp_path / "none.csv"), "--to", to)
    assert code == 1
    assert "cannot read" in out


def test_lines_that_cannot_be_placed_on_the_chain(pair: list[Node]) -> None:
    buyer, supplier = pair
    order = po("PO-X", [(1, "SKU-A", 5), (2, "SKU-A", 5), (3, "SKU-B", 5)])
    for node, other, body in ((buyer, supplier, order), (supplier, buyer, ack("PO-X"))):
        assert send(node, other, body).status_code == 201
    rows = [{"po_number": "PO-X", "despatch_no": "D-1", "sku": "SKU-A", "qty": 1,
             "ship_date": "2026-03-05", "expected_arrival": "2026-03-08"}]  # fmt: skip
    twice = _problem(_import(supplier, buyer, json.dumps(rows), "json"))
    assert "'SKU-A' is on several lines of purchase order PO-X version 1" in twice
    rows[0]["sku"] = "SKU-Z"
    unknown = _import(supplier, buyer, json.dumps(rows), "json")
    assert unknown.status_code == 409, unknown.text
    assert "'SKU-Z' is not on purchase order PO-X" in unknown.json()["detail"]
    for number, qty in (("D-1", 2), ("D-2", 3)):
        shipped = send(supplier, buyer, desadv("PO-X", number, [(3, "SKU-B", qty)]))
        assert shipped.status_code == 201, shipped.text
    receipt = "MBLNR,EBELN,MATNR,MENGE,BUDAT\n50001,PO-X,SKU-B,2,20260308\n"
    open_two = _problem(_import(buyer, supplier, receipt, "csv"))
    assert "has 2 open despatches (D-1, D-2)" in open_two
    named = receipt.replace("BUDAT", "BUDAT,LIFEX").replace("20260308", "20260308,D-1")
    made = _created(_import(buyer, supplier, named, "csv"))
    assert made["documents"][0]["document"]["lines"][0]["line"] == 3


def test_an_approved_profile_maps_a_fourth_vocabulary(pair: list[Node], tmp_path: Path) -> None:
    buyer, supplier = pair
    approve = (
        "map", "approve", "--source", "lieferant-de", "--by", "qa", "--timezone", "+01:00",
        "Bestellnummer=po_number", "Artikel=sku", "Menge=quantity_ordered", "Einheit=uom",
        "Preis=unit_cost", "Bestelldatum=timestamp",
    )  # fmt: skip
    code, out = _cli(buyer, *approve)
    assert code == 0, out
    export = tmp_path / "bestellung.csv"
    export.write_text(
        "Bestellnummer;Bestelldatum;Artikel;Menge;Einheit;Preis;Liefertermin\n"
        "B-77;2026-03-01 09:00;SKU-A;12;ST;3.10;2026-03-20\n",
        encoding="utf-8",
    )
    to = peer_id(buyer, supplier)
    args = ("doc", "import", str(export), "--to", to, "--profile", "lieferant-de", "--json")
    code, out = _cli(buyer, *args)
    assert code == 1
    assert "'Liefertermin' is unmapped" in out  # in no profile, and German to the matcher
    code, out = _cli(buyer, *args, "--field", "Liefertermin=requested_date")
    assert code == 1
    assert "defaults.currency" in out
    code, out = _cli(
        buyer, *args, "--set", "currency=EUR", "--field", "Liefertermin=requested_date"
    )
    assert code == 0, out
    result = json.loads(out)
    how = {m["column"]: m["how"] for m in result["mapping"]}
    assert how["Menge"].startswith("profile lieferant-de@")
    assert how["Liefertermin"] == "given"
    (doc,) = result["documents"]
    assert doc["delivered_ms"] is not None
    body = get(supplier, f"/v1/documents/{doc['hash']}").json()["document"]
    assert body["issued_at"] == "2026-03-01T09:00:00+01:00"  # the profile's zone
    assert body["lines"][0]["requested_date"] == "2026-03-20T00:00:00+01:00"
    assert (body["currency"], body["lines"][0]["quantity_ordered"]) == ("EUR", 12)
