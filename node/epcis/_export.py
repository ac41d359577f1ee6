"""Documents and stock positions → EPCIS 2.0 JSON-LD events and documents.

* A despatch advice becomes one ObjectEvent (``OBSERVE``, bizStep ``shipping``,
  disposition ``in_transit``) with the shipped quantities.
* A goods receipt becomes one ObjectEvent per state of what arrived (bizStep
  ``receiving``): accepted → ``available`` (vocabulary ``available``), awaiting
  quality release → ``container_open`` (the CBV disposition the vocabulary aligns
  with ``in_inspection``), rejected → ``non_conformant`` (``blocked``).
* A stock position becomes an ObjectEvent (bizStep ``storing``) whose disposition
  is one the vocabulary aligns with its bucket.

Each event lists the business transactions it belongs to (``po``, ``desadv``,
``recadv``) as URNs of this network (``urn:scnode:<type>:<party>:<number>``), and
its quantities in ``quantityList`` (class ``urn:scnode:sku:<sku>``, or the SKU
itself when it is already a URI such as a GS1 Digital Link, with ``:lot:<lot>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from node.documents import DespatchAdvice, Document, GoodsReceipt
from node.epcis._errors import EpcisError

__all__ = [
    "BUCKET_DISPOSITION",
    "EPCIS_CONTEXT",
    "Position",
    "biz_transaction",
    "despatch_event",
    "document_events",
    "epcis_document",
    "inventory_event",
    "receipt_events",
]

EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: The disposition exported for each vocabulary bucket (each aligns back to it).
BUCKET_DISPOSITION: Final = {
    "available": "available",
    "in_transit": "in_transit",
    "in_inspection": "container_open",
    "reserved": "container_closed",
    "blocked": "non_conformant",
    "damaged": "damaged",
    "on_hand": "in_progress",
}


def _q(text: str) -> str:
    return quote(text, safe="")


def biz_transaction(kind: str, party: str, number: str) -> dict[str, str]:
    return {"type": kind, "bizTransaction": f"urn:scnode:{kind}:{_q(party)}:{_q(number)}"}


def _epc_class(sku: str, lot: str | None) -> str:
    base = sku if sku.startswith(("https://", "http://", "urn:")) else f"urn:scnode:sku:{_q(sku)}"
    if lot is None:
        return base
    if base.startswith("http") and "/01/" in base and "/10/" not in base:
        return f"{base}/10/{_q(lot)}"  # GS1 Digital Link: batch/lot is AI 10
    return f"{base}:lot:{_q(lot)}"


def _time(value: str) -> tuple[str, str]:
    """eventTime and eventTimeZoneOffset of an RFC 3339 timestamp."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise EpcisError(f"not an RFC 3339 time: {value[:40]!r}") from None
    offset = parsed.utcoffset()
    if offset is None:
        raise EpcisError(f"time without an offset: {value[:40]!r}")
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    return parsed.isoformat(), f"{sign}{hh:02d}:{mm:02d}"


def _uom(uom: str) -> str:
    if re.fullmatch(r"[A-Z0-9]{2,3}", uom) is None:
        raise EpcisError(f"unit {uom!r} is not a UN/ECE Rec 20 code (e.g. EA, KGM)")
    return uom


def _event(
    when: str,
    biz_step: str,
    disposition: str,
    quantities: list[dict[str, Any]],
    transactions: list[dict[str, str]],
) -> dict[str, Any]:
    event_time, offset = _time(when)
    return {
        "type": "ObjectEvent",
        "eventTime": event_time,
        "eventTimeZoneOffset": offset,
        "quantityList": quantities,
        "action": "OBSERVE",
        "bizStep": biz_step,
        "disposition": disposition,
        "bizTransactionList": transactions,
    }


def despatch_event(advice: DespatchAdvice, uom: str = "EA") -> dict[str, Any]:
    quantities = [
        {"epcClass": _epc_class(x.sku, x.lot), "quantity": x.quantity_shipped, "uom": _uom(uom)}
        for x in advice.lines
    ]
    transactions = [
        biz_transaction("po", advice.buyer, advice.po_number),
        biz_transaction("desadv", advice.supplier, advice.despatch_number),
    ]
    return _event(advice.shipped_at, "shipping", "in_transit", quantities, transactions)


def receipt_events(receipt: GoodsReceipt, uom: str = "EA") -> list[dict[str, Any]]:
    transactions = [
        biz_transaction("po", receipt.buyer, receipt.po_number),
        biz_transaction("desadv", receipt.supplier, receipt.despatch_number),
        biz_transaction("recadv", receipt.buyer, receipt.receipt_number),
    ]
    out = []
    for field, bucket in (
        ("quantity_accepted", "available"),
        ("quantity_in_inspection", "in_inspection"),
        ("quantity_rejected", "blocked"),
    ):
        quantities = [
            {"epcClass": _epc_class(x.sku, x.lot), "quantity": getattr(x, field), "uom": _uom(uom)}
            for x in receipt.lines
            if getattr(x, field)
        ]
        if quantities:
            disposition = BUCKET_DISPOSITION[bucket]
            out.append(
                _event(receipt.received_at, "receiving", disposition, quantities, transactions)
            )
    return out


def document_events(document: Document) -> list[dict[str, Any]]:
    """The EPCIS events of a document: shipping for a despatch, receiving for a
    receipt, none for orders and acknowledgements (they move no goods)."""
    if isinstance(document, DespatchAdvice):
        return [despatch_event(document)]
    if isinstance(document, GoodsReceipt):
        return receipt_events(document)
    return []


@dataclass(frozen=True)
class Position:
    """One bucket of stock of one item at one location at one time."""

    sku: str
    bucket: str
    quantity: int
    as_of: str
    location: str | None = None
    lot: str | None = None
    uom: str = "EA"


def inventory_event(position: Position) -> dict[str, Any]:
    disposition = BUCKET_DISPOSITION.get(position.bucket)
    if disposition is None:
        raise EpcisError(f"bucket {position.bucket!r} has no CBV disposition")
    if position.quantity < 0:
        raise EpcisError("a stock quantity cannot be negative")
    quantity = {
        "epcClass": _epc_class(position.sku, position.lot),
        "quantity": position.quantity,
        "uom": _uom(position.uom),
    }
    event = _event(position.as_of, "storing", disposition, [quantity], [])
    del event["bizTransactionList"]
    if position.location is not None:
        event["bizLocation"] = {"id": _location(position.location)}
    return event


def _location(location: str) -> str:
    if location.startswith(("https://", "http://", "urn:")):
        return location
    return f"urn:scnode:location:{_q(location)}"


def epcis_document(
    events: list[dict[str, Any]], *, created: str, document_id: str
) -> dict[str, Any]:
    """An EPCISDocument holding ``events`` (``created``: RFC 3339 creation time)."""
    return {
        "@context": [EPCIS_CONTEXT],
        "id": document_id,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _time(created)[0],
        "epcisBody": {"eventList": events},
    }
