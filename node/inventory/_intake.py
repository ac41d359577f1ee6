"""Request bodies → candidate positions: partner exports (CSV, JSON) or canonical JSON.

* ``text/csv``: a partner export in its own column names, mapped with the approved
  profile of ``source``.
* ``application/json`` with a JSON array of objects: the same, one object per row.
* ``application/json`` with an object ``{"positions": [...], "zone": "+08:00"?}``:
  canonical positions (sku, location, lot?, as_of, quantities, safety_stock?).

Exports need an approved profile that maps every field; otherwise the matcher's
proposals are returned in an :class:`UnmappedError` for a person to approve.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from node._unicode import lone_surrogate_at
from node.inventory._errors import InputError, Issue, TooLargeError, UnmappedError
from semantic_mapping import (
    BUCKETS,
    CanonicalRecord,
    FieldInputError,
    MappingError,
    MappingProfile,
    Matcher,
    SourceField,
    Transformer,
    TransformError,
    Vocabulary,
    read_csv_records,
)

__all__ = [
    "MAX_POSITIONS",
    "MAX_UPLOAD_BYTES",
    "Candidate",
    "Intake",
    "MappingContext",
    "read_json",
    "read_upload",
]

MAX_UPLOAD_BYTES: Final = 8 * 1024 * 1024
MAX_POSITIONS: Final = 10_000
SAFETY_STOCK: Final = "safety_stock"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_CANONICAL_KEYS: Final = frozenset(
    {"sku", "location", "lot", "as_of", "quantities", "safety_stock", "uom"}
)


@dataclass(frozen=True)
class Candidate:
    """One position before the rule checks: the record governance checks, plus what
    stays private (safety stock, unit, other attributes and planning figures)."""

    record: Mapping[str, Any]
    safety_stock: object = None
    uom: str | None = None
    extras: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Intake:
    candidates: tuple[Candidate, ...]
    source: str | None
    profile_version: int | None
    zone: str | None  # the declared zone of offset-less times (canonical input)
    source_fields: Mapping[str, str] = field(default_factory=dict)  # concept -> column


@dataclass(frozen=True)
class MappingContext:
    vocabulary: Vocabulary
    profile: Callable[[str], MappingProfile | None]


def read_json(data: bytes) -> object:
    """A JSON body (UTF-8, a BOM allowed) as Python values; :class:`InputError` when it
    is not UTF-8, not JSON, nested too deeply, has a number beyond Python's integer
    digit limit or a string that is not Unicode text (a lone surrogate escape)."""
    try:
        value = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise InputError("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply") from None
    except ValueError:  # an integer beyond Python's digit limit for int() (4300)
        raise InputError("invalid JSON: a number is too long") from None
    where = lone_surrogate_at(value)
    if where is not None:
        raise InputError(f"invalid JSON: a string at {where} is not Unicode text (lone surrogate)")
    return value


def read_upload(
    data: bytes, media_type: str, source: str | None, mapping: MappingContext
) -> Intake:
    """Parse a snapshot body; raises an :class:`InventoryError` subclass when unusable."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLargeError(f"a snapshot body is at most {MAX_UPLOAD_BYTES} bytes")
    if not data.strip():
        raise InputError("the body is empty")
    if media_type == "text/csv":
        try:
            export = read_csv_records(data)
        except FieldInputError as exc:
            raise InputError(f"CSV export: {exc}") from None
        if not export.rows:
            raise InputError("the CSV export has a header but no rows")
        return _from_export(export.rows, source, mapping)
    if media_type != "application/json":
        raise InputError("send text/csv or application/json")
    value = read_json(data)
    if isinstance(value, list):
        if not value:
            raise InputError("the JSON export has no records")
        if not all(isinstance(v, dict) for v in value):
            raise InputError("a JSON export is an array of objects, one per record")
        return _from_export(value, source, mapping)
    if isinstance(value, dict) and "positions" in value:
        return _canonical(value)
    raise InputError('JSON must be an export (array of objects) or {"positions": [...]}')


# -- partner exports ------------------------------------------------------------------


def _limit(count: int) -> None:
    if count > MAX_POSITIONS:
        raise TooLargeError(f"a snapshot has at most {MAX_POSITIONS} positions, got {count}")


def _samples(rows: Sequence[Mapping[str, object]], name: str) -> tuple[object, ...]:
    found = [r.get(name) for r in rows[:20]]
    return tuple(v for v in found if v not in (None, "") and not isinstance(v, dict | list))


def _proposals(
    names: Sequence[str], rows: Sequence[Mapping[str, object]], mapping: MappingContext, why: str
) -> UnmappedError:
    matcher = Matcher(mapping.vocabulary)
    issues = []
    for name in names[:200]:
        try:
            result = matcher.match(SourceField(name, None, _samples(rows, name)))
        except MappingError as exc:
            issues.append(Issue(("fields", name), f"unusable field name: {exc}", "unusable"))
            continue
        kind = "low-confidence" if result.confidence < 0.8 else "unmapped"
        issues.append(
            Issue(
                ("fields", name),
                f"proposed {result.concept} (confidence {result.confidence:.2f}): "
                f"{result.explanation}",
                kind,
            )
        )
    return UnmappedError(why, issues)


def _from_export(
    rows: Sequence[Mapping[str, object]], source: str | None, mapping: MappingContext
) -> Intake:
    _limit(len(rows))
    names = list(dict.fromkeys(k for r in rows for k in r))
    if any(not isinstance(n, str) for n in names):
        raise InputError("field names must be strings")
    if source is None:
        raise _proposals(names, rows, mapping, "no source given: name the approved profile")
    try:
        profile = mapping.profile(source)
    except MappingError as exc:
        raise InputError(f"profile {source!r}: {exc}") from None
    if profile is None:
        raise _proposals(names, rows, mapping, f"no approved mapping profile {source!r}")
    missing = [n for n in names if profile.mapping_for(n) is None]
    if missing:
        raise _proposals(
            missing, rows, mapping, f"profile {source}@{profile.version} does not map every field"
        )
    try:
        records = Transformer(mapping.vocabulary, profile).transform_all(rows)
    except TransformError as exc:
        raise InputError(str(exc)) from None
    columns = {m.concept: m.source_field for m in profile.fields if m.source_field in names}
    return Intake(
        tuple(_candidate(r) for r in records), profile.source, profile.version, None, columns
    )


def _candidate(record: CanonicalRecord) -> Candidate:
    quantities = {k: v for k, v in record.quantities.items() if k in BUCKETS}
    extras = {k: str(v) for k, v in record.quantities.items() if k not in BUCKETS}
    extras.pop(SAFETY_STOCK, None)
    extras.update(record.attributes)
    as_of = None if record.as_of is None else (record.as_of - _EPOCH) // timedelta(milliseconds=1)
    governed: dict[str, Any] = {"sku": record.sku, "quantities": quantities}
    for key, value in (("location", record.location), ("lot", record.lot), ("as_of", as_of)):
        if value is not None:
            governed[key] = value
    return Candidate(governed, record.quantities.get(SAFETY_STOCK), record.uom, extras)


# -- canonical positions --------------------------------------------------------------


def _canonical(value: Mapping[str, object]) -> Intake:
    unknown = set(value) - {"positions", "zone"}
    if unknown:
        raise InputError(f"unknown key {sorted(unknown)[0]!r} (expected positions, zone)")
    zone = value.get("zone")
    if zone is not None and (not isinstance(zone, str) or not zone or len(zone) > 64):
        raise InputError("zone must be an offset (+08:00) or an IANA zone name")
    positions = value["positions"]
    if not isinstance(positions, list) or not positions:
        raise InputError("positions must be a non-empty array")
    _limit(len(positions))
    out = []
    for n, item in enumerate(positions):
        if not isinstance(item, dict):
            raise InputError(f"positions[{n}] must be an object")
        extra = set(item) - _CANONICAL_KEYS
        if extra:
            raise InputError(f"positions[{n}]: unknown field {sorted(extra)[0]!r}")
        uom = item.get("uom")
        if uom is not None and not isinstance(uom, str):
            raise InputError(f"positions[{n}].uom must be a string")
        record = {k: v for k, v in item.items() if k not in ("safety_stock", "uom")}
        out.append(Candidate(record, item.get("safety_stock"), uom))
    return Intake(tuple(out), None, None, zone)
