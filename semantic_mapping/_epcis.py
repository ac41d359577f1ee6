"""GS1 EPCIS 2.0 events → canonical records, dispositions → quantity buckets.

Each event that carries a disposition and objects (EPCs or quantities) yields one
record per product class: the objects observed at the event's business location (or
read point) at its event time, in the bucket its disposition aligns with. Events that
cannot yield a record are reported in `skipped` with the reason, never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from semantic_mapping._errors import TransformError
from semantic_mapping._records import CanonicalRecord, Lineage
from semantic_mapping._status import StatusMatcher
from semantic_mapping._values import parse_quantity

__all__ = [
    "EPCIS_PROFILE",
    "EPCIS_PROFILE_VERSION",
    "EpcisResult",
    "epcis_events",
    "transform_epcis",
]

#: Lineage names the standard itself as the profile: EPCIS 2.0 with CBV 2.0 dispositions.
EPCIS_PROFILE: Final = "gs1-epcis"
EPCIS_PROFILE_VERSION: Final = 2
_SGTIN_RE: Final = re.compile(r"^urn:epc:id:sgtin:(\d+)\.(\d+)\.(.+)$")
_LGTIN_RE: Final = re.compile(r"^urn:epc:class:lgtin:(\d+)\.(\d+)\.(.+)$")
_IDPAT_RE: Final = re.compile(r"^urn:epc:idpat:sgtin:(\d+)\.(\d+)\.\*$")
_DL_RE: Final = re.compile(r"^https?://[^/]+/01/(\d{14})(?:/(10|21)/([^/?#]+))?")
#: Where each event type keeps its objects.
_OBJECTS: Final = {
    "ObjectEvent": ("epcList", "quantityList"),
    "TransactionEvent": ("epcList", "quantityList"),
    "AggregationEvent": ("childEPCs", "childQuantityList"),
    "AssociationEvent": ("childEPCs", "childQuantityList"),
    "TransformationEvent": ("outputEPCList", "outputQuantityList"),
}


@dataclass(frozen=True)
class EpcisResult:
    records: tuple[CanonicalRecord, ...]
    skipped: tuple[tuple[int, str], ...]  # (event index, reason)


def epcis_events(document: object) -> list[Mapping[str, Any]]:
    """The events of an EPCISDocument, an EPCISQueryDocument, or one bare event."""
    if not isinstance(document, dict):
        raise TransformError("EPCIS input must be a JSON object")
    kind = document.get("type")
    if isinstance(kind, str) and kind in _OBJECTS:
        return [document]
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        raise TransformError("EPCIS document has no epcisBody object")
    events = body.get("eventList")
    if events is None and isinstance(body.get("queryResults"), dict):
        results = body["queryResults"].get("resultsBody")
        events = results.get("eventList") if isinstance(results, dict) else None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise TransformError("EPCIS document has no eventList of objects")
    return events


def _class_of(epc: str) -> tuple[str, str | None]:
    """(sku, lot) of an EPC or class identifier; sku is the product-class pattern."""
    for pattern in (_SGTIN_RE, _LGTIN_RE):
        match = pattern.match(epc)
        if match is not None:
            sku = f"urn:epc:idpat:sgtin:{match.group(1)}.{match.group(2)}.*"
            return sku, match.group(3) if pattern is _LGTIN_RE else None
    if _IDPAT_RE.match(epc):
        return epc, None
    match = _DL_RE.match(epc)
    if match is not None:
        lot = match.group(3) if match.group(2) == "10" else None
        return f"https://id.gs1.org/01/{match.group(1)}", lot
    return epc, None


def _location(event: Mapping[str, Any]) -> tuple[str | None, str | None]:
    for key in ("bizLocation", "readPoint"):
        place = event.get(key)
        if isinstance(place, dict) and isinstance(place.get("id"), str):
            return place["id"], key
    return None, None


def _objects(
    event: Mapping[str, Any], index: int, skipped: list[tuple[int, str]]
) -> dict[tuple[str, str | None, str], Decimal]:
    epc_key, quantity_key = _OBJECTS[str(event.get("type"))]
    totals: dict[tuple[str, str | None, str], Decimal] = {}
    epcs = event.get(epc_key) or []
    if not isinstance(epcs, list) or not all(isinstance(e, str) for e in epcs):
        raise TransformError(f"event {index}: {epc_key} must be a list of strings")
    for epc in epcs:
        sku, lot = _class_of(epc)
        key = (sku, lot, "EA")
        totals[key] = totals.get(key, Decimal(0)) + 1
    items = event.get(quantity_key) or []
    if not isinstance(items, list):
        raise TransformError(f"event {index}: {quantity_key} must be a list")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("epcClass"), str):
            raise TransformError(f"event {index}: each {quantity_key} item needs an epcClass")
        if "quantity" not in item:
            skipped.append((index, f"{item['epcClass']}: quantity not stated (optional in EPCIS)"))
            continue
        if not isinstance(item.get("quantity"), int | float) or isinstance(item["quantity"], bool):
            raise TransformError(f"event {index}: quantity of {item['epcClass']} is not a number")
        amount = parse_quantity(item["quantity"], field=quantity_key)
        uom = item.get("uom", "EA")
        if not isinstance(uom, str):
            raise TransformError(f"event {index}: uom must be a string")
        sku, lot = _class_of(item["epcClass"])
        key = (sku, lot, uom)
        totals[key] = totals.get(key, Decimal(0)) + (amount or Decimal(0))
    return totals


def _event_time(event: Mapping[str, Any], index: int) -> datetime:
    when = event.get("eventTime")
    if not isinstance(when, str):
        raise TransformError(f"event {index}: eventTime is missing")
    try:
        as_of = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise TransformError(f"event {index}: eventTime {when[:40]!r} is not ISO 8601") from None
    if as_of.tzinfo is None:
        raise TransformError(f"event {index}: eventTime has no time zone")
    return as_of


def transform_epcis(document: object, status: StatusMatcher) -> EpcisResult:
    records: list[CanonicalRecord] = []
    skipped: list[tuple[int, str]] = []
    for index, event in enumerate(epcis_events(document)):
        kind = event.get("type")
        if not isinstance(kind, str) or kind not in _OBJECTS:
            raise TransformError(f"event {index}: unknown event type {kind!r}")
        as_of = _event_time(event, index)
        unquantified: list[tuple[int, str]] = []
        objects = _objects(event, index, unquantified)  # validated even if the event is skipped
        if event.get("action") == "DELETE":
            skipped.append((index, "action DELETE: the objects leave the event's scope"))
            continue
        disposition = event.get("disposition")
        if not isinstance(disposition, str):
            skipped.append((index, "no disposition: the stock's bucket is not stated"))
            continue
        found = status.match(disposition)
        if found.bucket is None:
            skipped.append((index, found.explanation))
            continue
        bucket, why = _persistent(event, found.bucket, found.explanation, status)
        skipped.extend(unquantified)
        if not objects:
            skipped.append((index, "no EPCs or quantities"))
            continue
        location, location_key = _location(event)
        lineage = [Lineage("disposition", bucket, EPCIS_PROFILE, EPCIS_PROFILE_VERSION, why)]
        lineage.append(Lineage("eventTime", "timestamp", EPCIS_PROFILE, EPCIS_PROFILE_VERSION))
        if location_key is not None:
            lineage.append(Lineage(location_key, "location", EPCIS_PROFILE, EPCIS_PROFILE_VERSION))
        unmapped = _unmapped(event)
        attributes = {"event_type": str(kind), **_transactions(event)}
        for (sku, lot, uom), amount in sorted(
            objects.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])
        ):
            records.append(
                CanonicalRecord(
                    sku=sku,
                    location=location,
                    lot=lot,
                    as_of=as_of,
                    uom=uom,
                    quantities={bucket: amount},
                    attributes=attributes,
                    lineage=tuple(lineage),
                    unmapped=unmapped,
                    ignored=(),
                )
            )
    return EpcisResult(records=tuple(records), skipped=tuple(skipped))


#: Buckets a persistent disposition (EPCIS 2.0, e.g. `recalled`) imposes over the event's own.
_RESTRICTIVE: Final = ("blocked", "damaged", "in_inspection")
#: bizTransaction types that carry a canonical document number.
_TRANSACTION_CONCEPTS: Final = {"po": "po_number", "recadv": "receipt_number"}


def _persistent(
    event: Mapping[str, Any], bucket: str, why: str, status: StatusMatcher
) -> tuple[str, str]:
    """A persistent disposition such as `recalled` overrides the event's own bucket."""
    persistent = event.get("persistentDisposition")
    if not isinstance(persistent, dict) or not isinstance(persistent.get("set"), list):
        return bucket, why
    for value in persistent["set"]:
        if not isinstance(value, str):
            continue
        held = status.match(value)
        if held.bucket in _RESTRICTIVE:
            return held.bucket, f"persistentDisposition sets '{value}': {held.explanation}"
    return bucket, why


def _transactions(event: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    items = event.get("bizTransactionList")
    if not isinstance(items, list):
        return out
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("bizTransaction"), str):
            concept = _TRANSACTION_CONCEPTS.get(str(item.get("type")))
            if concept is not None:
                out.setdefault(concept, item["bizTransaction"])
    return out


_USED: Final = frozenset(
    {
        "type",
        "eventTime",
        "disposition",
        "bizLocation",
        "readPoint",
        "action",
        "persistentDisposition",
        "bizTransactionList",
    }
    | {k for pair in _OBJECTS.values() for k in pair}
)


def _unmapped(event: Mapping[str, Any]) -> tuple[str, ...]:
    """Top-level fields of the event that carry no canonical value (reported, not lost)."""
    keys: Sequence[str] = [k for k in event if k not in _USED]
    return tuple(keys)
