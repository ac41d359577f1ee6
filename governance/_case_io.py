"""Exception cases in bulk: storage form, breach flags and counts per partner."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from governance._cases import CaseState, Comment, ExceptionCase
from governance._errors import CaseFormatError
from governance._jsonread import Reader
from governance._vocab import ExceptionType

__all__ = ["CASE_FORMAT", "breach_counts", "case_from_dict", "case_to_dict", "flag_breaches"]

CASE_FORMAT: Final = "scnode-governance-case/v1"
_R = Reader(CaseFormatError)
_OPTIONAL_INTS: Final = ("resolve_by", "acknowledged_at", "resolved_at", "breached_at")
_OPTIONAL_STRS: Final = ("acknowledged_by", "resolved_by", "resolution")
_CASE_KEYS: Final = (
    "format",
    "id",
    "type",
    "subject",
    "assignee",
    "raised_by",
    "opened_at",
    "respond_by",
    "rule_set",
    "summary",
    "evidence",
    "state",
    "comments",
    *_OPTIONAL_INTS,
    *_OPTIONAL_STRS,
)


def case_to_dict(case: ExceptionCase) -> dict[str, Any]:
    """The stored (and API) form of a case, with its plaintext; not for the ledger."""
    return {
        "format": CASE_FORMAT,
        "id": case.id,
        "type": case.type.value,
        "subject": case.subject,
        "assignee": case.assignee,
        "raised_by": case.raised_by,
        "opened_at": case.opened_at,
        "respond_by": case.respond_by,
        "resolve_by": case.resolve_by,
        "rule_set": case.rule_set,
        "summary": case.summary,
        "evidence": [dict(e) for e in case.evidence],
        "state": case.state.value,
        "acknowledged_at": case.acknowledged_at,
        "acknowledged_by": case.acknowledged_by,
        "resolved_at": case.resolved_at,
        "resolved_by": case.resolved_by,
        "resolution": case.resolution,
        "comments": [{"at": c.at, "author": c.author, "text": c.text} for c in case.comments],
        "breached_at": case.breached_at,
    }


def case_from_dict(data: Any) -> ExceptionCase:
    """Read a stored case; raises :class:`CaseFormatError`."""
    o = _R.obj(data, "case", keys=_CASE_KEYS)
    if o.get("format") != CASE_FORMAT:
        raise CaseFormatError(f"case: expected format {CASE_FORMAT!r}")

    def s(key: str) -> str:
        return _R.string(_R.field(o, key, "case"), f"case.{key}")

    def i(key: str) -> int:
        return _R.integer(_R.field(o, key, "case"), f"case.{key}", minimum=0)

    try:
        kind = ExceptionType(s("type"))
        state = CaseState(s("state"))
    except ValueError as exc:
        raise CaseFormatError(f"case: {exc}") from None
    optional: dict[str, Any] = {}
    for key in _OPTIONAL_INTS:
        value = o.get(key)
        optional[key] = None if value is None else _R.integer(value, f"case.{key}", minimum=0)
    for key in _OPTIONAL_STRS:
        value = o.get(key)
        optional[key] = None if value is None else _R.string(value, f"case.{key}")
    comments = []
    for n, raw in enumerate(_R.items(o.get("comments", []), "case.comments")):
        c = _R.obj(raw, f"case.comments[{n}]", keys=("at", "author", "text"))
        comments.append(
            Comment(
                _R.integer(_R.field(c, "at", "comment"), f"case.comments[{n}].at", minimum=0),
                _R.string(_R.field(c, "author", "comment"), f"case.comments[{n}].author"),
                _R.string(_R.field(c, "text", "comment"), f"case.comments[{n}].text"),
            )
        )
    evidence = tuple(
        dict(_R.obj(e, f"case.evidence[{n}]"))
        for n, e in enumerate(_R.items(o.get("evidence", []), "case.evidence"))
    )
    if i("respond_by") < i("opened_at"):
        raise CaseFormatError("case: response deadline before opening")
    case = ExceptionCase(
        id=s("id"),
        type=kind,
        subject=s("subject"),
        assignee=s("assignee"),
        raised_by=s("raised_by"),
        opened_at=i("opened_at"),
        respond_by=i("respond_by"),
        rule_set=s("rule_set"),
        summary=s("summary"),
        evidence=evidence,
        state=state,
        comments=tuple(comments),
        **optional,
    )
    _consistent(case)
    return case


def _consistent(case: ExceptionCase) -> None:
    acknowledged = case.acknowledged_at is not None
    resolved = case.resolved_at is not None
    expected = (
        CaseState.RESOLVED
        if resolved
        else CaseState.ACKNOWLEDGED
        if acknowledged
        else CaseState.OPEN
    )
    if case.state is not expected:
        raise CaseFormatError(f"case: state {case.state.value} contradicts its timestamps")
    if resolved and (case.resolution is None or case.resolved_by is None):
        raise CaseFormatError("case: resolved without a resolution")
    if acknowledged and case.acknowledged_by is None:
        raise CaseFormatError("case: acknowledged by nobody")


def flag_breaches(
    cases: Iterable[ExceptionCase], *, now: int
) -> list[tuple[ExceptionCase, dict[str, Any]]]:
    """Cases newly found breached at ``now``, flagged, each with its ledger event."""
    out = []
    for case in cases:
        flagged = case.flag_breach(at=now)
        if flagged is not None:
            out.append(flagged)
    return out


def breach_counts(cases: Iterable[ExceptionCase], *, now: int) -> dict[str, int]:
    """Breached cases per assignee at ``now`` (resolved ones included: the count
    is the partner's record, not its backlog)."""
    counts: dict[str, int] = {}
    for case in cases:
        if case.breached(now):
            counts[case.assignee] = counts.get(case.assignee, 0) + 1
    return counts
