"""ERPNext / Frappe connector: the REST API (read) and signed webhooks (push).

REST (Frappe framework documentation, *REST API*): ``GET /api/resource/<DocType>``
with ``fields``, ``filters``, ``limit_start`` and ``limit_page_length`` query
parameters answers ``{"data": [...]}``; ``GET /api/resource/<DocType>/<name>``
answers ``{"data": {...}}`` with child tables (``items``). Authentication is
``Authorization: token <api_key>:<api_secret>``. Errors carry ``exc_type`` /
``exception`` / ``message``; :class:`UpstreamError` keeps a short message only.

Read and mapped (through :func:`bin_profile`, :func:`po_line_profile`,
:func:`receipt_line_profile`):

* ``Bin`` (stock per item and warehouse) → canonical inventory records:
  ``actual_qty`` → on_hand, ``reserved_qty`` → reserved, ``ordered_qty`` → on_order;
* ``Purchase Order`` → governance ``purchase_order`` documents;
* ``Purchase Receipt`` → governance ``goods_receipt`` documents.

Frappe's datetimes carry no offset: they are in the site's time zone (System
Settings), which the caller passes as ``timezone`` (IANA name or ``±HH:MM``).
Webhook deliveries (see :mod:`node.connectors._webhook`) carry one document as
JSON — configure the Frappe webhook with request structure JSON and the body
``{{ doc.as_json() }}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Final
from urllib.parse import quote

import httpx

from governance import GovernanceError, resolve_zone
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
    "BIN_FIELDS",
    "DOCTYPES",
    "Delivery",
    "ErpNextClient",
    "bin_profile",
    "bin_records",
    "fetch_purchase_orders",
    "fetch_receipts",
    "fetch_stock",
    "parse_delivery",
    "po_line_profile",
    "purchase_order_document",
    "receipt_document",
    "receipt_line_profile",
]

SOURCE: Final = "erpnext"
BIN: Final = "Bin"
PURCHASE_ORDER: Final = "Purchase Order"
PURCHASE_RECEIPT: Final = "Purchase Receipt"
DOCTYPES: Final = (BIN, PURCHASE_ORDER, PURCHASE_RECEIPT)
BIN_FIELDS: Final = (
    "item_code",
    "warehouse",
    "actual_qty",
    "reserved_qty",
    "ordered_qty",
    "stock_uom",
    "modified",
)
PAGE: Final = 500
_FRAPPE_TIME: Final = re.compile(r"\d{4}-\d\d-\d\d( \d\d:\d\d:\d\d(\.\d{1,6})?)?")


@cache
def bin_profile() -> MappingProfile:
    return build_profile(
        f"{SOURCE}.bin",
        [
            ("item_code", "sku"),
            ("warehouse", "location"),
            ("actual_qty", "on_hand"),
            ("reserved_qty", "reserved"),
            ("ordered_qty", "on_order"),
            ("stock_uom", "uom"),
            ("modified", "timestamp"),
        ],
    )


@cache
def po_line_profile() -> MappingProfile:
    return build_profile(
        f"{SOURCE}.purchase-order-item",
        [("item_code", "sku"), ("qty", "quantity_ordered"), ("uom", "uom")],
    )


@cache
def receipt_line_profile() -> MappingProfile:
    return build_profile(
        f"{SOURCE}.purchase-receipt-item",
        [
            ("item_code", "sku"),
            ("received_qty", "quantity_received"),
            ("uom", "uom"),
            ("batch_no", "lot"),
        ],
    )


class ErpNextClient(ErpHttpClient):
    """A Frappe REST client; the key and secret go in one header and nowhere else."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = {"Authorization": f"token {api_key}:{api_secret}"}
        super().__init__(base_url, headers, transport=transport, timeout=timeout)

    def _get(self, path: str, params: Mapping[str, str | int], what: str) -> Any:
        try:
            response = self._http.get(path, params=dict(params))
        except httpx.HTTPError as exc:
            raise PayloadError(f"ERPNext {what}: {type(exc).__name__}") from None
        if response.status_code != httpx.codes.OK:
            raise error_message(response, ("message", "exception", "exc_type"))
        value = json_body(response, f"ERPNext {what}")
        if not isinstance(value, Mapping) or "data" not in value:
            raise PayloadError(f"ERPNext {what}: the answer has no 'data'")
        return value["data"]

    def list(
        self,
        doctype: str,
        *,
        fields: Sequence[str] = ("name",),
        filters: Sequence[Sequence[Any]] = (),
        limit: int | None = None,
    ) -> list[Mapping[str, Any]]:
        """Every matching row (paged by ``limit_start`` / ``limit_page_length``)."""
        out: list[Mapping[str, Any]] = []
        while True:
            page = PAGE if limit is None else min(PAGE, limit - len(out))
            params: dict[str, str | int] = {
                "fields": json.dumps(list(fields)),
                "limit_start": len(out),
                "limit_page_length": page,
            }
            if filters:
                params["filters"] = json.dumps([list(f) for f in filters])
            rows = _rows(self._get(f"/api/resource/{quote(doctype)}", params, doctype), doctype)
            out.extend(rows)
            if len(rows) < page or (limit is not None and len(out) >= limit):
                return out

    def get(self, doctype: str, name: str) -> Mapping[str, Any]:
        path = f"/api/resource/{quote(doctype)}/{quote(name, safe='')}"
        value = self._get(path, {}, f"{doctype} {name[:40]}")
        if not isinstance(value, Mapping):
            raise PayloadError(f"ERPNext {doctype}: the document is not an object")
        return value


def _rows(value: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise PayloadError(f"ERPNext {what}: expected a list of rows")
    return value


def _text(doc: Mapping[str, Any], key: str, what: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"ERPNext {what}: {key} is missing")
    return value


def _iso(value: Any, timezone: str, what: str) -> str:
    """A Frappe datetime (site time zone, no offset) → ISO 8601 with its offset."""
    if not isinstance(value, str) or not _FRAPPE_TIME.fullmatch(value):
        raise PayloadError(f"ERPNext {what}: {value!r:.40} is not a Frappe date or datetime")
    try:
        zone = resolve_zone(timezone)
    except GovernanceError as exc:
        raise PayloadError(f"time zone {timezone!r:.40}: {exc}") from None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"ERPNext {what}: {value!r:.40} is not a real date") from None
    return parsed.replace(tzinfo=zone).isoformat()


# -- stock --------------------------------------------------------------------------


def bin_records(rows: Any, *, timezone: str = "Z") -> list[CanonicalRecord]:
    """``Bin`` rows → canonical inventory records."""
    flat = [{k: row.get(k) for k in BIN_FIELDS} for row in _rows(rows, BIN)]
    for row in flat:
        row["modified"] = _iso(row["modified"], timezone, "Bin modified")
    return [stock_at_location(r) for r in canonical_records(flat, bin_profile())]


def fetch_stock(client: ErpNextClient, *, timezone: str = "Z") -> list[CanonicalRecord]:
    return bin_records(client.list(BIN, fields=BIN_FIELDS), timezone=timezone)


# -- documents ----------------------------------------------------------------------


def _items(doc: Mapping[str, Any], keys: Sequence[str], what: str) -> list[dict[str, object]]:
    return [{k: row.get(k) for k in keys} for row in _rows(doc.get("items"), f"{what} items")]


def purchase_order_document(doc: Mapping[str, Any], *, timezone: str = "Z") -> ImportedDocument:
    """A ``Purchase Order`` (with its items) → a ``purchase_order`` document."""
    number = _text(doc, "name", PURCHASE_ORDER)
    body = {
        "po_number": number,
        "buyer": doc.get("company"),
        "supplier": doc.get("supplier"),
        "issued_at": _iso(doc.get("creation") or doc.get("transaction_date"), timezone, number),
        "currency": doc.get("currency"),
        "status": doc.get("status"),
        "lines": [
            line | _po_extra(item, timezone, number)
            for line, item in zip(
                canonical_lines(
                    _items(doc, ("item_code", "qty", "uom"), number),
                    po_line_profile(),
                    "quantity_ordered",
                ),
                _rows(doc.get("items"), f"{number} items"),
                strict=True,
            )
        ],
    }
    return ImportedDocument("purchase_order", number, SOURCE, body)


def _po_extra(item: Mapping[str, Any], timezone: str, number: str) -> dict[str, Any]:
    """Price and requested date of a PO line (a date: midnight in the site's zone)."""
    wanted = item.get("schedule_date")
    return {
        "unit_price": price_text(item.get("rate")),
        "requested_date": _iso(wanted, timezone, number) if wanted else None,
    }


def receipt_document(doc: Mapping[str, Any], *, timezone: str = "Z") -> ImportedDocument:
    """A ``Purchase Receipt`` → a ``goods_receipt`` document.

    ``received_qty`` is what arrived (accepted + rejected); ``qty`` (accepted) and
    ``rejected_qty`` are kept per line as ``quantity_accepted``/``quantity_rejected``.
    """
    number = _text(doc, "name", PURCHASE_RECEIPT)
    items = _rows(doc.get("items"), f"{number} items")
    keys = ("item_code", "received_qty", "uom", "batch_no")
    lines = canonical_lines(_items(doc, keys, number), receipt_line_profile(), "quantity_received")
    for line, item in zip(lines, items, strict=True):
        line["quantity_accepted"] = item.get("qty")
        line["quantity_rejected"] = item.get("rejected_qty", 0)
    orders = sorted({o for i in items if isinstance(o := i.get("purchase_order"), str) and o})
    posted = f"{doc.get('posting_date')} {doc.get('posting_time') or '00:00:00'}"
    body = {
        "receipt_number": number,
        "po_number": orders[0] if orders else None,
        "po_numbers": orders,
        "despatch_number": doc.get("supplier_delivery_note") or None,
        "supplier": doc.get("supplier"),
        "received_at": _iso(posted, timezone, number),
        "lines": lines,
    }
    return ImportedDocument("goods_receipt", number, SOURCE, body)


def fetch_purchase_orders(client: ErpNextClient, *, timezone: str = "Z") -> list[ImportedDocument]:
    names = client.list(PURCHASE_ORDER, filters=[["docstatus", "=", 1]])
    return [
        purchase_order_document(
            client.get(PURCHASE_ORDER, _text(n, "name", PURCHASE_ORDER)), timezone=timezone
        )
        for n in names
    ]


def fetch_receipts(client: ErpNextClient, *, timezone: str = "Z") -> list[ImportedDocument]:
    names = client.list(PURCHASE_RECEIPT, filters=[["docstatus", "=", 1]])
    return [
        receipt_document(
            client.get(PURCHASE_RECEIPT, _text(n, "name", PURCHASE_RECEIPT)), timezone=timezone
        )
        for n in names
    ]


# -- webhook deliveries -------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One webhook body: the document, with what replay protection keys on."""

    doctype: str
    name: str
    modified: str
    doc: Mapping[str, Any]


def parse_delivery(body: bytes) -> Delivery:
    """The JSON document of a (signature-checked) webhook body; PayloadError otherwise."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PayloadError("the webhook body is not JSON") from None
    if not isinstance(doc, dict):
        raise PayloadError("the webhook body is not a JSON object (use {{ doc.as_json() }})")
    doctype = _text(doc, "doctype", "webhook")
    if doctype not in DOCTYPES:
        raise PayloadError(f"doctype {doctype[:40]!r} is not one of {', '.join(DOCTYPES)}")
    modified = _text(doc, "modified", "webhook")
    if not _FRAPPE_TIME.fullmatch(modified):
        raise PayloadError("webhook: modified is not a Frappe datetime")
    try:
        parsed = datetime.fromisoformat(modified)
    except ValueError:
        raise PayloadError(f"webhook: modified {modified!r} is not a real date") from None
    # one fixed width, so that later versions compare greater as text
    stamp = parsed.strftime("%Y-%m-%d %H:%M:%S.%f")
    return Delivery(doctype, _text(doc, "name", "webhook"), stamp, doc)
