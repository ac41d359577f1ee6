"""Connectors to partners' ERPs: Odoo (JSON-2 API) and ERPNext / Frappe (REST + webhooks).

Each connector reads the ERP's own records, maps them through approved
:mod:`semantic_mapping` profiles into canonical inventory records (published
through :mod:`node.inventory`) and governance-shaped documents (purchase orders,
goods receipts); an ERP's goods receipt for an order this node issued over the
network becomes a signed goods-receipt document for the supplier's node
(:func:`send_receipt`). Frappe webhooks are accepted only with a valid
``X-Frappe-Webhook-Signature`` (HMAC-SHA256, constant-time comparison) and never
twice. See docs/connectors.md.
"""

from node.connectors import erpnext, odoo
from node.connectors._documents import as_purchase_order
from node.connectors._errors import (
    ConnectorError,
    PayloadError,
    UpstreamError,
    WebhookSignatureError,
)
from node.connectors._mapping import ImportedDocument, positions_body
from node.connectors._receipts import SentReceipt, receipt_body, send_receipt
from node.connectors._tables import (
    connector_deliveries,
    connector_documents,
    connector_webhooks,
    metadata,
)
from node.connectors._webhook import (
    FRAPPE_SIGNATURE_HEADER,
    ReplayGuard,
    Verdict,
    body_digest,
    sign_frappe,
    verify_frappe_signature,
)

__all__ = [
    "FRAPPE_SIGNATURE_HEADER",
    "ConnectorError",
    "ImportedDocument",
    "PayloadError",
    "ReplayGuard",
    "SentReceipt",
    "UpstreamError",
    "Verdict",
    "WebhookSignatureError",
    "as_purchase_order",
    "body_digest",
    "connector_deliveries",
    "connector_documents",
    "connector_webhooks",
    "erpnext",
    "metadata",
    "odoo",
    "positions_body",
    "receipt_body",
    "send_receipt",
    "sign_frappe",
    "verify_frappe_signature",
]
