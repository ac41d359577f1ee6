"""What an export would become, before anything is stored.

An export's columns are matched against the canonical vocabulary: a column the
source's approved profile maps keeps its approved concept (confidence 1), any
other gets the matcher's proposal. The rows are then transformed with a draft
profile (the approved mappings plus the proposals, never written anywhere) and
checked with ``governance`` under the rule set in force, exactly as a publish
would check them. Nothing is stored; the caller decides what to approve.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from governance import Finding, RuleSet
from node.inventory import (
    MAX_UPLOAD_BYTES,
    InputError,
    InventoryError,
    Issue,
    RefusedError,
    TooLargeError,
    check_intake,
    read_upload,
)
from node.inventory._intake import MappingContext, read_json
from semantic_mapping import (
    Alternative,
    FieldInputError,
    MappingProfile,
    Matcher,
    SourceField,
    Vocabulary,
    new_profile,
    read_csv_records,
)

__all__ = ["ColumnProposal", "Preview", "approve_columns", "export_columns", "preview_export"]

#: Who "approves" the draft profile of a preview (it is never stored).
PREVIEW_APPROVER: Final = "upload-preview"
MAX_COLUMNS: Final = 200
SAMPLE_ROWS: Final = 20


@dataclass(frozen=True)
class ColumnProposal:
    """One column of the export and the concept it maps (or would map) to."""

    name: str
    concept: str
    confidence: float
    explanation: str
    approved: bool
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class Preview:
    source: str
    profile_version: int | None  # the approved profile's, None when there is none yet
    rows: int
    columns: tuple[ColumnProposal, ...]  # empty for canonical positions
    problems: tuple[Issue, ...]  # what a publish would refuse, with where and why
    warnings: tuple[tuple[int, Finding], ...]  # (row, finding) kept on record by a publish

    @property
    def ready(self) -> bool:
        """A publish of the same body would pass mapping and the hard rules."""
        return not self.problems and all(c.approved for c in self.columns)


def export_columns(
    data: bytes, media_type: str
) -> tuple[tuple[str, ...], Sequence[Mapping[str, object]]] | None:
    """(column names, rows) of a CSV or JSON-array export; None for any other JSON
    body (canonical positions, which :func:`read_upload` parses or refuses)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLargeError(f"a snapshot body is at most {MAX_UPLOAD_BYTES} bytes")
    if not data.strip():
        raise InputError("the body is empty")
    if media_type == "text/csv":
        try:
            export = read_csv_records(data)
        except FieldInputError as exc:
            raise InputError(f"CSV export: {exc}") from None
        return export.header, export.rows
    if media_type != "application/json":
        raise InputError("send text/csv or application/json")
    value = read_json(data)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return None
    names = tuple(dict.fromkeys(k for row in value for k in row))
    return names, value


def approve_columns(
    profile: MappingProfile,
    vocabulary: Vocabulary,
    fields: Mapping[str, str],
    *,
    approved_by: str,
    now: datetime,
) -> MappingProfile:
    """``profile`` with every ``column -> concept`` of ``fields`` approved (ProfileError
    for an unknown concept or a bad approver name)."""
    for name, concept in fields.items():
        profile = profile.approve_field(
            vocabulary, source_field=name, concept=concept, approved_by=approved_by, now=now
        )
    return profile


def _samples(rows: Sequence[Mapping[str, object]], name: str) -> tuple[object, ...]:
    found = (row.get(name) for row in rows[:SAMPLE_ROWS])
    return tuple(v for v in found if v not in (None, "") and not isinstance(v, dict | list))


def _propose(
    names: Sequence[str],
    rows: Sequence[Mapping[str, object]],
    vocabulary: Vocabulary,
    approved: MappingProfile | None,
) -> tuple[ColumnProposal, ...]:
    if len(names) > MAX_COLUMNS:
        raise InputError(f"an export has at most {MAX_COLUMNS} columns, got {len(names)}")
    matcher = Matcher(vocabulary)
    out = []
    for name in names:
        try:
            result = matcher.match(SourceField(name, None, _samples(rows, name)), profile=approved)
        except FieldInputError as exc:
            raise InputError(f"column {name[:40]!r}: {exc}") from None
        out.append(
            ColumnProposal(
                name=name,
                concept=result.concept,
                confidence=result.confidence,
                explanation=result.explanation,
                approved=approved is not None and approved.mapping_for(name) is not None,
                alternatives=result.alternatives,
            )
        )
    return tuple(out)


def preview_export(
    data: bytes,
    media_type: str,
    *,
    source: str,
    timezone: str,
    vocabulary: Vocabulary,
    profile: Callable[[str], MappingProfile | None],
    rules: RuleSet,
    now_ms: int,
    node_id: str,
) -> Preview:
    """Propose mappings for ``data`` and check its rows; raises :class:`InputError` or
    :class:`TooLargeError` for an unusable body, ``ProfileError`` for a bad source
    name, time zone or stored profile. ``timezone`` is used only when ``source`` has
    no approved profile yet (an approved profile keeps its own)."""
    parsed = export_columns(data, media_type)
    approved = profile(source)
    draft = approved or new_profile(source, timezone=timezone)
    columns: tuple[ColumnProposal, ...] = ()
    rows = 0
    if parsed is not None:
        names, records = parsed
        rows = len(records)
        columns = _propose(names, records, vocabulary, approved)
        proposed = {c.name: c.concept for c in columns if not c.approved}
        now = datetime.fromtimestamp(now_ms / 1000, UTC)
        draft = approve_columns(draft, vocabulary, proposed, approved_by=PREVIEW_APPROVER, now=now)
    context = MappingContext(vocabulary, lambda _source: draft)
    try:
        intake = read_upload(data, media_type, source, context)
        rows = len(intake.candidates)
        checked = check_intake(intake, rules, now_ms=now_ms, node_id=node_id)
    except RefusedError as exc:
        return Preview(source, _version(approved), rows, columns, exc.issues, ())
    except TooLargeError:
        raise
    except InventoryError as exc:
        if parsed is None:  # canonical positions: the body itself is unusable
            raise
        issues = exc.issues or (Issue(("export",), exc.detail, exc.slug),)
        return Preview(source, _version(approved), rows, columns, issues, ())
    return Preview(source, _version(approved), rows, columns, (), checked.findings)


def _version(profile: MappingProfile | None) -> int | None:
    return None if profile is None else profile.version
