"""Identifiers shared with the canonical vocabulary (``vocabulary.md``).

These spellings are a contract with the mapper and the canonical records; the
rule set refers to them and the checks refuse anything else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "BUCKETS",
    "DOCUMENT_TYPES",
    "LOCATION_BUCKETS",
    "RECORD_TYPE_INVENTORY_POSITION",
    "SHARED_STATES",
    "DocumentType",
    "ExceptionType",
    "Severity",
]

#: Quantity buckets of a canonical inventory position, in the vocabulary's order.
BUCKETS: Final[tuple[str, ...]] = (
    "on_hand",
    "available",
    "in_transit",
    "in_inspection",
    "reserved",
    "blocked",
    "damaged",
    "on_order",
)

#: Buckets whose sum is the physical stock at a location (= ``on_hand``).
LOCATION_BUCKETS: Final[tuple[str, ...]] = (
    "available",
    "reserved",
    "in_inspection",
    "blocked",
    "damaged",
)

#: The three states every partner must report the same way: 在途, 在检, 可售.
SHARED_STATES: Final[tuple[str, ...]] = ("in_transit", "in_inspection", "available")

#: The one record type of inventory data.
RECORD_TYPE_INVENTORY_POSITION: Final = "inventory_position"


class DocumentType(StrEnum):
    """Partner documents the rules know."""

    PURCHASE_ORDER = "purchase_order"
    ORDER_ACK = "order_ack"
    DESPATCH_ADVICE = "despatch_advice"
    GOODS_RECEIPT = "goods_receipt"
    DEMAND_FORECAST = "demand_forecast"
    CAPACITY = "capacity"


DOCUMENT_TYPES: Final[tuple[str, ...]] = tuple(t.value for t in DocumentType)


class Severity(StrEnum):
    """How bad a finding is. ``error`` findings make a record a rule violation."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class ExceptionType(StrEnum):
    """Kinds of exception case, each with its own SLA in the rule set."""

    STALE_FEED = "stale_feed"
    MISSING_FIELDS = "missing_fields"
    RECEIPT_MISMATCH = "receipt_mismatch"
    LATE_DELIVERY = "late_delivery"
    BELOW_SAFETY_STOCK = "below_safety_stock"
    FAILED_PROOF = "failed_proof"
    SPLIT_VIEW = "split_view"
    CAPACITY_GAP = "capacity_gap"
    CLOCK_SKEW = "clock_skew"
    RULE_VIOLATION = "rule_violation"
    STALE_CHECKPOINT = "stale_checkpoint"
    LOW_WITNESSES = "low_witnesses"
