"""Orders committed per sku and week, from the purchase-order documents of a chain.

Pure: documents in, ``(sku, week) → open quantity`` out. Per purchase-order chain
(buyer + PO number) the newest PO version counts; an order the supplier rejected
counts for nothing, a partial acceptance for the accepted quantities; what was
already despatched is no longer open. The week is the ISO week of the line's
requested date (in the offset the buyer wrote it in).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from node.documents import AckStatus, DespatchAdvice, Document, OrderAck, PurchaseOrder
from node.planning._weeks import Week, week_of

__all__ = ["committed_orders"]


_Shipped = dict[tuple[str, int], int]


def _by_chain(
    documents: Iterable[Document],
) -> tuple[dict[str, PurchaseOrder], dict[str, OrderAck], _Shipped]:
    orders: dict[str, PurchaseOrder] = {}
    acks: dict[str, OrderAck] = {}
    shipped: _Shipped = {}
    for doc in documents:
        chain = doc.chain_id
        if isinstance(doc, PurchaseOrder):
            if chain not in orders or doc.version > orders[chain].version:
                orders[chain] = doc
        elif isinstance(doc, OrderAck):
            if chain not in acks or doc.po_version >= acks[chain].po_version:
                acks[chain] = doc
        elif isinstance(doc, DespatchAdvice):
            for item in doc.lines:
                shipped[(chain, item.line)] = (
                    shipped.get((chain, item.line), 0) + item.quantity_shipped
                )
    return orders, acks, shipped


def committed_orders(documents: Iterable[Document]) -> dict[tuple[str, Week], int]:
    """Open ordered quantity per (sku, requested week) over the given documents."""
    orders, acks, shipped = _by_chain(documents)
    out: dict[tuple[str, Week], int] = {}
    for chain, order in orders.items():
        ack = acks.get(chain)
        accepted: dict[int, int] = {}
        if ack is not None and ack.po_version == order.version:
            if ack.status is AckStatus.REJECTED:
                continue
            accepted = {x.line: x.quantity_accepted for x in ack.lines}
        for line in order.lines:
            wanted = accepted.get(line.line, line.quantity_ordered)
            open_qty = max(0, wanted - shipped.get((chain, line.line), 0))
            if open_qty:
                when = datetime.fromisoformat(line.requested_date.replace("Z", "+00:00"))
                slot = (line.sku, week_of(when))
                out[slot] = out.get(slot, 0) + open_qty
    return out
