"""Wire models of the upload API: a preview of an export, a mapping approval."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from node.api.problems import ValidationIssue
from semantic_mapping import FieldInputError, SourceField

__all__ = [
    "SOURCE_PATTERN",
    "ZONE_PATTERN",
    "AlternativePublic",
    "ColumnPublic",
    "ConceptPublic",
    "FindingPreview",
    "MappingApproval",
    "MappingApproved",
    "PreviewPublic",
]

#: The names ``semantic_mapping`` accepts for a source (its profile's file name).
SOURCE_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: The time zones a mapping profile accepts for offset-less timestamps.
ZONE_PATTERN: Final = r"^(Z|[+-]\d{2}:\d{2})$"
MAX_APPROVED_FIELDS: Final = 200
#: Longest column name (semantic_mapping's limit for a field name) and concept id.
MAX_COLUMN_CHARS: Final = 256
MAX_CONCEPT_CHARS: Final = 64
Column = Annotated[str, StringConstraints(min_length=1, max_length=MAX_COLUMN_CHARS)]
ConceptId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CONCEPT_CHARS)]


class ConceptPublic(BaseModel):
    """A concept of the canonical vocabulary with its SKOS preferred labels."""

    model_config = ConfigDict(frozen=True)
    id: str
    zh: str = Field(description="skos:prefLabel in Chinese")
    en: str = Field(description="skos:prefLabel in English")
    value_type: str


class AlternativePublic(BaseModel):
    model_config = ConfigDict(frozen=True)
    concept: str
    confidence: float


class ColumnPublic(BaseModel):
    """One column of the export: the concept it maps to, approved or proposed."""

    model_config = ConfigDict(frozen=True)
    name: str
    concept: str
    labels: ConceptPublic
    confidence: float = Field(ge=0, le=1)
    approved: bool = Field(description="the source's approved profile maps this column")
    explanation: str
    alternatives: list[AlternativePublic]


class FindingPreview(BaseModel):
    """A governance warning a publish would keep on record (row numbers from 0)."""

    model_config = ConfigDict(frozen=True)
    row: int
    rule_id: str
    field: str | None
    message: str


class PreviewPublic(BaseModel):
    """What publishing the same body would do; nothing was stored."""

    model_config = ConfigDict(frozen=True)
    source: str
    profile_version: int | None = Field(description="the approved profile's, if any")
    rows: int
    ready: bool = Field(description="every column approved and no hard-rule failure")
    columns: list[ColumnPublic]
    problems: list[ValidationIssue] = Field(
        description="what a publish would refuse: loc ['positions', row, field] or ['fields', …]"
    )
    warnings: list[FindingPreview]
    concepts: list[ConceptPublic] = Field(description="the vocabulary, for choosing a concept")


class MappingApproval(BaseModel):
    """Approve ``column -> concept`` mappings for a source (``none``: ignore the column)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: str = Field(pattern=SOURCE_PATTERN, description="source system, e.g. kingdee-plant1")
    timezone: str = Field(
        default="Z",
        pattern=ZONE_PATTERN,
        description="zone of offset-less timestamps (a new profile only)",
    )
    fields: dict[Column, ConceptId] = Field(min_length=1, max_length=MAX_APPROVED_FIELDS)

    @field_validator("fields")
    @classmethod
    def _column_names(cls, fields: dict[str, str]) -> dict[str, str]:
        for name in fields:
            try:
                SourceField(name)  # the matcher's rules for a field name
            except FieldInputError as exc:
                raise ValueError(str(exc)) from None
        return fields


class MappingApproved(BaseModel):
    model_config = ConfigDict(frozen=True)
    source: str
    version: int
    timezone: str
    fields: int = Field(description="columns the profile maps now")
