"""The CBV 2.0 EPCIS event hash: a representation-independent id of one event.

The pre-hash string concatenates, in a fixed order, each field's name and
normalised value: times in UTC with milliseconds (``…T10:00:30.000Z``), CBV
vocabulary values as GS1 Web URIs (``https://ref.gs1.org/cbv/BizStep-shipping``),
EPCs and classes as canonical GS1 Digital Link URIs, the items of each list
sorted, user extensions as ``{namespace}name`` with their children sorted. The
id is ``ni:///sha-256;<hex>?ver=CBV2.0`` over the pre-hash string's UTF-8 bytes.
``eventID``, ``recordTime`` and the document around the event are not part of it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from node.epcis._dl import to_digital_link
from node.epcis._errors import EpcisError

__all__ = ["HASH_VERSION", "event_hash", "prehash"]

HASH_VERSION: Final = "CBV2.0"
CBV: Final = "https://ref.gs1.org/cbv/"
#: CBV vocabularies: field → (URN prefix, Web URI prefix)
_VOCAB: Final = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", "BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", "Disp-"),
    "bizTransaction-type": ("urn:epcglobal:cbv:btt:", "BTT-"),
    "sdt": ("urn:epcglobal:cbv:sdt:", "SDT-"),
}
#: prefixes the EPCIS 2.0 JSON-LD context defines (for extension field names)
_CONTEXT_PREFIXES: Final = {
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
}
_LISTS_OF_EPCS: Final = ("epcList", "inputEPCList", "childEPCs")
_LISTS_OF_QUANTITIES: Final = ("quantityList", "childQuantityList", "inputQuantityList")
#: every field the standard defines (the rest are user extensions)
_STANDARD: Final = frozenset(
    {
        "type", "eventTime", "eventTimeZoneOffset", "eventID", "recordTime", "certificationInfo",
        "errorDeclaration", "parentID", "epcList", "inputEPCList", "childEPCs", "quantityList",
        "childQuantityList", "inputQuantityList", "outputEPCList", "outputQuantityList",
        "action", "transformationID", "bizStep", "disposition", "persistentDisposition",
        "readPoint", "bizLocation", "bizTransactionList", "sourceList", "destinationList",
        "sensorElementList", "ilmd", "@context",
    }
)  # fmt: skip


def _time(value: object) -> str:
    if not isinstance(value, str):
        raise EpcisError("event time must be a string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise EpcisError(f"event time {value[:40]!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise EpcisError("event time has no offset")
    utc = parsed.astimezone(UTC)
    # to the millisecond, half up (a 4th decimal of 5-9 rounds up)
    utc = utc.replace(microsecond=0) + timedelta(milliseconds=(utc.microsecond + 500) // 1000)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{utc.microsecond // 1000:03d}Z"


def _vocab(value: object, kind: str) -> str:
    if not isinstance(value, str):  # e.g. a persistentDisposition "set" item
        raise EpcisError(f"a {kind} value must be a string")
    urn, web = _VOCAB[kind]
    if value.startswith(urn):
        return CBV + web + value[len(urn) :]
    if value.startswith("cbv:"):
        return CBV + value[4:]
    if ":" not in value:
        return CBV + web + value
    return value


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise EpcisError("quantity must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise EpcisError("quantity must be a number") from None
    text = format(number.normalize(), "f")
    return text


def _quantities(items: object) -> str:
    if not isinstance(items, list):
        raise EpcisError("a quantity list must be a list")
    parts = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("epcClass"), str):
            raise EpcisError("a quantity element needs an epcClass")
        text = "quantityElementepcClass=" + to_digital_link(item["epcClass"].strip())
        if "quantity" in item:
            text += "quantity=" + _number(item["quantity"])
        if isinstance(item.get("uom"), str):
            text += "uom=" + item["uom"]
        parts.append(text)
    return "".join(sorted(parts))


def _epcs(items: object) -> str:
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        raise EpcisError("an EPC list must be a list of strings")
    return "".join(sorted("epc=" + to_digital_link(x.strip()) for x in items))


def _typed(items: object, key: str, vocab: str) -> str:
    if not isinstance(items, list):
        raise EpcisError(f"{key}List must be a list")
    parts = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get(key), str):
            raise EpcisError(f"each {key}List item needs a {key}")
        text = ""
        if isinstance(item.get("type"), str):
            text += "type=" + _vocab(item["type"], vocab)
        parts.append(text + f"{key}=" + to_digital_link(item[key].strip()))
    return "".join(sorted(parts))


def _expand(name: str, prefixes: dict[str, str]) -> str:
    prefix, sep, local = name.partition(":")
    if sep and prefix in prefixes:
        return "{" + prefixes[prefix] + "}" + local
    if name.startswith(("http://", "https://", "urn:")):
        cut = max(name.rfind("/"), name.rfind("#"), name.rfind(":"))
        return "{" + name[: cut + 1] + "}" + name[cut + 1 :]
    return name


def _extension(name: str, value: object, prefixes: dict[str, str]) -> list[str]:
    """One ``{ns}name=value`` per leaf; nested objects as ``{ns}name`` + sorted children."""
    key = _expand(name, prefixes)
    if isinstance(value, dict):
        children = sorted(
            p for k, v in value.items() if not k.startswith("@") for p in _extension(k, v, prefixes)
        )
        return [key + "".join(children)]
    if isinstance(value, list):
        return sorted(p for v in value for p in _extension(name, v, prefixes))
    if isinstance(value, bool):
        return [f"{key}={'true' if value else 'false'}"]
    if isinstance(value, int | float):
        return [f"{key}={_number(value)}"]
    return [f"{key}={str(value).strip()}"]


def _prefixes(context: object) -> dict[str, str]:
    out = dict(_CONTEXT_PREFIXES)
    pending = [context]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, dict):
            out.update({k: v for k, v in item.items() if isinstance(v, str)})
    return out


def _objects(event: dict[str, Any]) -> list[str]:
    """parentID and the EPC and quantity lists, in the standard's order."""
    out = []
    if isinstance(event.get("parentID"), str):
        out.append("parentID=" + to_digital_link(event["parentID"]))
    for key in _LISTS_OF_EPCS:
        if event.get(key):
            out.append(key + _epcs(event[key]))
    for key in _LISTS_OF_QUANTITIES:
        if event.get(key):
            out.append(key + _quantities(event[key]))
    if event.get("outputEPCList"):
        out.append("outputEPCList" + _epcs(event["outputEPCList"]))
    if event.get("outputQuantityList"):
        out.append("outputQuantityList" + _quantities(event["outputQuantityList"]))
    return out


def prehash(event: dict[str, Any], context: object = None) -> str:  # noqa: PLR0912  one branch per optional field
    """The canonical pre-hash string of one event (see the module docstring)."""
    prefixes = _prefixes([context, event.get("@context")])
    out = [f"eventType={event.get('type')}"]
    out.append("eventTime=" + _time(event.get("eventTime")))
    if isinstance(event.get("eventTimeZoneOffset"), str):
        out.append("eventTimeZoneOffset=" + event["eventTimeZoneOffset"])
    error = event.get("errorDeclaration")
    if isinstance(error, dict):
        text = "errorDeclaration"
        if "declarationTime" in error:
            text += "declarationTime=" + _time(error["declarationTime"])
        if isinstance(error.get("reason"), str):
            text += "reason=" + _vocab(error["reason"], "disposition").replace("Disp-", "ER-")
        ids = error.get("correctiveEventIDs")
        if isinstance(ids, list):
            text += "correctiveEventIDs" + "".join(sorted(f"correctiveEventID={x}" for x in ids))
        out.append(text)
    out.extend(_objects(event))
    for key in ("action", "transformationID"):
        if isinstance(event.get(key), str):
            value = event[key]
            out.append(f"{key}=" + (to_digital_link(value) if key != "action" else value))
    for key in ("bizStep", "disposition"):
        if isinstance(event.get(key), str):
            out.append(f"{key}=" + _vocab(event[key].strip(), key))
    persistent = event.get("persistentDisposition")
    if isinstance(persistent, dict):
        text = "persistentDisposition"
        for part in ("set", "unset"):
            values = persistent.get(part)
            if isinstance(values, list):
                text += "".join(sorted(f"{part}=" + _vocab(v, "disposition") for v in values))
        out.append(text)
    for key in ("readPoint", "bizLocation"):
        place = event.get(key)
        if isinstance(place, dict) and isinstance(place.get("id"), str):
            out.append(f"{key}id=" + to_digital_link(place["id"].strip()))
    if event.get("bizTransactionList"):
        out.append(
            "bizTransactionList"
            + _typed(event["bizTransactionList"], "bizTransaction", "bizTransaction-type")
        )
    if event.get("destinationList"):
        out.append("destinationList" + _typed(event["destinationList"], "destination", "sdt"))
    if event.get("sourceList"):
        out.append("sourceList" + _typed(event["sourceList"], "source", "sdt"))
    ilmd = event.get("ilmd")
    if isinstance(ilmd, dict) and ilmd:
        out.append("ilmd" + "".join(_extension("ilmd", ilmd, prefixes)[0][len("ilmd") :]))
    extensions = sorted(
        p
        for k, v in event.items()
        if k not in _STANDARD and not k.startswith("@")
        for p in _extension(k, v, prefixes)
    )
    out.extend(extensions)
    return "".join(out)


def event_hash(event: dict[str, Any], context: object = None) -> str:
    """``ni:///sha-256;<hex>?ver=CBV2.0`` of one event; ``context``: the document's."""
    digest = hashlib.sha256(prehash(event, context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={HASH_VERSION}"
