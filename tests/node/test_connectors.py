"""Odoo and ERPNext connectors against recorded payloads (httpx MockTransport)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from governance import PartnerProfile, Severity, check_document, default_rule_set
from node.connectors import (
    PayloadError,
    UpstreamError,
    as_purchase_order,
    erpnext,
    odoo,
    positions_body,
)
from tests.node.connector_support import (
    ERP_KEY,
    ERP_SECRET,
    ODOO_KEY,
    FakeErpNext,
    FakeOdoo,
)


def _odoo(fake: FakeOdoo, key: str = ODOO_KEY) -> odoo.OdooClient:
    return odoo.OdooClient(
        "https://odoo.example", key, database="modules", transport=httpx.MockTransport(fake)
    )


def _erp(fake: FakeErpNext, secret: str = ERP_SECRET) -> erpnext.ErpNextClient:
    return erpnext.ErpNextClient(
        "https://erp.example", ERP_KEY, secret, transport=httpx.MockTransport(fake)
    )


def test_odoo_stock_maps_to_canonical_records() -> None:
    fake = FakeOdoo()
    with _odoo(fake) as client:
        records = odoo.fetch_stock(client)
    assert [c for c, _ in fake.calls] == ["stock.quant/search_read", "product.product/read"]
    assert fake.calls[0][1]["domain"] == [["location_id.usage", "=", "internal"]]
    assert fake.calls[1][1] == {"ids": [7, 9], "fields": ["default_code"]}
    first = records[0]
    assert (first.sku, first.location, first.lot, first.uom) == (
        "MOD-A1",
        "WH/Stock",
        "LOT-2026-11-A",
        "Units",
    )
    assert first.quantities == {
        "on_hand": Decimal("1200.0"),
        "reserved": Decimal("200.0"),
        "available": Decimal("1000.0"),
        "in_transit": 0,
        "in_inspection": 0,
    }
    assert first.as_of is not None
    assert first.as_of.isoformat() == "2026-11-20T07:55:12+00:00"
    assert [r.sku for r in records] == ["MOD-A1", "MOD-A1", "WAF-7NM"]
    assert records[1].lot is None
    assert all(r.unmapped == () for r in records)
    body = positions_body(records)
    assert body["positions"][2] == {
        "sku": "WAF-7NM",
        "location": "WH/Stock",
        "lot": None,
        "as_of": "2026-11-19T16:02:03+00:00",
        "quantities": {
            "on_hand": 35,
            "reserved": 5,
            "available": 30,
            "in_transit": 0,
            "in_inspection": 0,
        },
        "uom": "Units",
    }


def test_odoo_sends_the_documented_headers() -> None:
    seen: list[httpx.Request] = []
    fake = FakeOdoo()

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fake(request)

    client = odoo.OdooClient(
        "https://odoo.example/", ODOO_KEY, database="modules", transport=httpx.MockTransport(spy)
    )
    client.call("product.product", "read", ids=[7], fields=["default_code"])
    request = seen[0]
    assert request.method == "POST"
    assert request.url.path == "/json/2/product.product/read"
    assert request.headers["authorization"] == f"bearer {ODOO_KEY}"
    assert request.headers["x-odoo-database"] == "modules"
    assert request.headers["content-type"].startswith("application/json")


def test_odoo_purchase_orders_and_receipts_become_documents() -> None:
    rules = default_rule_set()
    with _odoo(FakeOdoo()) as client:
        (po,) = odoo.fetch_purchase_orders(client)
        (receipt,) = odoo.fetch_receipts(client)
    assert po.document_type == "purchase_order"
    assert dict(po.body) == {
        "po_number": "P00012",
        "buyer": "Module Maker Ltd.",
        "supplier": "Wafer Fab Co.",
        "issued_at": "2026-11-18T09:00:00Z",
        "currency": "USD",
        "status": "purchase",
        "lines": [
            {
                "sku": "WAF-7NM",
                "quantity_ordered": 500,
                "uom": "Units",
                "unit_price": "182.5",
                "requested_date": "2026-12-01T08:00:00Z",
            },
            {
                "sku": "MOD-A1",
                "quantity_ordered": 40,
                "uom": "Units",
                "unit_price": "12",
                "requested_date": "2026-12-03T08:00:00Z",
            },
        ],
    }
    model = as_purchase_order(po, buyer="module.example/node", supplier="fab.example/node")
    assert model.chain_id == "module.example/node/P00012"
    assert [(x.line, x.sku, x.quantity_ordered, x.unit_price) for x in model.lines] == [
        (1, "WAF-7NM", 500, "182.5"),
        (2, "MOD-A1", 40, "12"),
    ]
    with pytest.raises(PayloadError):
        as_purchase_order(po, buyer="same.example/node", supplier="same.example/node")
    with pytest.raises(PayloadError):
        as_purchase_order(receipt, buyer="a.example/node", supplier="b.example/node")
    findings = check_document(
        dict(po.body),
        rules,
        now=1_795_000_000_000,
        partner=PartnerProfile("odoo.example"),
        document_type="purchase_order",
    )
    assert [f.message for f in findings if f.severity is Severity.ERROR] == []
    assert receipt.number == "WH/IN/00007"
    assert receipt.body["po_number"] == "P00012"
    assert receipt.body["lines"] == [{"sku": "WAF-7NM", "quantity_received": 480, "uom": "Units"}]
    assert receipt.body["received_at"] == "2026-11-20T06:30:00Z"


def test_odoo_errors_keep_the_message_and_never_the_key() -> None:
    with _odoo(FakeOdoo(), key="wrong-key-123") as client, pytest.raises(UpstreamError) as info:
        client.call("stock.quant", "search_read", fields=["quantity"])
    assert info.value.status == 401
    assert info.value.message == "Invalid apikey"
    assert "wrong-key-123" not in str(info.value)
    with _odoo(FakeOdoo()) as client:
        with pytest.raises(PayloadError):
            client.call("stock.quant/../res.users", "read")
        with pytest.raises(UpstreamError):
            client.call("res.partner", "search_read")  # no recording: 404


@pytest.mark.parametrize(
    ("quants", "products"),
    [
        ({"not": "a list"}, []),
        ([{"product_id": "7", "write_date": "2026-11-20 07:55:12"}], []),
        ([{"product_id": [7, "x"], "write_date": "2026-11-20 07:55:12"}], []),  # no default_code
        ([{"product_id": [7, "x"], "write_date": "yesterday"}], [{"id": 7, "default_code": "A"}]),
        (
            [{"product_id": [7, "x"], "quantity": "lots", "write_date": "2026-11-20 07:55:12"}],
            [{"id": 7, "default_code": "A"}],
        ),
    ],
)
def test_odoo_bad_payloads_raise_payload_error(quants: object, products: object) -> None:
    with pytest.raises(PayloadError):
        odoo.canonical_stock(quants, products)


def test_erpnext_bins_map_to_canonical_records() -> None:
    fake = FakeErpNext()
    with _erp(fake) as client:
        records = erpnext.fetch_stock(client, timezone="Asia/Shanghai")
    assert fake.paths == ["/api/resource/Bin"]
    first = records[0]
    assert (first.sku, first.location, first.uom) == ("WAF-7NM", "Stores - WFC", "Nos")
    assert first.quantities == {
        "on_hand": Decimal("900.0"),
        "reserved": Decimal("150.0"),
        "on_order": Decimal("0.0"),
        "available": Decimal("750.0"),
        "in_transit": 0,
        "in_inspection": 0,
    }
    assert first.as_of is not None
    assert first.as_of.isoformat() == "2026-11-20T14:05:31.412095+08:00"


def test_erpnext_documents() -> None:
    fake = FakeErpNext()
    with _erp(fake) as client:
        (po,) = erpnext.fetch_purchase_orders(client, timezone="+08:00")
        (receipt,) = erpnext.fetch_receipts(client, timezone="+08:00")
    assert "/api/resource/Purchase Order/PUR-ORD-2026-00012" in fake.paths
    assert po.body["po_number"] == "PUR-ORD-2026-00012"
    assert po.body["buyer"] == "Wafer Fab Co."
    assert po.body["issued_at"] == "2026-11-17T10:12:44.120961+08:00"
    assert po.body["lines"] == [
        {
            "sku": "SI-WAFER-300",
            "quantity_ordered": 250,
            "uom": "Nos",
            "unit_price": "41.25",
            "requested_date": "2026-12-01T00:00:00+08:00",
        }
    ]
    model = as_purchase_order(po, buyer="fab.example/node", supplier="silicon.example/node")
    assert model.currency == "USD"
    assert model.lines[0].requested_date == "2026-12-01T00:00:00+08:00"
    assert receipt.body["despatch_number"] == "SRM-DN-88120"
    assert receipt.body["po_number"] == "PUR-ORD-2026-00012"
    assert receipt.body["received_at"] == "2026-11-20T11:20:05+08:00"
    assert receipt.body["lines"] == [
        {
            "sku": "SI-WAFER-300",
            "quantity_received": 250,
            "uom": "Nos",
            "lot": "SRM-B-4471",
            "quantity_accepted": 240.0,
            "quantity_rejected": 10.0,
        }
    ]


def test_erpnext_errors_and_paging() -> None:
    with _erp(FakeErpNext(), secret="nope") as client, pytest.raises(UpstreamError) as info:
        client.list("Bin")
    assert info.value.status == 403
    assert "nope" not in str(info.value)
    pages: list[dict[str, str]] = []

    def paged(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        pages.append(params)
        start = int(params["limit_start"])
        size = int(params["limit_page_length"])
        rows = [{"name": f"B-{i}"} for i in range(start, min(start + size, 1100))]
        return httpx.Response(200, json={"data": rows})

    client = erpnext.ErpNextClient(
        "https://erp.example", "k", "s", transport=httpx.MockTransport(paged)
    )
    rows = client.list("Bin")
    assert len(rows) == 1100
    assert [p["limit_start"] for p in pages] == ["0", "500", "1000"]
    with pytest.raises(PayloadError):
        erpnext.ErpNextClient(
            "https://erp.example",
            "k",
            "s",
            transport=httpx.MockTransport(lambda _r: httpx.Response(200, content=b"<html>")),
        ).list("Bin")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b"{",
        b'{"doctype": "User", "name": "x", "modified": "2026-11-20 10:00:00"}',
        b'{"doctype": "Bin", "name": "x", "modified": "soon"}',
        b'{"doctype": "Bin", "modified": "2026-11-20 10:00:00"}',
        b"\xff\xfe",
    ],
)
def test_bad_webhook_bodies(body: bytes) -> None:
    with pytest.raises(PayloadError):
        erpnext.parse_delivery(body)


@pytest.mark.parametrize("price", ["abc", -1, True, [1], "NaN", "Infinity"])
def test_bad_prices_are_refused(price: object) -> None:
    orders = [{"id": 1, "name": "P1", "date_order": "2026-11-18 09:00:00"}]
    lines = [
        {
            "order_id": [1, "P1"],
            "product_id": [7, "x"],
            "product_qty": 1,
            "product_uom": [1, "Units"],
            "price_unit": price,
        }
    ]
    with pytest.raises(PayloadError):
        odoo.purchase_order_documents(orders, lines, [{"id": 7, "default_code": "A"}])
