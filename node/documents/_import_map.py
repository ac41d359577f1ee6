"""Which column of a partner's document export is which document field.

A partner exports purchase orders, despatch advices or goods receipts with its
own column names (``采购单号``, ``EBELN``, ``po_number``, ``数量``, ``MENGE``,
``qty``). Each column is mapped onto a concept of the canonical vocabulary,
extended with the document concepts of ``data/document-vocabulary.ttl``: by
the caller (``fields``), by an approved mapping profile, or else by the
:class:`semantic_mapping.Matcher` when it is confident (≥ :data:`CONFIDENT`).
In a document, a generic quantity (``数量``, ``MENGE``, ``qty``) is the
document's own quantity and the as-of time its own date, so those concepts are
read in the document's context (:data:`IN_CONTEXT`).

Every column must end up mapped or knowingly ignored: a column the matcher
cannot place, two columns claiming one field, or a required field without a
column raise :class:`ImportMappingError` naming them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Final

from node.documents._errors import DocumentFormatError
from node.documents._models import DocumentType
from semantic_mapping import (
    NONE,
    MappingError,
    MappingProfile,
    Matcher,
    SourceField,
    Vocabulary,
    extension_from_turtle,
    load_vocabulary,
    new_profile,
)

__all__ = [
    "CONFIDENT",
    "IN_CONTEXT",
    "RAW_FIELDS",
    "REQUIRED",
    "FieldChoice",
    "ImportMappingError",
    "MappingPlan",
    "document_vocabulary",
    "plan_mapping",
]

#: The matcher's confidence from which a column is mapped without being named.
CONFIDENT: Final = 0.8
_T = DocumentType
#: Concepts read in a document's context: (type or None for all) -> {concept: field}.
IN_CONTEXT: Final[Mapping[DocumentType, Mapping[str, str]]] = {
    _T.PURCHASE_ORDER: {"quantity": "quantity_ordered", "timestamp": "issued_at"},
    _T.DESPATCH_ADVICE: {
        "quantity": "quantity_shipped",
        "sales_qty": "quantity_shipped",
        "timestamp": "shipped_at",
    },
    _T.GOODS_RECEIPT: {
        "quantity": "quantity_received",
        "timestamp": "received_at",
        "in_inspection": "quantity_in_inspection",
        "available": "quantity_accepted",
    },
}
#: Document fields each type takes from columns (the rest are ignored, and listed).
FIELDS: Final[Mapping[DocumentType, frozenset[str]]] = {
    _T.PURCHASE_ORDER: frozenset(
        {
            "po_number",
            "issued_at",
            "currency",
            "sku",
            "quantity_ordered",
            "uom",
            "unit_cost",
            "requested_date",
        }
    ),
    _T.DESPATCH_ADVICE: frozenset(
        {
            "po_number",
            "despatch_number",
            "issued_at",
            "shipped_at",
            "expected_arrival",
            "sku",
            "lot",
            "quantity_shipped",
        }
    ),
    _T.GOODS_RECEIPT: frozenset(
        {
            "po_number",
            "despatch_number",
            "receipt_number",
            "issued_at",
            "received_at",
            "sku",
            "lot",
            "quantity_received",
            "quantity_accepted",
            "quantity_in_inspection",
            "quantity_rejected",
            "reason",
        }
    ),
}
#: Fields a column must give (the others may come from defaults or the chain).
REQUIRED: Final[Mapping[DocumentType, tuple[str, ...]]] = {
    _T.PURCHASE_ORDER: ("po_number", "sku", "quantity_ordered"),
    _T.DESPATCH_ADVICE: ("po_number", "despatch_number", "sku", "quantity_shipped"),
    _T.GOODS_RECEIPT: ("po_number", "receipt_number", "sku", "quantity_received"),
}
#: Concepts whose presence tells the document type (checked in this order).
_TELLS: Final = (
    (_T.GOODS_RECEIPT, ("receipt_number", "quantity_received", "received_at")),
    (_T.DESPATCH_ADVICE, ("despatch_number", "quantity_shipped", "expected_arrival")),
    (_T.PURCHASE_ORDER, ("quantity_ordered", "requested_date")),
)
_SAMPLES: Final = 20
#: How the matcher explains a "none" it answered because nothing came close.
_NOTHING_CLOSE: Final = ("no label", "no candidate")


class ImportMappingError(DocumentFormatError):
    """The export's columns cannot all be placed; ``problems`` names each column."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "cannot map the export: "
            + "; ".join(problems)
            + ". Name the columns (fields {column: concept}, or 'none' to ignore one) "
            "or use an approved mapping profile"
        )


@dataclass(frozen=True)
class FieldChoice:
    column: str
    concept: str  # the vocabulary concept (after reading it in context)
    confidence: float
    how: str  # "given", "profile <source>@<version>" or "matched: <explanation>"

    def to_json(self) -> dict[str, object]:
        return {
            "column": self.column,
            "concept": self.concept,
            "confidence": self.confidence,
            "how": self.how,
        }


@dataclass(frozen=True)
class MappingPlan:
    document_type: DocumentType
    fields: tuple[FieldChoice, ...]  # columns that give document fields
    ignored: tuple[FieldChoice, ...]  # columns with no place in this document type
    profile: MappingProfile  # the choices as a profile, for the transformer


@cache
def document_vocabulary() -> Vocabulary:
    """The canonical vocabulary merged with the document concepts (loaded once)."""
    text = resources.files("node.documents").joinpath("data/document-vocabulary.ttl")
    return load_vocabulary([extension_from_turtle(text.read_text("utf-8"))])


def _samples(rows: Sequence[Mapping[str, object]], name: str) -> tuple[object, ...]:
    found = (r.get(name) for r in rows[:_SAMPLES])
    return tuple(v for v in found if v not in (None, "") and not isinstance(v, dict | list))


def _raw_choices(
    names: Sequence[str],
    rows: Sequence[Mapping[str, object]],
    given: Mapping[str, str],
    profile: MappingProfile | None,
    problems: list[str],
) -> list[FieldChoice]:
    vocabulary = document_vocabulary()
    matcher = Matcher(vocabulary)
    out = []
    for name in names:
        if name in given:
            concept = given[name]
            if concept not in vocabulary and concept not in _CONTEXT_FIELDS:
                problems.append(f"column {name!r}: unknown concept {concept!r}")
                continue
            out.append(FieldChoice(name, concept, 1.0, "given"))
            continue
        approved = None if profile is None else profile.mapping_for(name)
        if profile is not None and approved is not None:
            how = f"profile {profile.source}@{approved.version}"
            out.append(FieldChoice(name, approved.concept, 1.0, how))
            continue
        try:
            found = matcher.match(SourceField(name, None, _samples(rows, name)))
        except MappingError as exc:
            problems.append(f"column {name[:60]!r} is unusable: {exc}")
            continue
        if found.concept == NONE and found.explanation.startswith(_NOTHING_CLOSE):
            # the matcher's "none" for want of any candidate is not a known
            # no-equivalent field (a remark, a tax code): nobody has placed it
            problems.append(f"column {name!r} is unmapped ({found.explanation})")
            continue
        if found.confidence < CONFIDENT:
            problems.append(
                f"column {name!r} is unmapped (best guess {found.concept} at "
                f"{found.confidence:.2f})"
            )
            continue
        out.append(FieldChoice(name, found.concept, found.confidence, "matched"))
    return out


#: Document fields a column may be named as by hand although the vocabulary has no
#: concept for them (it treats a currency column as having no canonical
#: equivalent); their values are read as they are, not through the transformer.
RAW_FIELDS: Final = frozenset({"currency"})
_CONTEXT_FIELDS: Final = frozenset({"quantity_in_inspection"}) | RAW_FIELDS


def _infer(choices: Sequence[FieldChoice]) -> DocumentType:
    concepts = {c.concept for c in choices}
    for kind, tells in _TELLS:
        if concepts & set(tells):
            return kind
    raise ImportMappingError(["the document type cannot be told from the columns; give the type"])


def plan_mapping(
    rows: Sequence[Mapping[str, object]],
    *,
    now: datetime,
    document_type: DocumentType | None = None,
    given: Mapping[str, str] | None = None,
    profile: MappingProfile | None = None,
    timezone: str = "Z",
) -> MappingPlan:
    """Map every column of ``rows``; see the module docstring (``now``: approval time)."""
    names = list(dict.fromkeys(k for r in rows for k in r))
    if not names:
        raise ImportMappingError(["the export has no columns"])
    problems: list[str] = []
    raw = _raw_choices(names, rows, given or {}, profile, problems)
    kind = document_type or _infer(raw)
    context = IN_CONTEXT[kind]
    wanted = FIELDS[kind]
    fields: list[FieldChoice] = []
    ignored: list[FieldChoice] = []
    for choice in raw:
        concept = context.get(choice.concept, choice.concept)
        placed = FieldChoice(choice.column, concept, choice.confidence, choice.how)
        (fields if concept in wanted else ignored).append(placed)
    by_concept: dict[str, list[str]] = {}
    for choice in fields:
        by_concept.setdefault(choice.concept, []).append(choice.column)
    for concept, columns in sorted(by_concept.items()):
        if len(columns) > 1:
            listed = ", ".join(repr(c) for c in columns)
            problems.append(f"columns {listed} are ambiguous: each maps to {concept}")
    for field in REQUIRED[kind]:
        if field not in by_concept:
            problems.append(f"no column gives {field} (required for a {kind.value})")
    if problems:
        raise ImportMappingError(problems)
    return MappingPlan(kind, tuple(fields), tuple(ignored), _profile(fields, now, timezone))


def _profile(fields: Sequence[FieldChoice], now: datetime, timezone: str) -> MappingProfile:
    vocabulary = document_vocabulary()
    profile = new_profile("document-import", timezone=timezone)
    for choice in fields:
        if choice.concept in RAW_FIELDS:
            continue
        concept = "in_inspection" if choice.concept == "quantity_in_inspection" else choice.concept
        profile = profile.approve_field(
            vocabulary,
            source_field=choice.column,
            concept=concept,
            approved_by=choice.how[:200] or "import",
            now=now,
        )
    return profile
