"""Business documents between two nodes: purchase orders (with change orders), order
acknowledgements, despatch advices and goods receipts.

Canonical models (:mod:`._models`), signing and hashing (:mod:`._signed`), the
pure per-chain state machine (:mod:`._machine`), inventory effects as data
(:mod:`._effects`), and the I/O edge: tables, the service that creates and
receives documents, and their point-to-point delivery.
"""

from node.documents._cases import receipt_cases
from node.documents._delivery import DOCUMENTS_INBOX_PATH, DeliveryResult, deliver_pending
from node.documents._effects import BucketDelta, inventory_effects
from node.documents._errors import (
    DocumentError,
    DocumentFormatError,
    DocumentNotFoundError,
    DocumentSignatureError,
    OutOfOrderError,
    TransitionError,
)
from node.documents._evidence import (
    EVIDENCE_FORMAT,
    EvidenceReport,
    build_evidence,
    verify_evidence,
)
from node.documents._gauges import DeliveryGauges, delivery_gauges
from node.documents._import import ImportResult, import_documents, read_export
from node.documents._import_map import (
    FieldChoice,
    ImportMappingError,
    MappingPlan,
    document_vocabulary,
    plan_mapping,
)
from node.documents._machine import OVER_SHIPMENT, ChainState, ChainStatus, apply
from node.documents._models import (
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
    document_json,
)
from node.documents._parse import parse_document
from node.documents._service import (
    DOCUMENT_RECEIVED,
    DOCUMENT_SENT,
    DocumentService,
    ReceiptHook,
    chain_digest,
)
from node.documents._signed import (
    DOCUMENT_HASH_TAG,
    SignedDocument,
    canonical_bytes,
    document_hash,
    sign_document,
)
from node.documents._store import StoredDocument
from node.documents._tables import document_events, metadata
from node.documents._worker import DeliveryWorker

__all__ = [
    "DOCUMENTS_INBOX_PATH",
    "DOCUMENT_HASH_TAG",
    "DOCUMENT_RECEIVED",
    "DOCUMENT_SENT",
    "EVIDENCE_FORMAT",
    "OVER_SHIPMENT",
    "AckLine",
    "AckStatus",
    "BucketDelta",
    "ChainState",
    "ChainStatus",
    "DeliveryGauges",
    "DeliveryResult",
    "DeliveryWorker",
    "DespatchAdvice",
    "DespatchLine",
    "Document",
    "DocumentError",
    "DocumentFormatError",
    "DocumentNotFoundError",
    "DocumentService",
    "DocumentSignatureError",
    "DocumentType",
    "EvidenceReport",
    "FieldChoice",
    "GoodsReceipt",
    "ImportMappingError",
    "ImportResult",
    "MappingPlan",
    "OrderAck",
    "OutOfOrderError",
    "PoLine",
    "PurchaseOrder",
    "ReceiptHook",
    "ReceiptLine",
    "SignedDocument",
    "StoredDocument",
    "TransitionError",
    "apply",
    "build_evidence",
    "canonical_bytes",
    "chain_digest",
    "deliver_pending",
    "delivery_gauges",
    "document_events",
    "document_hash",
    "document_json",
    "document_vocabulary",
    "import_documents",
    "inventory_effects",
    "metadata",
    "parse_document",
    "plan_mapping",
    "read_export",
    "receipt_cases",
    "sign_document",
    "verify_evidence",
]
