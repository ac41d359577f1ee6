"""Canonical records: what the transformer produces, with lineage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = ["CanonicalRecord", "Lineage", "decimal_text"]


def decimal_text(value: Decimal) -> str:
    """Plain decimal notation without trailing zeros: 240.0 → '240', 1.50 → '1.5'."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Lineage:
    """Where one canonical value came from: source field → concept → profile version."""

    source_field: str
    concept: str
    profile: str
    profile_version: int
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source_field": self.source_field,
            "concept": self.concept,
            "profile": self.profile,
            "profile_version": self.profile_version,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class CanonicalRecord:
    """An inventory position in the canonical vocabulary.

    `quantities` maps bucket ids to amounts in the profile's base unit. `unmapped` lists
    source fields without an approved mapping; `ignored` those approved as `none`.
    """

    sku: str
    location: str | None
    lot: str | None
    as_of: datetime | None
    uom: str | None
    quantities: Mapping[str, Decimal]
    attributes: Mapping[str, str]
    lineage: tuple[Lineage, ...]
    unmapped: tuple[str, ...]
    ignored: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "location": self.location,
            "lot": self.lot,
            "as_of": self.as_of.isoformat() if self.as_of is not None else None,
            "uom": self.uom,
            "quantities": {k: decimal_text(v) for k, v in sorted(self.quantities.items())},
            "attributes": dict(sorted(self.attributes.items())),
            "lineage": [x.to_json() for x in self.lineage],
            "unmapped": list(self.unmapped),
            "ignored": list(self.ignored),
        }
