"""Odoo connector: the External JSON-2 API (Odoo 19+), read-only.

``POST /json/2/<model>/<method>`` with ``Authorization: bearer <API key>``, an
optional ``X-Odoo-Database`` header and the method's parameters as a JSON object
(Odoo documentation, *External JSON-2 API*). A 200 answer is the method's return
value as JSON; errors are 4xx/5xx with ``{name, message, arguments, context,
debug}`` — :class:`UpstreamError` keeps ``message`` only.

What is read, and how it maps (through :func:`quant_profile` and friends):

* stock — ``stock.quant`` ``search_read`` (internal locations), with
  ``product.product`` ``read`` for the products' internal references
  (``default_code``, the sku) → canonical inventory records;
* purchase orders — ``purchase.order`` and ``purchase.order.line`` → governance
  ``purchase_order`` documents;
* receipts — ``stock.picking`` (incoming, done) and ``stock.move`` → governance
  ``goods_receipt`` documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Final

import httpx

from node.connectors._errors import PayloadError
from node.connectors._http import ErpHttpClient, error_message, json_body
from node.connectors._mapping import (
    ImportedDocument,
    build_profile,
    canonical_lines,
    canonical_records,
    price_text,
    stock_at_location,
)
from semantic_mapping import CanonicalRecord, MappingProfile

__all__ = [
    "OdooClient",
    "canonical_stock",
    "fetch_purchase_orders",
    "fetch_receipts",
    "fetch_stock",
    "line_profile",
    "move_profile",
    "purchase_order_documents",
    "quant_profile",
    "receipt_documents",
    "stock_records",
]

SOURCE: Final = "odoo"
_NAME: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\Z")

QUANT_FIELDS: Final = (
    "product_id",
    "location_id",
    "lot_id",
    "quantity",
    "reserved_quantity",
    "product_uom_id",
    "write_date",
)


@cache
def quant_profile() -> MappingProfile:
    return build_profile(
        "odoo.stock.quant",
        [
            ("default_code", "sku"),
            ("location_id", "location"),
            ("lot_id", "lot"),
            ("quantity", "on_hand"),
            ("reserved_quantity", "reserved"),
            ("product_uom_id", "uom"),
            ("write_date", "timestamp"),
        ],
    )


@cache
def line_profile() -> MappingProfile:
    return build_profile(
        "odoo.purchase.order.line",
        [("default_code", "sku"), ("product_qty", "quantity_ordered"), ("product_uom", "uom")],
    )


@cache
def move_profile() -> MappingProfile:
    return build_profile(
        "odoo.stock.move",
        [("default_code", "sku"), ("quantity", "quantity_received"), ("product_uom", "uom")],
    )


class OdooClient(ErpHttpClient):
    """A JSON-2 client; the API key goes in one header and nowhere else."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        database: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = {"Authorization": f"bearer {api_key}"}
        if database:
            headers["X-Odoo-Database"] = database
        super().__init__(base_url, headers, transport=transport, timeout=timeout)

    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        """``POST /json/2/<model>/<method>``; the decoded return value."""
        for what, name in (("model", model), ("method", method)):
            if not _NAME.match(name):
                raise PayloadError(f"{what} name {name[:40]!r} is not an Odoo identifier")
        body: dict[str, Any] = dict(params)
        if ids is not None:
            body["ids"] = list(ids)
        if context is not None:
            body["context"] = dict(context)
        try:
            response = self._http.post(f"/json/2/{model}/{method}", json=body)
        except httpx.HTTPError as exc:
            raise PayloadError(f"Odoo {model}.{method}: {type(exc).__name__}") from None
        if response.status_code != httpx.codes.OK:
            raise error_message(response, ("message", "name"))
        return json_body(response, f"Odoo {model}.{method}")


# -- decoding helpers ---------------------------------------------------------------


def _rows(value: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise PayloadError(f"Odoo {what}: expected a list of records")
    return value


def _id(value: Any, what: str) -> int | None:
    """A many2one is ``[id, "display name"]`` or ``false``."""
    if value is False or value is None:
        return None
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int):
        return value[0]
    raise PayloadError(f"Odoo {what}: {value!r:.40} is not a many2one value")


def _label(value: Any, what: str) -> str | None:
    if _id(value, what) is None:
        return None
    label = value[1]
    if not isinstance(label, str):
        raise PayloadError(f"Odoo {what}: the display name is not a string")
    return label


def _text(row: Mapping[str, Any], key: str, what: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"Odoo {what}: {key} is missing")
    return value


def _odoo_time(value: Any, what: str) -> str:
    """Odoo datetimes are UTC, ``YYYY-MM-DD HH:MM:SS`` → ISO 8601 with ``Z``."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", value):
        raise PayloadError(f"Odoo {what}: {value!r:.40} is not an Odoo datetime")
    return value.replace(" ", "T") + "Z"


def _row_id(row: Mapping[str, Any]) -> int:
    value = row.get("id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError("Odoo record without an integer id")
    return value


def _codes(products: Any) -> dict[int, str]:
    out: dict[int, str] = {}
    for row in _rows(products, "product.product"):
        pid, code = row.get("id"), row.get("default_code")
        if isinstance(pid, int) and isinstance(code, str) and code:
            out[pid] = code
    return out


def _product_ids(rows: Sequence[Mapping[str, Any]], what: str) -> list[int]:
    return sorted({p for r in rows if (p := _id(r.get("product_id"), what)) is not None})


def _sku(row: Mapping[str, Any], codes: Mapping[int, str], what: str) -> str:
    pid = _id(row.get("product_id"), what)
    if pid is None or pid not in codes:
        raise PayloadError(f"Odoo {what}: product {pid} has no internal reference (default_code)")
    return codes[pid]


# -- stock --------------------------------------------------------------------------


def stock_records(quants: Any, products: Any) -> list[dict[str, object]]:
    """``stock.quant`` rows + ``product.product`` rows → flat records for the profile."""
    codes = _codes(products)
    out: list[dict[str, object]] = []
    for row in _rows(quants, "stock.quant"):
        out.append(
            {
                "default_code": _sku(row, codes, "stock.quant"),
                "location_id": _label(row.get("location_id"), "stock.quant location_id"),
                "lot_id": _label(row.get("lot_id"), "stock.quant lot_id"),
                "quantity": row.get("quantity"),
                "reserved_quantity": row.get("reserved_quantity"),
                "product_uom_id": _label(row.get("product_uom_id"), "stock.quant uom"),
                "write_date": _odoo_time(row.get("write_date"), "stock.quant write_date"),
            }
        )
    return out


def canonical_stock(quants: Any, products: Any) -> list[CanonicalRecord]:
    """Recorded or fetched quant and product rows → canonical inventory records."""
    records = canonical_records(stock_records(quants, products), quant_profile())
    return [stock_at_location(r) for r in records]


def fetch_stock(client: OdooClient) -> list[CanonicalRecord]:
    """Quants in internal locations → canonical inventory records."""
    quants = client.call(
        "stock.quant",
        "search_read",
        domain=[["location_id.usage", "=", "internal"]],
        fields=list(QUANT_FIELDS),
    )
    ids = _product_ids(_rows(quants, "stock.quant"), "stock.quant")
    products = client.call("product.product", "read", ids=ids, fields=["default_code"])
    return canonical_stock(quants, products)


# -- purchase orders ----------------------------------------------------------------


def purchase_order_documents(orders: Any, lines: Any, products: Any) -> list[ImportedDocument]:
    """``purchase.order`` + ``purchase.order.line`` rows → ``purchase_order`` documents."""
    codes = _codes(products)
    by_order: dict[int, list[dict[str, object]]] = {}
    extras: dict[int, list[dict[str, object]]] = {}
    for row in _rows(lines, "purchase.order.line"):
        order = _id(row.get("order_id"), "purchase.order.line order_id")
        if order is None:
            raise PayloadError("Odoo purchase.order.line: order_id is missing")
        by_order.setdefault(order, []).append(
            {
                "default_code": _sku(row, codes, "purchase.order.line"),
                "product_qty": row.get("product_qty"),
                "product_uom": _label(
                    row.get("product_uom", row.get("product_uom_id")), "line uom"
                ),
            }
        )
        planned = row.get("date_planned")
        extras.setdefault(order, []).append(
            {
                "unit_price": price_text(row.get("price_unit")),
                "requested_date": None
                if planned in (None, False)
                else _odoo_time(planned, "purchase.order.line date_planned"),
            }
        )
    out: list[ImportedDocument] = []
    for row in _rows(orders, "purchase.order"):
        number = _text(row, "name", "purchase.order")
        body = {
            "po_number": number,
            "buyer": _label(row.get("company_id"), "purchase.order company_id"),
            "supplier": _label(row.get("partner_id"), "purchase.order partner_id"),
            "issued_at": _odoo_time(row.get("date_order"), "purchase.order date_order"),
            "currency": _label(row.get("currency_id"), "purchase.order currency_id"),
            "status": row.get("state"),
            "lines": [
                line | extra
                for line, extra in zip(
                    canonical_lines(
                        by_order.get(_row_id(row), []), line_profile(), "quantity_ordered"
                    ),
                    extras.get(_row_id(row), []),
                    strict=True,
                )
            ],
        }
        out.append(ImportedDocument("purchase_order", number, SOURCE, body))
    return out


def fetch_purchase_orders(
    client: OdooClient, *, states: Sequence[str] = ("purchase", "done")
) -> list[ImportedDocument]:
    orders = client.call(
        "purchase.order",
        "search_read",
        domain=[["state", "in", list(states)]],
        fields=["name", "partner_id", "company_id", "currency_id", "date_order", "state"],
    )
    order_ids = [r["id"] for r in _rows(orders, "purchase.order") if isinstance(r.get("id"), int)]
    lines = client.call(
        "purchase.order.line",
        "search_read",
        domain=[["order_id", "in", order_ids]],
        fields=[
            "order_id",
            "product_id",
            "product_qty",
            "product_uom",
            "price_unit",
            "date_planned",
        ],
    )
    ids = _product_ids(_rows(lines, "purchase.order.line"), "purchase.order.line")
    products = client.call("product.product", "read", ids=ids, fields=["default_code"])
    return purchase_order_documents(orders, lines, products)


# -- receipts -----------------------------------------------------------------------


def receipt_documents(pickings: Any, moves: Any, products: Any) -> list[ImportedDocument]:
    """Done incoming ``stock.picking`` + their ``stock.move`` → ``goods_receipt`` documents.

    Odoo keeps no supplier despatch number on a receipt by default; the picking's
    ``supplier_ref`` custom field is used when present, otherwise
    ``despatch_number`` is null and governance reports it as missing.
    """
    codes = _codes(products)
    by_picking: dict[int, list[dict[str, object]]] = {}
    for row in _rows(moves, "stock.move"):
        picking = _id(row.get("picking_id"), "stock.move picking_id")
        if picking is None:
            continue
        by_picking.setdefault(picking, []).append(
            {
                "default_code": _sku(row, codes, "stock.move"),
                "quantity": row.get("quantity"),
                "product_uom": _label(row.get("product_uom"), "stock.move product_uom"),
            }
        )
    out: list[ImportedDocument] = []
    for row in _rows(pickings, "stock.picking"):
        number = _text(row, "name", "stock.picking")
        origin = row.get("origin")
        body = {
            "receipt_number": number,
            "po_number": origin if isinstance(origin, str) and origin else None,
            "despatch_number": row.get("supplier_ref") or None,
            "supplier": _label(row.get("partner_id"), "stock.picking partner_id"),
            "received_at": _odoo_time(row.get("date_done"), "stock.picking date_done"),
            "lines": canonical_lines(
                by_picking.get(_row_id(row), []),
                move_profile(),
                "quantity_received",
            ),
        }
        out.append(ImportedDocument("goods_receipt", number, SOURCE, body))
    return out


def fetch_receipts(client: OdooClient) -> list[ImportedDocument]:
    pickings = client.call(
        "stock.picking",
        "search_read",
        domain=[["picking_type_code", "=", "incoming"], ["state", "=", "done"]],
        fields=["name", "origin", "partner_id", "date_done", "state"],
    )
    picking_ids = [
        r["id"] for r in _rows(pickings, "stock.picking") if isinstance(r.get("id"), int)
    ]
    moves = client.call(
        "stock.move",
        "search_read",
        domain=[["picking_id", "in", picking_ids], ["state", "=", "done"]],
        fields=["picking_id", "product_id", "quantity", "product_uom"],
    )
    ids = _product_ids(_rows(moves, "stock.move"), "stock.move")
    products = client.call("product.product", "read", ids=ids, fields=["default_code"])
    return receipt_documents(pickings, moves, products)
