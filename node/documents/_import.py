"""Importing a partner's document export (CSV or JSON) as canonical documents.

One row per document line, header fields repeated on each row (how ERPs export
documents). :func:`read_export` reads the rows; :func:`import_documents` maps the
columns (:mod:`._import_map`), turns the rows into canonical records with the
:class:`semantic_mapping.Transformer` (quantities, units, lineage), groups them
into documents by their number (PO number, despatch number, receipt number),
fills what the rows do not say from ``defaults`` and from the chain this node
holds (line numbers by sku: a despatch's from the order, a receipt's from its
despatch; a receipt without a despatch number answers the order's only open
despatch) and creates each through :meth:`DocumentService.create`: signed,
recorded, queued for the counterparty. ``dry_run`` returns the bodies only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from governance import GovernanceError, resolve_zone
from node.documents._errors import DocumentFormatError, TransitionError
from node.documents._import_map import (
    RAW_FIELDS,
    MappingPlan,
    document_vocabulary,
    plan_mapping,
)
from node.documents._machine import ChainState
from node.documents._models import DocumentType
from node.documents._service import DocumentService
from node.documents._store import StoredDocument
from node.peers.registry import Peer
from semantic_mapping import (
    CanonicalRecord,
    FieldInputError,
    MappingProfile,
    Transformer,
    TransformError,
    read_csv_records,
)

__all__ = ["ImportResult", "import_documents", "read_export"]

MAX_EXPORT_BYTES: Final = 8 * 1024 * 1024
MAX_ROWS: Final = 10_000
_NUMBER_OF: Final = {
    DocumentType.PURCHASE_ORDER: "po_number",
    DocumentType.DESPATCH_ADVICE: "despatch_number",
    DocumentType.GOODS_RECEIPT: "receipt_number",
}
_DATE_ONLY: Final = re.compile(r"\d{8}")
DEFAULTABLE: Final = frozenset(
    {
        "currency",
        "uom",
        "unit_price",
        "issued_at",
        "requested_date",
        "shipped_at",
        "expected_arrival",
        "received_at",
        "despatch_number",
        "reason",
    }
)


@dataclass(frozen=True)
class ImportResult:
    plan: MappingPlan
    bodies: tuple[dict[str, Any], ...]
    created: tuple[StoredDocument, ...]  # empty for a dry run


def read_export(data: bytes, kind: str) -> list[dict[str, object]]:
    """Rows of a ``csv`` or ``json`` export (a JSON array of flat objects)."""
    if len(data) > MAX_EXPORT_BYTES:
        raise DocumentFormatError(f"an export is at most {MAX_EXPORT_BYTES} bytes")
    if kind == "csv":
        try:
            rows: list[dict[str, object]] = [dict(r) for r in read_csv_records(data).rows]
        except FieldInputError as exc:
            raise DocumentFormatError(f"CSV export: {exc}") from None
    elif kind == "json":
        try:
            value = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise DocumentFormatError("the export is not JSON (UTF-8)") from None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise DocumentFormatError("a JSON export is an array of objects, one per line")
        rows = value
    else:
        raise DocumentFormatError("an export is csv or json")
    if not rows:
        raise DocumentFormatError("the export has no rows")
    if len(rows) > MAX_ROWS:
        raise DocumentFormatError(f"an export has at most {MAX_ROWS} rows")
    for i, row in enumerate(rows, start=1):
        bad = [k for k, v in row.items() if isinstance(v, dict | list)]
        if bad:
            raise DocumentFormatError(f"row {i}: column {bad[0]!r} is not a plain value")
    return rows


def _when(value: object, column: str, zone: str) -> str:
    """A date or time from an export as RFC 3339 with an offset (naive: in ``zone``)."""
    text = str(value).strip()
    if _DATE_ONLY.fullmatch(text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        parsed = datetime.fromisoformat(text.replace("/", "-").replace("Z", "+00:00"))
        tz = resolve_zone(zone)
    except (ValueError, GovernanceError):
        raise DocumentFormatError(
            f"column {column!r}: {text[:40]!r} is not a date or time"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.isoformat().replace("+00:00", "Z")


def _whole(value: Decimal, column: str) -> int:
    if value != value.to_integral_value() or value < 0:
        raise DocumentFormatError(f"column {column!r}: {value} is not a whole number of units")
    return int(value)


class _Row:
    """One transformed row: the document field → value, with the column it came from."""

    def __init__(self, record: CanonicalRecord, plan: MappingPlan, zone: str) -> None:
        column = {c.concept: c.column for c in plan.fields}
        self.values: dict[str, Any] = {"sku": record.sku}
        if record.lot:
            self.values["lot"] = record.lot
        if record.uom:
            self.values["uom"] = record.uom
        for concept, amount in record.quantities.items():
            field = "quantity_in_inspection" if concept == "in_inspection" else concept
            self.values[field] = _whole(amount, column.get(field, concept))
        for concept, text in record.attributes.items():
            if concept == "unit_cost":
                self.values["unit_price"] = text
            elif concept in column and concept.endswith(("_at", "_date", "_arrival")):
                self.values[concept] = _when(text, column[concept], zone)
            elif concept in column:
                self.values[concept] = text


def _transform(rows: Sequence[Mapping[str, object]], plan: MappingPlan, zone: str) -> list[_Row]:
    profile: MappingProfile = plan.profile
    try:
        records = Transformer(document_vocabulary(), profile).transform_all(rows)
    except TransformError as exc:
        raise DocumentFormatError(f"export: {exc}") from None
    out = [_Row(r, plan, zone) for r in records]
    raw = [c for c in plan.fields if c.concept in RAW_FIELDS]
    for row, source in zip(out, rows, strict=True):
        for choice in raw:
            value = source.get(choice.column)
            if value not in (None, ""):
                row.values[choice.concept] = str(value).strip()
    return out


def _group(kind: DocumentType, rows: Sequence[_Row]) -> list[list[_Row]]:
    key = _NUMBER_OF[kind]
    groups: dict[str, list[_Row]] = {}
    for i, row in enumerate(rows, start=1):
        number = row.values.get(key)
        if not number:
            raise DocumentFormatError(f"row {i} has no {key}")
        groups.setdefault(str(number), []).append(row)
    return list(groups.values())


_HEADER: Final = (
    "po_number",
    "despatch_number",
    "receipt_number",
    "issued_at",
    "shipped_at",
    "expected_arrival",
    "received_at",
    "currency",
)


def _header(group: Sequence[_Row], defaults: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _HEADER:
        seen = {r.values[key] for r in group if r.values.get(key) not in (None, "")}
        if len(seen) > 1:
            raise DocumentFormatError(f"the rows of one document disagree on {key}: {sorted(seen)}")
        if seen:
            out[key] = seen.pop()
        elif key in defaults:
            out[key] = defaults[key]
    return out


def _need(body: Mapping[str, Any], key: str, what: str) -> Any:
    value = body.get(key)
    if value in (None, ""):
        raise DocumentFormatError(
            f"{what}: no column gives {key} and no default was set for it (defaults.{key})"
        )
    return value


def _po(group: Sequence[_Row], defaults: Mapping[str, str]) -> dict[str, Any]:
    head = _header(group, defaults)
    what = f"purchase order {head['po_number']}"
    lines = []
    for n, row in enumerate(group, start=1):
        v = {**{k: defaults[k] for k in ("uom", "unit_price", "requested_date") if k in defaults}}
        v.update(row.values)
        lines.append(
            {
                "line": n,
                "sku": v["sku"],
                "quantity_ordered": v["quantity_ordered"],
                "uom": _need(v, "uom", what),
                "unit_price": _need(v, "unit_price", what),
                "requested_date": _need(v, "requested_date", what),
            }
        )
    return {
        "type": "purchase_order",
        "po_number": head["po_number"],
        "version": 1,
        "issued_at": _need(head, "issued_at", what),
        "currency": _need(head, "currency", what),
        "lines": lines,
    }


def _only(found: list[int], sku: str, where: str, hint: str) -> int:
    if not found:
        raise TransitionError(f"{sku!r} is not on {where}")
    if len(found) > 1:
        raise DocumentFormatError(f"{sku!r} is on several lines of {where}; {hint}")
    return found[0]


def _despatch(
    group: Sequence[_Row], defaults: Mapping[str, str], state: ChainState
) -> dict[str, Any]:
    head = _header(group, defaults)
    what = f"despatch {head['despatch_number']}"
    order = state.latest
    lines = []
    for row in group:
        v = row.values
        where = f"purchase order {order.po_number} version {order.version}"
        found = [x.line for x in order.lines if x.sku == v["sku"]]
        line = _only(found, v["sku"], where, "send that despatch as a document instead")
        item = {"line": line, "sku": v["sku"], "quantity_shipped": v["quantity_shipped"]}
        if v.get("lot"):
            item["lot"] = v["lot"]
        lines.append(item)
    shipped = head.get("shipped_at") or head.get("issued_at")
    return {
        "type": "despatch_advice",
        "po_number": head["po_number"],
        "despatch_number": head["despatch_number"],
        "issued_at": head.get("issued_at") or _need({"shipped_at": shipped}, "shipped_at", what),
        "shipped_at": _need({"shipped_at": shipped}, "shipped_at", what),
        "expected_arrival": _need(head, "expected_arrival", what),
        "lines": lines,
    }


def _open_despatch(state: ChainState, number: object) -> str:
    if isinstance(number, str) and number:
        return number
    open_ = [n for n in sorted(state.despatches) if n not in state.receipts]
    if len(open_) != 1:
        raise DocumentFormatError(
            f"no column gives the despatch number and purchase order {state.latest.po_number} "
            f"has {len(open_)} open despatches ({', '.join(open_) or 'none'})"
        )
    return open_[0]


def _receipt(
    group: Sequence[_Row], defaults: Mapping[str, str], state: ChainState
) -> dict[str, Any]:
    head = _header(group, defaults)
    what = f"receipt {head['receipt_number']}"
    number = _open_despatch(state, head.get("despatch_number"))
    found = state.despatches.get(number)
    if found is None:
        raise TransitionError(f"{what}: unknown despatch {number!r}")
    advice = found[0]
    lines = []
    for row in group:
        v = row.values
        sku, lot = v["sku"], v.get("lot")
        candidates = [
            x.line for x in advice.lines if x.sku == sku and (not lot or not x.lot or x.lot == lot)
        ]
        line = _only(candidates, sku, f"despatch {number}", "the rows must give the lot")
        lot = lot or next(x.lot for x in advice.lines if x.line == line)
        received = v["quantity_received"]
        rejected = v.get("quantity_rejected", 0)
        inspection = v.get("quantity_in_inspection", 0)
        accepted = v.get("quantity_accepted", received - rejected - inspection)
        item: dict[str, Any] = {
            "line": line,
            "sku": sku,
            "quantity_received": received,
            "quantity_accepted": accepted,
            "quantity_in_inspection": inspection,
            "quantity_rejected": rejected,
        }
        if lot:
            item["lot"] = lot
        if rejected:
            item["reason"] = v.get("reason") or defaults.get("reason") or "rejected at receipt"
        lines.append(item)
    received_at = _need(head, "received_at", what)
    return {
        "type": "goods_receipt",
        "po_number": head["po_number"],
        "despatch_number": number,
        "receipt_number": head["receipt_number"],
        "issued_at": head.get("issued_at") or received_at,
        "received_at": received_at,
        "lines": lines,
    }


def import_documents(
    service: DocumentService,
    rows: Sequence[Mapping[str, object]],
    peer: Peer,
    *,
    now_ms: int,
    document_type: DocumentType | None = None,
    fields: Mapping[str, str] | None = None,
    profile: MappingProfile | None = None,
    defaults: Mapping[str, str] | None = None,
    timezone: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Map, build and (unless ``dry_run``) create the documents of an export."""
    defaults = dict(defaults or {})
    unknown = sorted(set(defaults) - DEFAULTABLE)
    if unknown:
        raise DocumentFormatError(
            f"defaults {unknown} are not document fields that may be defaulted "
            f"({', '.join(sorted(DEFAULTABLE))})"
        )
    zone = timezone or (profile.timezone if profile is not None else "Z")
    now = datetime.fromtimestamp(now_ms / 1000).astimezone()
    plan = plan_mapping(
        rows,
        now=now,
        document_type=document_type,
        given=fields,
        profile=profile,
        timezone=zone,
    )
    kind = plan.document_type
    bodies = []
    me, other = service.signer().name, peer.key.name
    for group in _group(kind, _transform(rows, plan, zone)):
        if kind is DocumentType.PURCHASE_ORDER:
            bodies.append(_po(group, defaults))
            continue
        head = _header(group, defaults)
        buyer = other if kind is DocumentType.DESPATCH_ADVICE else me
        state = service.chain(f"{buyer}/{head['po_number']}")
        if kind is DocumentType.DESPATCH_ADVICE:
            bodies.append(_despatch(group, defaults, state))
        else:
            bodies.append(_receipt(group, defaults, state))
    if dry_run:
        return ImportResult(plan, tuple(bodies), ())
    created = tuple(service.create(body, peer, now_ms) for body in bodies)
    return ImportResult(plan, tuple(bodies), created)
