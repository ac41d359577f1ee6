"""Parsing documents from untrusted JSON: every problem is a DocumentFormatError
that names the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from node.documents import _fields as f
from node.documents._errors import DocumentFormatError
from node.documents._models import (
    HASH_HEX,
    AckLine,
    AckStatus,
    DespatchAdvice,
    DespatchLine,
    Document,
    DocumentType,
    GoodsReceipt,
    OrderAck,
    PoLine,
    PurchaseOrder,
    ReceiptLine,
)

__all__ = ["parse_document"]


def _hash_ref(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if (
        not isinstance(value, str)
        or len(value) != HASH_HEX
        or any(c not in "0123456789abcdef" for c in value)
    ):
        raise DocumentFormatError(f"{what}.{key} must be a document hash (64 lowercase hex)")
    return value


def _parties(data: Mapping[str, Any], what: str) -> dict[str, str]:
    return {k: f.text(data, k, what) for k in ("buyer", "supplier", "po_number")}


def _unique_lines(lines: tuple[PoLine, ...] | tuple[AckLine, ...], what: str) -> None:
    seen = [x.line for x in lines]
    if len(set(seen)) != len(seen):
        raise DocumentFormatError(f"{what}: line numbers must be unique")


def _line_no(row: Mapping[str, Any], what: str) -> int:
    return f.quantity(row, "line", what, positive=True)


def _po(data: Mapping[str, Any]) -> PurchaseOrder:
    w = "purchase_order"
    version = f.quantity(data, "version", w, positive=True)
    lines = tuple(
        PoLine(
            line=_line_no(r, f"{w}.lines[{i}]"),
            sku=f.text(r, "sku", f"{w}.lines[{i}]"),
            quantity_ordered=f.quantity(r, "quantity_ordered", f"{w}.lines[{i}]"),
            uom=f.text(r, "uom", f"{w}.lines[{i}]"),
            unit_price=f.price(r, "unit_price", f"{w}.lines[{i}]"),
            requested_date=f.timestamp(r, "requested_date", f"{w}.lines[{i}]"),
        )
        for i, r in enumerate(f.rows(data, "lines", w))
    )
    supersedes = None if version == 1 else _hash_ref(data, "supersedes", w)
    if version == 1 and data.get("supersedes") is not None:
        raise DocumentFormatError("purchase_order: version 1 supersedes nothing")
    return PurchaseOrder(
        **_parties(data, w),
        version=version,
        issued_at=f.timestamp(data, "issued_at", w),
        currency=f.text(data, "currency", w),
        lines=lines,
        supersedes=supersedes,
    )


def _ack(data: Mapping[str, Any]) -> OrderAck:
    w = "order_ack"
    try:
        status = AckStatus(str(data.get("status")))
    except ValueError:
        raise DocumentFormatError(
            "order_ack.status must be accepted, rejected or partial"
        ) from None
    raw = data.get("lines") or []
    lines = (
        tuple(
            AckLine(
                line=_line_no(r, f"{w}.lines[{i}]"),
                quantity_accepted=f.quantity(r, "quantity_accepted", f"{w}.lines[{i}]"),
            )
            for i, r in enumerate(f.rows(data, "lines", w))
        )
        if raw
        else ()
    )
    if (status is AckStatus.PARTIAL) != bool(lines):
        raise DocumentFormatError("order_ack: per-line quantities go with status partial only")
    return OrderAck(
        **_parties(data, w),
        po_version=f.quantity(data, "po_version", w, positive=True),
        po_hash=_hash_ref(data, "po_hash", w),
        issued_at=f.timestamp(data, "issued_at", w),
        status=status,
        lines=lines,
        reason=f.opt_text(data, "reason", w),
    )


def _desadv(data: Mapping[str, Any]) -> DespatchAdvice:
    w = "despatch_advice"
    lines = tuple(
        DespatchLine(
            line=_line_no(r, f"{w}.lines[{i}]"),
            sku=f.text(r, "sku", f"{w}.lines[{i}]"),
            lot=f.opt_text(r, "lot", f"{w}.lines[{i}]"),
            quantity_shipped=f.quantity(r, "quantity_shipped", f"{w}.lines[{i}]", positive=True),
        )
        for i, r in enumerate(f.rows(data, "lines", w))
    )
    return DespatchAdvice(
        **_parties(data, w),
        despatch_number=f.text(data, "despatch_number", w),
        po_version=f.quantity(data, "po_version", w, positive=True),
        ack_hash=_hash_ref(data, "ack_hash", w),
        issued_at=f.timestamp(data, "issued_at", w),
        shipped_at=f.timestamp(data, "shipped_at", w),
        expected_arrival=f.timestamp(data, "expected_arrival", w),
        lines=lines,
    )


def _recadv(data: Mapping[str, Any]) -> GoodsReceipt:
    w = "goods_receipt"
    lines = []
    for i, r in enumerate(f.rows(data, "lines", w)):
        at = f"{w}.lines[{i}]"
        line = ReceiptLine(
            line=_line_no(r, at),
            sku=f.text(r, "sku", at),
            lot=f.opt_text(r, "lot", at),
            quantity_received=f.quantity(r, "quantity_received", at),
            quantity_accepted=f.quantity(r, "quantity_accepted", at),
            quantity_in_inspection=f.quantity(r, "quantity_in_inspection", at),
            quantity_rejected=f.quantity(r, "quantity_rejected", at),
            reason=f.opt_text(r, "reason", at),
        )
        split = line.quantity_accepted + line.quantity_in_inspection + line.quantity_rejected
        if split != line.quantity_received:
            raise DocumentFormatError(
                f"{at}: accepted + in inspection + rejected ({split}) must equal "
                f"quantity_received ({line.quantity_received})"
            )
        if line.quantity_rejected and line.reason is None:
            raise DocumentFormatError(f"{at}: a rejected quantity needs a reason")
        lines.append(line)
    return GoodsReceipt(
        **_parties(data, w),
        receipt_number=f.text(data, "receipt_number", w),
        despatch_number=f.text(data, "despatch_number", w),
        despatch_hash=_hash_ref(data, "despatch_hash", w),
        issued_at=f.timestamp(data, "issued_at", w),
        received_at=f.timestamp(data, "received_at", w),
        lines=tuple(lines),
    )


_PARSERS: Final[dict[DocumentType, Callable[[Mapping[str, Any]], Document]]] = {
    DocumentType.PURCHASE_ORDER: _po,
    DocumentType.ORDER_ACK: _ack,
    DocumentType.DESPATCH_ADVICE: _desadv,
    DocumentType.GOODS_RECEIPT: _recadv,
}


def parse_document(data: object) -> Document:
    """A typed document from its JSON form; :class:`DocumentFormatError` otherwise."""
    body = f.mapping(data, "document")
    kind = body.get("type")
    try:
        parser = _PARSERS[DocumentType(str(kind))]
    except ValueError:
        known = ", ".join(t.value for t in DocumentType)
        raise DocumentFormatError(f"document.type must be one of {known}") from None
    document: Document = parser(body)
    document._header(str(kind))
    if isinstance(document, PurchaseOrder | OrderAck):
        _unique_lines(document.lines, str(kind))
    return document
