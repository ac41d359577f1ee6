"""Built-in mapping profiles for the ERPs' own field names, and what they yield.

The connectors do not guess: each source's fields go through an approved
:class:`semantic_mapping.MappingProfile` and the :class:`semantic_mapping.Transformer`,
exactly like an uploaded export. The profiles below are the defaults for the
ERPs' standard fields (a node may approve its own profile instead, e.g. for
custom fields); fields they do not list end up in ``unmapped`` and are reported.

Documents (purchase orders, receipts) map their **lines** through a profile
(``item_code``/``default_code`` → ``sku``, ``qty`` → ``quantity_ordered`` …) and
their headers by name, into the governance document shapes
(``purchase_order``, ``goods_receipt``; see governance/default_rules.json).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Final

from node.connectors._errors import PayloadError
from semantic_mapping import (
    CanonicalRecord,
    MappingProfile,
    Transformer,
    TransformError,
    Vocabulary,
    load_vocabulary,
    new_profile,
)

__all__ = [
    "APPROVER",
    "ImportedDocument",
    "build_profile",
    "canonical_lines",
    "canonical_records",
    "positions_body",
    "price_text",
    "stock_at_location",
]

APPROVER: Final = "scnode connector defaults"
_APPROVED_AT: Final = datetime(2026, 11, 1, tzinfo=UTC)


@cache
def _vocabulary() -> Vocabulary:
    return load_vocabulary()


def build_profile(
    source: str, fields: Sequence[tuple[str, str]], *, timezone: str = "Z"
) -> MappingProfile:
    """A profile approving ``(source field, concept)`` pairs, as a reviewer would."""
    vocabulary = _vocabulary()
    profile = new_profile(source, timezone=timezone)
    for name, concept in fields:
        profile = profile.approve_field(
            vocabulary,
            source_field=name,
            concept=concept,
            approved_by=APPROVER,
            now=_APPROVED_AT,
        )
    return profile


def canonical_records(
    records: Iterable[Mapping[str, object]], profile: MappingProfile
) -> list[CanonicalRecord]:
    """Flattened ERP records → canonical records; PayloadError naming the record."""
    try:
        return Transformer(_vocabulary(), profile).transform_all(records)
    except TransformError as exc:
        raise PayloadError(f"{profile.source}: {exc}") from None


def canonical_lines(
    lines: Iterable[Mapping[str, object]], profile: MappingProfile, quantity: str
) -> list[dict[str, Any]]:
    """Document lines → ``{sku, <quantity>, uom, lot?}`` dicts (plain JSON numbers)."""
    out: list[dict[str, Any]] = []
    for record in canonical_records(lines, profile):
        amount = record.quantities.get(quantity)
        if amount is None:
            raise PayloadError(f"{profile.source}: a line of {record.sku} has no {quantity}")
        line: dict[str, Any] = {"sku": record.sku, quantity: _number(amount), "uom": record.uom}
        if record.lot:
            line["lot"] = record.lot
        out.append(line)
    return out


def price_text(value: object) -> str | None:
    """An ERP's price (JSON number) as an exact decimal string, e.g. ``"182.50"`` → ``"182.5"``."""
    if value is None or value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError(f"price {value!r:.40} is not a number")
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise PayloadError(f"price {value!r:.40} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise PayloadError(f"price {value!r:.40} is not a non-negative number")
    return format(amount.normalize(), "f") if amount else "0"


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def stock_at_location(record: CanonicalRecord) -> CanonicalRecord:
    """Complete a quant's / bin's buckets the way both ERPs define them.

    An Odoo quant and an ERPNext bin are the stock of one internal location:
    ``available`` is on hand minus reserved (Odoo's ``available_quantity``,
    ERPNext's "actual − reserved"), and nothing at such a location is in transit
    or in inspection — both ERPs keep those in their own transit / inspection
    locations, which arrive as their own records. Buckets the ERP did give are
    never overwritten.
    """
    quantities = dict(record.quantities)
    on_hand, reserved = quantities.get("on_hand"), quantities.get("reserved", Decimal(0))
    if "available" not in quantities and on_hand is not None:
        if reserved > on_hand:
            raise PayloadError(f"{record.sku}: reserved {reserved} exceeds on hand {on_hand}")
        quantities["available"] = on_hand - reserved
    quantities.setdefault("in_transit", Decimal(0))
    quantities.setdefault("in_inspection", Decimal(0))
    return replace(record, quantities=quantities)


def positions_body(records: Sequence[CanonicalRecord]) -> dict[str, Any]:
    """Canonical records → the canonical-positions body the publish pipeline takes."""
    positions: list[dict[str, Any]] = []
    for record in records:
        if record.as_of is None:
            raise PayloadError(f"record for {record.sku} has no as-of time")
        item: dict[str, Any] = {
            "sku": record.sku,
            "location": record.location,
            "lot": record.lot,
            "as_of": record.as_of.isoformat(),
            "quantities": {k: _number(v) for k, v in record.quantities.items()},
        }
        if record.uom:
            item["uom"] = record.uom
        positions.append(item)
    return {"positions": positions}


@dataclass(frozen=True)
class ImportedDocument:
    """A purchase order or goods receipt read from an ERP, in the governance shape."""

    document_type: str  # "purchase_order" or "goods_receipt"
    number: str
    source: str
    body: Mapping[str, Any]
