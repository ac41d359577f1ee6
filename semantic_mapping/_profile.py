"""Mapping profiles: per source system, the approved field mappings, value maps and units.

A profile is an immutable value; every approval returns a new profile with the version
incremented. It is stored as RDF (see :mod:`semantic_mapping._profile_rdf`): each field
mapping is a SKOS mapping statement with provenance (who approved it, when, in which
version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Final

from semantic_mapping._errors import ProfileError
from semantic_mapping._normalise import nfkc
from semantic_mapping._vocabulary import BUCKETS, NONE, Vocabulary

__all__ = [
    "RELATIONS",
    "FieldMapping",
    "MappingProfile",
    "UnitConversion",
    "ValueMapping",
    "new_profile",
]

#: SKOS mapping relations a profile may state between a source field and a concept.
RELATIONS: Final = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch")
_SOURCE_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _check_time(when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ProfileError("approval time must carry a time zone")


def _check_who(who: str) -> None:
    if not who.strip() or len(who) > 200:
        raise ProfileError("the approver's name is empty or too long")


@dataclass(frozen=True)
class FieldMapping:
    """`source_field` of this source means `concept` (approved by someone, at a version)."""

    source_field: str
    concept: str
    relation: str
    approved_by: str
    approved_at: datetime
    version: int
    unit: str | None = None  # unit of the field's values, when the field has a fixed unit

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise ProfileError(f"unknown mapping relation {self.relation!r}")
        if not self.source_field.strip():
            raise ProfileError("source field name is empty")
        _check_who(self.approved_by)
        _check_time(self.approved_at)


@dataclass(frozen=True)
class ValueMapping:
    """In `source_field`, the value `source_value` means bucket `concept` ('ZP' → available)."""

    source_field: str
    source_value: str
    concept: str
    approved_by: str
    approved_at: datetime
    version: int

    def __post_init__(self) -> None:
        _check_who(self.approved_by)
        _check_time(self.approved_at)


@dataclass(frozen=True)
class UnitConversion:
    """One `unit` of this source is `factor` of the profile's base unit."""

    unit: str
    factor: Decimal

    def __post_init__(self) -> None:
        if not self.unit.strip():
            raise ProfileError("unit name is empty")
        if not self.factor.is_finite() or self.factor <= 0:
            raise ProfileError(f"unit {self.unit!r}: factor must be a positive number")


def name_key(name: str) -> str:
    """How field names and values are compared: NFKC, surrounding spaces removed."""
    return nfkc(name).strip()


def unit_key(unit: str) -> str:
    return nfkc(unit).strip().lower()


@dataclass(frozen=True)
class MappingProfile:
    source: str
    version: int
    base_unit: str | None
    timezone: str
    fields: tuple[FieldMapping, ...]
    values: tuple[ValueMapping, ...]
    units: tuple[UnitConversion, ...]
    modified_at: datetime | None = None

    def __post_init__(self) -> None:
        if not _SOURCE_RE.match(self.source):
            raise ProfileError(
                f"source name {self.source!r} must be 1-64 letters, digits, '.', '_' or '-'"
            )
        if self.version < 0:
            raise ProfileError("profile version must not be negative")
        if not re.match(r"^(Z|[+-]\d{2}:\d{2})$", self.timezone):
            raise ProfileError(f"time zone {self.timezone!r} must be 'Z' or ±HH:MM")
        names = [name_key(m.source_field) for m in self.fields]
        if len(set(names)) != len(names):
            raise ProfileError("a source field is mapped twice")
        keys = [unit_key(u.unit) for u in self.units]
        if len(set(keys)) != len(keys):
            raise ProfileError("a unit is defined twice")

    @cached_property
    def _by_field(self) -> dict[str, FieldMapping]:
        return {name_key(m.source_field): m for m in self.fields}

    @cached_property
    def _by_value(self) -> dict[tuple[str, str], ValueMapping]:
        return {(name_key(m.source_field), name_key(m.source_value)): m for m in self.values}

    def mapping_for(self, source_field: str) -> FieldMapping | None:
        """The approved mapping of a field; names compare after NFKC and trimming, so a
        full-width header matches the half-width name it was approved under."""
        return self._by_field.get(name_key(source_field))

    def value_concept(self, source_field: str, value: str) -> ValueMapping | None:
        return self._by_value.get((name_key(source_field), name_key(value)))

    def unit_factor(self, unit: str) -> Decimal | None:
        """Factor from `unit` to the base unit (1 for the base unit itself), None if unknown."""
        key = unit_key(unit)
        if self.base_unit is not None and key == unit_key(self.base_unit):
            return Decimal(1)
        for conversion in self.units:
            if unit_key(conversion.unit) == key:
                return conversion.factor
        return None

    # -- approvals: each returns a new profile, version + 1 --------------------------

    def approve_field(
        self,
        vocabulary: Vocabulary,
        *,
        source_field: str,
        concept: str,
        approved_by: str,
        now: datetime,
        relation: str = "exactMatch",
        unit: str | None = None,
    ) -> MappingProfile:
        if concept not in vocabulary:
            raise ProfileError(f"unknown concept {concept!r}")
        version = self.version + 1
        mapping = FieldMapping(
            source_field=source_field,
            concept=concept,
            relation=relation,
            approved_by=approved_by,
            approved_at=now,
            version=version,
            unit=unit,
        )
        others = tuple(m for m in self.fields if name_key(m.source_field) != name_key(source_field))
        return replace(self, version=version, fields=(*others, mapping), modified_at=now)

    def approve_value(
        self,
        vocabulary: Vocabulary,
        *,
        source_field: str,
        source_value: str,
        concept: str,
        approved_by: str,
        now: datetime,
    ) -> MappingProfile:
        if concept not in vocabulary or (concept not in BUCKETS and concept != NONE):
            raise ProfileError(f"value maps must point at a quantity bucket, not {concept!r}")
        version = self.version + 1
        mapping = ValueMapping(source_field, source_value, concept, approved_by, now, version)
        key = (name_key(source_field), name_key(source_value))
        others = tuple(
            m for m in self.values if (name_key(m.source_field), name_key(m.source_value)) != key
        )
        return replace(self, version=version, values=(*others, mapping), modified_at=now)

    def set_unit(self, *, unit: str, factor: Decimal, now: datetime) -> MappingProfile:
        _check_time(now)
        conversion = UnitConversion(unit=unit, factor=factor)
        others = tuple(u for u in self.units if unit_key(u.unit) != unit_key(unit))
        return replace(self, version=self.version + 1, units=(*others, conversion), modified_at=now)


def new_profile(
    source: str, *, base_unit: str | None = None, timezone: str = "Z"
) -> MappingProfile:
    """An empty profile (version 0) for a source system."""
    return MappingProfile(
        source=source,
        version=0,
        base_unit=base_unit,
        timezone=timezone,
        fields=(),
        values=(),
        units=(),
    )
