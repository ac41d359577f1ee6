"""Imported purchase orders as the documents service's own model.

An ERP knows its partners by their ERP names; the network knows nodes. The
caller says which node is the buyer and which the supplier (its partner map), and
:func:`as_purchase_order` builds a version-1 :class:`node.documents.PurchaseOrder`
(line numbers in ERP order), checked by the documents service's own parser.
Goods receipts need the despatch advice they answer (its hash), which only the
documents service holds; they stay in the governance shape here.
"""

from __future__ import annotations

from typing import Any

from node.connectors._errors import PayloadError
from node.connectors._mapping import ImportedDocument
from node.documents import DocumentFormatError, PurchaseOrder, parse_document

__all__ = ["as_purchase_order"]


def as_purchase_order(doc: ImportedDocument, *, buyer: str, supplier: str) -> PurchaseOrder:
    """The imported order as a first version PO between two nodes; PayloadError if unusable."""
    if doc.document_type != "purchase_order":
        raise PayloadError(f"{doc.number} is a {doc.document_type}, not a purchase order")
    body = doc.body
    lines: list[dict[str, Any]] = [
        {
            "line": n,
            "sku": line.get("sku"),
            "quantity_ordered": line.get("quantity_ordered"),
            "uom": line.get("uom"),
            "unit_price": line.get("unit_price"),
            "requested_date": line.get("requested_date"),
        }
        for n, line in enumerate(body.get("lines", []), start=1)
    ]
    data = {
        "type": "purchase_order",
        "buyer": buyer,
        "supplier": supplier,
        "po_number": body.get("po_number"),
        "version": 1,
        "issued_at": body.get("issued_at"),
        "currency": body.get("currency"),
        "lines": lines,
    }
    try:
        document = parse_document(data)
    except DocumentFormatError as exc:
        raise PayloadError(f"{doc.source} order {doc.number}: {exc}") from None
    if not isinstance(document, PurchaseOrder):
        raise PayloadError(f"{doc.number} did not become a purchase order")
    return document
