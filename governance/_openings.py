"""Opening, deduplicating and clearing exception cases.

:func:`plan_openings` decides which cases to open (one per ``(type, assignee,
subject)``, none where an unresolved case with that key exists);
:func:`open_case` opens one, with deadlines from the rule set's SLA;
:func:`cleared_cases` finds cases whose condition has gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from governance._cases import CASE_ID_TAG, EVENT_OPENED, ExceptionCase, digest
from governance._errors import GovernanceError
from governance._facts import PeerFacts
from governance._findings import Finding
from governance._health import PartnerHealth
from governance._ruleset import RuleSet
from governance._triggers import Opening, from_facts, from_findings, from_health
from governance._vocab import ExceptionType

__all__ = ["CLEARABLE_TYPES", "cleared_cases", "open_case", "plan_openings"]

#: Types whose condition the metrics and facts re-evaluate: a case of these
#: types is cleared when its condition no longer holds. The others (document
#: discrepancies, split views, failed proofs) need a party to resolve them.
CLEARABLE_TYPES: Final = frozenset(
    {
        ExceptionType.STALE_FEED,
        ExceptionType.MISSING_FIELDS,
        ExceptionType.RULE_VIOLATION,
        ExceptionType.STALE_CHECKPOINT,
        ExceptionType.LOW_WITNESSES,
        ExceptionType.BELOW_SAFETY_STOCK,
    }
)

#: A subject that is itself a salted SHA-256 (hex), as an inventory item's is.
#: Every other subject (``despatch_advice:<number>/<sku>``, ``<sku>@<site>``, …)
#: reaches the ledger only as ``subject_digest``.
_PUBLIC_SUBJECT: Final = re.compile(r"[0-9a-f]{64}")


def plan_openings(
    *,
    rules: RuleSet,
    record_findings: Mapping[str, Sequence[Finding]] | None = None,
    document_findings: Mapping[str, Sequence[Finding]] | None = None,
    health: Iterable[PartnerHealth] = (),
    facts: Iterable[PeerFacts] = (),
    open_cases: Iterable[ExceptionCase] = (),
) -> tuple[Opening, ...]:
    """The cases to open now, deduplicated per ``(type, assignee, subject)``.

    ``record_findings`` / ``document_findings`` map the responsible partner to
    the findings on its records / documents. Record findings open only
    ``clock_skew`` (one per partner); missing fields and violations on records
    open through the metrics in ``health`` (window :data:`OPENING_WINDOW`).
    Keys of unresolved ``open_cases`` are skipped; the first opening per key wins.
    """
    candidates: list[Opening] = []
    for partner, found in sorted((record_findings or {}).items()):
        candidates += from_findings(partner, found, documents=False)
    for partner, found in sorted((document_findings or {}).items()):
        candidates += from_findings(partner, found, documents=True)
    for h in health:
        candidates += from_health(h, rules)
    for f in facts:
        candidates += from_facts(f)
    seen = {c.key for c in open_cases if c.is_open}
    out = []
    for opening in candidates:
        if opening.key not in seen:
            seen.add(opening.key)
            out.append(opening)
    return tuple(out)


def open_case(
    opening: Opening, rules: RuleSet, *, now: int, raised_by: str
) -> tuple[ExceptionCase, dict[str, Any]]:
    """Open a case at ``now`` with deadlines from ``rules``; returns it and its event."""
    if isinstance(now, bool) or not isinstance(now, int) or now < 0:
        raise GovernanceError(f"now must be UTC milliseconds ≥ 0, got {now!r}")
    if not raised_by:
        raise GovernanceError("a case needs the node that raises it")
    sla = rules.sla_for(opening.type.value)
    case_id = (
        "exc-"
        + digest(
            [CASE_ID_TAG, opening.type.value, opening.assignee, opening.subject, now, raised_by]
        ).removeprefix("sha256:")[:32]
    )
    case = ExceptionCase(
        id=case_id,
        type=opening.type,
        subject=opening.subject,
        assignee=opening.assignee,
        raised_by=raised_by,
        opened_at=now,
        respond_by=now + sla.respond_within_ms,
        resolve_by=None if sla.resolve_within_ms is None else now + sla.resolve_within_ms,
        rule_set=rules.ref,
        summary=opening.summary,
        evidence=opening.evidence,
    )
    body: dict[str, Any] = {
        "case_id": case.id,
        "type": case.type.value,
        "subject_digest": digest(case.subject),
        "assignee": case.assignee,
        "raised_by": raised_by,
        "at": now,
        "respond_by": case.respond_by,
        "resolve_by": case.resolve_by,
        "rule_set": case.rule_set,
        "summary_digest": digest(case.summary),
        "evidence_digest": digest(list(case.evidence)),
    }
    if _PUBLIC_SUBJECT.fullmatch(case.subject):
        # already a salted hash, public by design (an inventory item's subject): a
        # bank finds the case by the subject it reads in the snapshot entry
        body["subject"] = case.subject
    return case, {"kind": EVENT_OPENED, "body": body}


def cleared_cases(
    cases: Iterable[ExceptionCase],
    *,
    rules: RuleSet,
    health: Iterable[PartnerHealth],
    facts: Iterable[PeerFacts] = (),
) -> tuple[ExceptionCase, ...]:
    """Unresolved cases of :data:`CLEARABLE_TYPES` whose condition has gone.

    Only partners present in ``health`` (and, for safety stock, in ``facts``)
    are judged; the caller resolves the returned cases (e.g. with resolution
    "condition cleared"), which records the transition as usual.
    """
    health = list(health)
    facts = list(facts)
    judged = {h.partner for h in health}
    fact_partners = {f.partner for f in facts}
    still = {o.key for o in plan_openings(rules=rules, health=health, facts=facts)}
    out = []
    for case in cases:
        if not case.is_open or case.type not in CLEARABLE_TYPES or case.key in still:
            continue
        source = fact_partners if case.type is ExceptionType.BELOW_SAFETY_STOCK else judged
        if case.assignee in source:
            out.append(case)
    return tuple(out)
