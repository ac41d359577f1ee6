"""Inventory effects of documents, as data for the inventory publishing pipeline.

A despatch moves the shipped quantity out of the supplier's ``available`` (and
``on_hand``) stock into ``in_transit``, which both parties' views show. A receipt
takes the shipped quantity out of ``in_transit`` on both sides and puts what
arrived into the buyer's stock: the accepted part in ``available``, the part
awaiting quality release in ``in_inspection`` (both count in ``on_hand``);
rejected goods do not enter the buyer's stock. Orders and acknowledgements move
no stock. Bucket names are the vocabulary's.

:mod:`node.inventory` consumes them: the next snapshot a node publishes after a
document is recorded carries, per item and bucket the document moved, a sum
statement old + receipts − shipments (± an explicit adjustment) = new over
commitments (see docs/publishing.md, section 6).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.documents._errors import DocumentError
from node.documents._models import DespatchAdvice, Document, GoodsReceipt

__all__ = ["BucketDelta", "inventory_effects"]


@dataclass(frozen=True)
class BucketDelta:
    party: str  # node key name whose view changes
    sku: str
    lot: str | None
    bucket: str
    delta: int


def _despatch(advice: DespatchAdvice) -> list[BucketDelta]:
    out = []
    for x in advice.lines:
        q = x.quantity_shipped
        out += [
            BucketDelta(advice.supplier, x.sku, x.lot, "available", -q),
            BucketDelta(advice.supplier, x.sku, x.lot, "on_hand", -q),
            BucketDelta(advice.supplier, x.sku, x.lot, "in_transit", q),
            BucketDelta(advice.buyer, x.sku, x.lot, "in_transit", q),
        ]
    return out


def _receipt(receipt: GoodsReceipt, advice: DespatchAdvice) -> list[BucketDelta]:
    shipped: dict[tuple[int, str, str | None], int] = {}
    for s in advice.lines:
        key = (s.line, s.sku, s.lot)
        shipped[key] = shipped.get(key, 0) + s.quantity_shipped
    out = []
    for (_, sku, lot), q in sorted(shipped.items(), key=lambda kv: (kv[0][0], kv[0][2] or "")):
        out += [
            BucketDelta(advice.supplier, sku, lot, "in_transit", -q),
            BucketDelta(advice.buyer, sku, lot, "in_transit", -q),
        ]
    for x in receipt.lines:
        for bucket, q in (
            ("available", x.quantity_accepted),
            ("in_inspection", x.quantity_in_inspection),
            ("on_hand", x.quantity_accepted + x.quantity_in_inspection),
        ):
            if q:
                out.append(BucketDelta(receipt.buyer, x.sku, x.lot, bucket, q))
    return out


def inventory_effects(
    document: Document, despatch: DespatchAdvice | None = None
) -> tuple[BucketDelta, ...]:
    """Bucket deltas per party; a receipt needs the despatch it answers."""
    if isinstance(document, DespatchAdvice):
        return tuple(_despatch(document))
    if isinstance(document, GoodsReceipt):
        if despatch is None or despatch.despatch_number != document.despatch_number:
            raise DocumentError("a receipt's effects need the despatch it answers")
        return tuple(_receipt(document, despatch))
    return ()
