"""ERP goods receipts as signed goods-receipt documents for the supplier's node.

An ERPNext ``Purchase Receipt`` or an Odoo incoming picking, once mapped into the
governance shape (:class:`ImportedDocument`), names the purchase order and (where
the ERP keeps it) the supplier's delivery note. :func:`send_receipt` finds that
order's chain on this node (the buyer), the despatch advice the receipt answers
(by its number; without one, the only despatch of the order not yet received),
matches each ERP line to a despatch line by sku (and lot, where both give one),
and creates the goods receipt through the documents service: signed by this node,
recorded on its ledger, queued for the supplier's node that sent the despatch, and
compared with the despatch by governance. The same ERP receipt arriving again
(a webhook replay with a new ``modified``, a second pull) returns the document
already made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from node.connectors._errors import PayloadError
from node.connectors._mapping import ImportedDocument
from node.documents import (
    ChainState,
    DespatchAdvice,
    DespatchLine,
    DocumentNotFoundError,
    DocumentService,
    StoredDocument,
)
from node.peers.registry import PeerNotFoundError, PeerRegistry

__all__ = ["SentReceipt", "receipt_body", "send_receipt"]

MAX_WHOLE: Final = 2**53


@dataclass(frozen=True)
class SentReceipt:
    stored: StoredDocument
    created: bool  # False: this ERP receipt had been turned into a document already


def _whole(value: object, what: str) -> int:
    """An ERP quantity (``250.0``) as whole units; PayloadError for fractions."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{what} is not a number: {value!r:.40}")
    if isinstance(value, float) and not math.isfinite(value):
        raise PayloadError(f"{what} is not a finite number")
    if value < 0 or value >= MAX_WHOLE or int(value) != value:
        raise PayloadError(f"{what} must be a whole non-negative number of units, got {value:g}")
    return int(value)


def _pick_despatch(doc: ImportedDocument, state: ChainState) -> DespatchAdvice:
    wanted = doc.body.get("despatch_number")
    if isinstance(wanted, str) and wanted:
        found = state.despatches.get(wanted)
        if found is None:
            raise PayloadError(
                f"receipt {doc.number}: despatch {wanted!r} of purchase order "
                f"{state.latest.po_number} has not reached this node"
            )
        return found[0]
    open_ = [a for n, (a, _) in sorted(state.despatches.items()) if n not in state.receipts]
    if len(open_) != 1:
        names = ", ".join(a.despatch_number for a in open_) or "none"
        raise PayloadError(
            f"receipt {doc.number} names no despatch and purchase order "
            f"{state.latest.po_number} has {len(open_)} open despatches ({names}); "
            "record the supplier's delivery note on the receipt"
        )
    return open_[0]


def _despatch_line(advice: DespatchAdvice, line: Mapping[str, Any], what: str) -> DespatchLine:
    sku, lot = line.get("sku"), line.get("lot")
    found = [x for x in advice.lines if x.sku == sku and (not lot or not x.lot or x.lot == lot)]
    if not found:
        raise PayloadError(f"{what}: {sku!r:.60} was not on despatch {advice.despatch_number}")
    if len(found) > 1:
        raise PayloadError(
            f"{what}: {sku!r:.60} is on several lines of despatch {advice.despatch_number}; "
            "the receipt must give the lot"
        )
    return found[0]


def receipt_body(doc: ImportedDocument, advice: DespatchAdvice) -> dict[str, Any]:
    """The goods-receipt body the documents service signs (pure)."""
    if doc.document_type != "goods_receipt":
        raise PayloadError(f"{doc.number} is a {doc.document_type}, not a goods receipt")
    lines = doc.body.get("lines")
    if not isinstance(lines, list) or not lines:
        raise PayloadError(f"receipt {doc.number} has no lines")
    totals: dict[int, dict[str, Any]] = {}
    for i, line in enumerate(lines):
        what = f"receipt {doc.number} line {i + 1}"
        if not isinstance(line, Mapping):
            raise PayloadError(f"{what} is not an object")
        target = _despatch_line(advice, line, what)
        received = _whole(line.get("quantity_received"), f"{what} quantity_received")
        rejected = _whole(line.get("quantity_rejected") or 0, f"{what} quantity_rejected")
        accepted_raw = line.get("quantity_accepted")
        accepted = (
            received - rejected
            if accepted_raw is None
            else _whole(accepted_raw, f"{what} quantity_accepted")
        )
        if accepted + rejected > received:
            raise PayloadError(
                f"{what}: accepted {accepted} + rejected {rejected} exceed received {received}"
            )
        row = totals.setdefault(
            target.line,
            {
                "line": target.line,
                "sku": target.sku,
                "lot": line.get("lot") or target.lot,
                "quantity_received": 0,
                "quantity_accepted": 0,
                "quantity_in_inspection": 0,
                "quantity_rejected": 0,
            },
        )
        row["quantity_received"] += received
        row["quantity_accepted"] += accepted
        row["quantity_rejected"] += rejected
        row["quantity_in_inspection"] += received - accepted - rejected
    out = []
    for row in (totals[n] for n in sorted(totals)):
        if row["lot"] is None:
            del row["lot"]
        if row["quantity_rejected"]:
            row["reason"] = f"rejected at receipt ({doc.source} {doc.number})"
        out.append(row)
    received_at = doc.body.get("received_at")
    return {
        "type": "goods_receipt",
        "po_number": advice.po_number,
        "despatch_number": advice.despatch_number,
        "receipt_number": doc.number,
        "issued_at": received_at,
        "received_at": received_at,
        "lines": out,
    }


def send_receipt(service: DocumentService, doc: ImportedDocument, now_ms: int) -> SentReceipt:
    """Create (or find) the goods receipt for an ERP receipt; see the module docstring.

    Raises PayloadError when the receipt cannot be matched to a purchase order and
    despatch on this node, and the documents service's errors when it refuses it."""
    po_number = doc.body.get("po_number")
    if not isinstance(po_number, str) or not po_number:
        raise PayloadError(f"receipt {doc.number} names no purchase order")
    buyer = service.signer().name
    try:
        state = service.chain(f"{buyer}/{po_number}")
    except DocumentNotFoundError:
        raise PayloadError(
            f"receipt {doc.number}: purchase order {po_number!r} was not issued by this node "
            "over the network"
        ) from None
    for receipt, digest in state.receipts.values():
        if receipt.receipt_number == doc.number:
            return SentReceipt(service.get(digest), created=False)
    advice = _pick_despatch(doc, state)
    despatch = service.get(state.despatches[advice.despatch_number][1])
    with service.engine.connect() as conn:
        try:
            peer = PeerRegistry(conn).get(despatch.peer_id)
        except PeerNotFoundError:
            raise PayloadError(
                f"receipt {doc.number}: the supplier's node {despatch.counterparty} is "
                "no longer a peer"
            ) from None
    stored = service.create(receipt_body(doc, advice), peer, now_ms)
    return SentReceipt(stored, created=True)
