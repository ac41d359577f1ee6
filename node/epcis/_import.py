"""EPCIS 2.0 JSON-LD from partners → canonical stock records.

A document is refused unless it is JSON (EPCIS XML is not accepted here) and
valid against the EPCIS 2.0 schema with format checks; the reason names the first
offending place. Valid events are mapped by ``semantic_mapping.transform_epcis``
(dispositions in any spelling → the vocabulary's buckets, persistent
dispositions, business transactions). Each event's id is computed with the CBV
2.0 event hash and reported next to the ``eventID`` the partner gave: a partner's
hash-based id that differs is reported, not refused (published examples carry
placeholder ids).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from node.epcis._errors import EpcisError
from node.epcis._hash import event_hash
from node.epcis._schema import EpcisSchema
from semantic_mapping import (
    CanonicalRecord,
    MappingError,
    StatusMatcher,
    epcis_events,
    transform_epcis,
)

__all__ = ["EpcisImport", "ImportedEvent", "import_epcis", "parse_epcis_bytes"]

MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class ImportedEvent:
    index: int
    type: str
    event_id: str | None  # as given by the partner
    computed_id: str  # ni:///sha-256;<hex>?ver=CBV2.0
    transactions: tuple[tuple[str, str], ...]  # (type, bizTransaction)

    @property
    def id_matches(self) -> bool | None:
        """None unless the partner gave a hash-based (``ni:``) event id."""
        if self.event_id is None or not self.event_id.startswith("ni:///sha-256;"):
            return None
        return self.event_id.split("?")[0].lower() == self.computed_id.split("?")[0]


@dataclass(frozen=True)
class EpcisImport:
    records: tuple[CanonicalRecord, ...]
    skipped: tuple[tuple[int, str], ...]
    events: tuple[ImportedEvent, ...]


def parse_epcis_bytes(data: bytes) -> object:
    if len(data) > MAX_BYTES:
        raise EpcisError("EPCIS document is too large")
    if data.lstrip()[:1] == b"<":
        raise EpcisError("EPCIS XML is not accepted; send EPCIS 2.0 JSON or JSON-LD")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise EpcisError("EPCIS document is not UTF-8") from None
    except (ValueError, RecursionError):
        raise EpcisError("EPCIS document is not valid JSON") from None


def _transactions(event: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    items = event.get("bizTransactionList")
    if not isinstance(items, list):
        return ()
    return tuple(
        (str(x.get("type", "")), str(x["bizTransaction"]))
        for x in items
        if isinstance(x, dict) and isinstance(x.get("bizTransaction"), str)
    )


def import_epcis(document: object, schema: EpcisSchema, status: StatusMatcher) -> EpcisImport:
    """Validate, map and hash one EPCIS document (or bare event); EpcisError if refused."""
    schema.validate(document)
    try:
        events = epcis_events(document)
        result = transform_epcis(document, status)
    except MappingError as exc:
        raise EpcisError(f"EPCIS document cannot be mapped: {exc}") from None
    context = document.get("@context") if isinstance(document, dict) else None
    imported = tuple(
        ImportedEvent(
            index=i,
            type=str(event.get("type")),
            event_id=event.get("eventID") if isinstance(event.get("eventID"), str) else None,
            computed_id=event_hash(dict(event), context),
            transactions=_transactions(dict(event)),
        )
        for i, event in enumerate(events)
    )
    return EpcisImport(records=result.records, skipped=result.skipped, events=imported)
