"""Lineage references: what stands behind a figure on the dashboard.

The core knows the partner, the time range, the ledger index range and the
mapping profile versions of the records it counted; the node fills in what
lives in its database (record ids, source field names) from those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Lineage"]


@dataclass(frozen=True)
class Lineage:
    """References behind one figure; ids are opaque strings the node resolves."""

    partner: str
    start: int
    end: int
    ledger_first: int | None = None
    ledger_last: int | None = None
    mapping_profiles: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    exception_ids: tuple[str, ...] = ()
    record_ids: tuple[str, ...] = ()
    source_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "start": self.start,
            "end": self.end,
            "ledger_entries": None
            if self.ledger_first is None
            else {"first": self.ledger_first, "last": self.ledger_last},
            "mapping_profiles": list(self.mapping_profiles),
            "fields": list(self.fields),
            "exception_ids": list(self.exception_ids),
            "record_ids": list(self.record_ids),
            "source_fields": list(self.source_fields),
        }
