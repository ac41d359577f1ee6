"""Partner record (CSV row or JSON object) + its profile → canonical record.

Every field of the record ends up somewhere visible: in a canonical value (with
lineage), in `ignored` (approved as having no canonical equivalent) or in `unmapped`
(no approved mapping yet). Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Final

from semantic_mapping._errors import TransformError
from semantic_mapping._profile import FieldMapping, MappingProfile
from semantic_mapping._records import CanonicalRecord, Lineage
from semantic_mapping._status import STATUS_THRESHOLD, StatusMatcher
from semantic_mapping._values import parse_quantity, parse_timestamp
from semantic_mapping._vocabulary import BUCKETS, NONE, Vocabulary

__all__ = ["Transformer"]

GENERIC_QUANTITY: Final = "quantity"
STOCK_STATUS: Final = "stock_status"
_IDENTITY: Final = ("sku", "location", "lot")


@dataclass
class _Work:
    identity: dict[str, str] = field(default_factory=dict)
    as_of: datetime | None = None
    unit: tuple[str, str] | None = None  # (field, unit value)
    status: tuple[str, str] | None = None  # (field, status value)
    generic: list[tuple[FieldMapping, Decimal]] = field(default_factory=list)
    quantities: list[tuple[FieldMapping, str, Decimal]] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    lineage: list[Lineage] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


class Transformer:
    """Applies one source's approved profile to its records."""

    def __init__(self, vocabulary: Vocabulary, profile: MappingProfile) -> None:
        self.vocabulary = vocabulary
        self.profile = profile
        self.status = StatusMatcher(vocabulary)

    def transform_all(self, records: Iterable[Mapping[str, object]]) -> list[CanonicalRecord]:
        out: list[CanonicalRecord] = []
        for number, record in enumerate(records, start=1):
            try:
                out.append(self.transform(record))
            except TransformError as exc:
                raise TransformError(f"record {number}: {exc}") from None
        return out

    def transform(self, record: Mapping[str, object]) -> CanonicalRecord:
        if not isinstance(record, Mapping):  # a JSON export's record may be anything
            raise TransformError(
                f"a record must be an object of fields, not {type(record).__name__}"
            )
        work = _Work()
        for name, value in record.items():
            if not isinstance(name, str):
                raise TransformError(f"field name {name!r} is not a string")
            mapping = self.profile.mapping_for(name)
            if mapping is None:
                work.unmapped.append(name)
            elif mapping.concept == NONE:
                work.ignored.append(name)
            else:
                self._take(work, mapping, value)
        return self._finish(work)

    def _lineage(self, mapping: FieldMapping, note: str = "") -> Lineage:
        return Lineage(
            source_field=mapping.source_field,
            concept=mapping.concept,
            profile=self.profile.source,
            profile_version=mapping.version,
            note=note,
        )

    def _take(self, work: _Work, mapping: FieldMapping, value: object) -> None:  # noqa: PLR0912
        concept = mapping.concept
        name = mapping.source_field
        text = "" if value is None else str(value).strip()
        deferred = False  # quantities get their lineage once units are known
        if concept in _IDENTITY:
            if text:
                if concept in work.identity and work.identity[concept] != text:
                    raise TransformError(f"two fields give different {concept} values")
                work.identity[concept] = text
        elif concept == "timestamp":
            work.as_of = parse_timestamp(value, field=name, default_tz=self.profile.timezone)
        elif concept == "uom":
            if text:
                work.unit = (name, text)
        elif concept == STOCK_STATUS:
            if text:
                work.status = (name, text)
        elif concept == GENERIC_QUANTITY:
            amount = parse_quantity(value, field=name)
            if amount is not None:
                work.generic.append((mapping, amount))
            deferred = True
        elif self.vocabulary[concept].value_type == "quantity":
            amount = parse_quantity(value, field=name)
            if amount is not None:
                work.quantities.append((mapping, concept, amount))
            deferred = True
        elif text:
            if concept in work.attributes and work.attributes[concept] != text:
                raise TransformError(f"two fields give different {concept} values")
            work.attributes[concept] = text
        if not deferred:
            work.lineage.append(self._lineage(mapping))

    def _bucket_of_status(self, work: _Work) -> tuple[str, str]:
        if work.status is None:
            raise TransformError("a quantity needs a stock-status field to choose its bucket")
        name, value = work.status
        approved = self.profile.value_concept(name, value)
        if approved is not None:
            return approved.concept, f"value '{value}' → {approved.concept} (value map)"
        found = self.status.match(value)
        if found.bucket is None or found.confidence < STATUS_THRESHOLD:
            raise TransformError(
                f"status {value[:40]!r} of {name!r} maps to no bucket ({found.explanation}); "
                "approve a value map for it"
            )
        return found.bucket, f"value '{value}' → {found.bucket} ({found.explanation})"

    def _factor(self, mapping: FieldMapping, record_unit: str | None) -> tuple[Decimal, str]:
        unit = mapping.unit or record_unit
        base = self.profile.base_unit
        if unit is None or base is None:
            return Decimal(1), ""
        factor = self.profile.unit_factor(unit)
        if factor is None:
            raise TransformError(
                f"{mapping.source_field}: unit {unit!r} has no conversion to {base!r} in "
                f"profile {self.profile.source!r}"
            )
        return factor, "" if factor == 1 else f"×{factor} ({unit} → {base})"

    def _finish(self, work: _Work) -> CanonicalRecord:
        sku = work.identity.get("sku")
        if not sku:
            raise TransformError("record has no sku (no field approved as 'sku', or it is empty)")
        record_unit = work.unit[1] if work.unit is not None else None
        quantities: dict[str, Decimal] = {}
        for mapping, concept, amount in work.quantities:
            factor, note = self._factor(mapping, record_unit)
            quantities[concept] = quantities.get(concept, Decimal(0)) + amount * factor
            work.lineage.append(self._lineage(mapping, note))
        for mapping, amount in work.generic:
            bucket, why = self._bucket_of_status(work)
            factor, note = self._factor(mapping, record_unit)
            if bucket == NONE:
                work.ignored.append(mapping.source_field)
                continue
            quantities[bucket] = quantities.get(bucket, Decimal(0)) + amount * factor
            work.lineage.append(
                Lineage(
                    mapping.source_field,
                    bucket,
                    self.profile.source,
                    mapping.version,
                    "; ".join(x for x in (why, note) if x),
                )
            )
        uom = self.profile.base_unit or record_unit
        return CanonicalRecord(
            sku=sku,
            location=work.identity.get("location"),
            lot=work.identity.get("lot"),
            as_of=work.as_of,
            uom=uom,
            quantities={k: quantities[k] for k in sorted(quantities, key=_bucket_order)},
            attributes=dict(work.attributes),
            lineage=tuple(work.lineage),
            unmapped=tuple(work.unmapped),
            ignored=tuple(work.ignored),
        )


def _bucket_order(concept: str) -> tuple[int, str]:
    return (BUCKETS.index(concept) if concept in BUCKETS else len(BUCKETS), concept)
