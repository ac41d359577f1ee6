"""Canonical business documents: purchase order (with change-order versions), order
acknowledgement, despatch advice, goods receipt.

Field names follow the vocabulary and the governance rule set's document rules
(``po_number``, ``quantity_ordered``, ``quantity_shipped``, ``quantity_received``,
``expected_arrival``, ...), so the documents feed ``governance.check_document`` and
``governance.compare_receipt`` unchanged. Quantities are whole units of the line's
unit of measure; prices are decimal strings; times are RFC 3339 with an offset.

Every document names its two parties (``buyer`` and ``supplier``, node key names)
and, except a first purchase order, the hash of the document it builds on, so a
chain is ordered by its references rather than by arrival.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, ClassVar, Final

from ledger import JSONValue
from node.documents._errors import DocumentFormatError

__all__ = [
    "HASH_HEX",
    "AckLine",
    "AckStatus",
    "DespatchAdvice",
    "DespatchLine",
    "Document",
    "DocumentType",
    "GoodsReceipt",
    "OrderAck",
    "PoLine",
    "PurchaseOrder",
    "ReceiptLine",
    "document_json",
]

HASH_HEX: Final = 64


class DocumentType(StrEnum):
    PURCHASE_ORDER = "purchase_order"
    ORDER_ACK = "order_ack"
    DESPATCH_ADVICE = "despatch_advice"
    GOODS_RECEIPT = "goods_receipt"


class AckStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTIAL = "partial"


@dataclass(frozen=True)
class _Parties:
    buyer: str
    supplier: str
    po_number: str

    @property
    def chain_id(self) -> str:
        """Purchase order numbers are unique per buyer."""
        return f"{self.buyer}/{self.po_number}"

    def _header(self, what: str) -> None:
        if self.buyer == self.supplier:
            raise DocumentFormatError(f"{what}: buyer and supplier must be different nodes")


@dataclass(frozen=True)
class PoLine:
    line: int
    sku: str
    quantity_ordered: int
    uom: str
    unit_price: str
    requested_date: str


@dataclass(frozen=True)
class PurchaseOrder(_Parties):
    version: int
    issued_at: str
    currency: str
    lines: tuple[PoLine, ...]
    supersedes: str | None  # hash of the previous version (a change order's base)

    type: ClassVar[DocumentType] = DocumentType.PURCHASE_ORDER

    @property
    def doc_id(self) -> str:
        return f"po:{self.po_number}:v{self.version}"

    @property
    def author(self) -> str:
        return self.buyer

    @property
    def refs(self) -> tuple[str, ...]:
        return () if self.supersedes is None else (self.supersedes,)

    def line_map(self) -> dict[int, PoLine]:
        return {x.line: x for x in self.lines}


@dataclass(frozen=True)
class AckLine:
    line: int
    quantity_accepted: int


@dataclass(frozen=True)
class OrderAck(_Parties):
    po_version: int
    po_hash: str
    issued_at: str
    status: AckStatus
    lines: tuple[AckLine, ...]  # per-line accepted quantities (partial only)
    reason: str | None

    type: ClassVar[DocumentType] = DocumentType.ORDER_ACK

    @property
    def doc_id(self) -> str:
        return f"ack:{self.po_number}:v{self.po_version}"

    @property
    def author(self) -> str:
        return self.supplier

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.po_hash,)


@dataclass(frozen=True)
class DespatchLine:
    line: int  # the PO line shipped
    sku: str
    lot: str | None
    quantity_shipped: int


@dataclass(frozen=True)
class DespatchAdvice(_Parties):
    despatch_number: str
    po_version: int
    ack_hash: str
    issued_at: str
    shipped_at: str
    expected_arrival: str
    lines: tuple[DespatchLine, ...]

    type: ClassVar[DocumentType] = DocumentType.DESPATCH_ADVICE

    @property
    def doc_id(self) -> str:
        return f"desadv:{self.despatch_number}"

    @property
    def author(self) -> str:
        return self.supplier

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.ack_hash,)


@dataclass(frozen=True)
class ReceiptLine:
    line: int
    sku: str
    lot: str | None
    quantity_received: int
    quantity_accepted: int
    quantity_in_inspection: int
    quantity_rejected: int
    reason: str | None  # why anything was rejected


@dataclass(frozen=True)
class GoodsReceipt(_Parties):
    receipt_number: str
    despatch_number: str
    despatch_hash: str
    issued_at: str
    received_at: str
    lines: tuple[ReceiptLine, ...]

    type: ClassVar[DocumentType] = DocumentType.GOODS_RECEIPT

    @property
    def doc_id(self) -> str:
        return f"recadv:{self.receipt_number}"

    @property
    def author(self) -> str:
        return self.buyer

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.despatch_hash,)


Document = PurchaseOrder | OrderAck | DespatchAdvice | GoodsReceipt


def document_json(document: Document) -> dict[str, JSONValue]:
    """The JSON form (the inverse of :func:`parse_document`); ``None`` fields are omitted."""
    out: dict[str, Any] = {"type": document.type.value}
    for key, value in asdict(document).items():
        if value is None:
            continue
        if key == "lines":
            out[key] = [{k: v for k, v in line.items() if v is not None} for line in value]
        else:
            out[key] = value.value if isinstance(value, StrEnum) else value
    return out
