"""Governance cases from documents: every goods receipt is compared with the
despatch advice it answers by the node's governance service, which opens the
``receipt_mismatch`` and ``late_delivery`` cases the comparison calls for.

Both nodes do this for the same pair of signed documents (the buyer when it
creates the receipt, the supplier when the receipt arrives), so each holds the
case, assigned on both to the supplier: the party whose despatch the receipt
disputes. The buyer's case is the one the supplier can also read and act on
over its signed peer connection (``GET /v1/governance/exceptions``).
"""

from __future__ import annotations

from collections.abc import Callable

from governance import Finding
from node.documents._models import DespatchAdvice, GoodsReceipt, document_json
from node.documents._service import ReceiptHook
from node.governance import GovernanceService

__all__ = ["receipt_cases"]


def receipt_cases(governance: Callable[[], GovernanceService]) -> ReceiptHook:
    """The hook :class:`~node.documents.DocumentService` calls with each stored receipt."""

    def compare(advice: DespatchAdvice, receipt: GoodsReceipt) -> tuple[Finding, ...]:
        service = governance()
        service.ensure_started()
        return service.record_receipt(
            advice.supplier, document_json(advice), document_json(receipt)
        )

    return compare
