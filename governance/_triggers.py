"""Which conditions open which exception types (one :class:`Opening` each).

Findings on documents open a case per document subject; findings on records
open only ``clock_skew`` (one per partner), the rest of a feed's problems open
through its metrics (window :data:`OPENING_WINDOW`); verified peer facts open
safety-stock, proof and split-view cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from governance._errors import GovernanceError
from governance._facts import BELOW, PeerFacts
from governance._findings import Finding
from governance._health import PartnerHealth
from governance._ruleset import RuleSet
from governance._vocab import ExceptionType

__all__ = [
    "CHECKPOINT",
    "CLOCK",
    "FEED",
    "OPENING_WINDOW",
    "Opening",
    "from_facts",
    "from_findings",
    "from_health",
]

#: The metrics window whose figures open exceptions (the most responsive one).
OPENING_WINDOW: Final = "hour"
#: Subjects of feed-level cases.
FEED: Final = "feed"
CLOCK: Final = "clock"
CHECKPOINT: Final = "checkpoint"


@dataclass(frozen=True)
class Opening:
    """A case to open: its kind, who must act, about what, and why."""

    type: ExceptionType
    assignee: str
    subject: str
    summary: str
    evidence: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.type, ExceptionType):
            raise GovernanceError(f"unknown exception type {self.type!r}")
        if not self.assignee or not self.subject:
            raise GovernanceError("an opening needs an assignee and a subject")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type.value, self.assignee, self.subject)


def from_findings(partner: str, findings: Sequence[Finding], *, documents: bool) -> list[Opening]:
    grouped: dict[tuple[ExceptionType, str], list[Finding]] = {}
    for f in findings:
        if f.exception_type is None:
            continue
        if f.exception_type is ExceptionType.CLOCK_SKEW:
            subject = CLOCK
        elif documents:
            subject = f.subject
        else:
            continue  # record-level gaps open cases through the metrics, not one by one
        grouped.setdefault((f.exception_type, subject), []).append(f)
    out = []
    for (kind, subject), group in grouped.items():
        fields = sorted({f.field for f in group})
        out.append(
            Opening(
                kind,
                partner,
                subject,
                f"{len(group)} finding(s) on {', '.join(fields)}",
                tuple(f.to_dict() for f in group),
            )
        )
    return out


def from_health(h: PartnerHealth, rules: RuleSet) -> list[Opening]:
    out: list[Opening] = []
    w = h.windows[OPENING_WINDOW]
    ref = {"window": OPENING_WINDOW, "start": w.start, "end": w.end, "rule_set": h.rule_set}
    if h.stale:
        age = (
            "no record yet" if h.feed_age_ms is None else f"newest as-of is {h.feed_age_ms} ms old"
        )
        out.append(
            Opening(
                ExceptionType.STALE_FEED,
                h.partner,
                FEED,
                f"{age}; expected within {h.freshness_max_age_ms} ms",
                ({**ref, "feed_age_ms": h.feed_age_ms},),
            )
        )
    rate = w.missing_field_rate
    missing = rate is not None and rate > rules.thresholds.missing_field_rate
    if rate is not None and missing:
        out.append(
            Opening(
                ExceptionType.MISSING_FIELDS,
                h.partner,
                FEED,
                f"missing-field rate {rate:.2%} above {rules.thresholds.missing_field_rate:.2%}",
                ({**ref, "missing_by_field": dict(w.missing_by_field)},),
            )
        )
    violations = w.rule_violation_rate
    band = rules.band("rule_violation_rate")
    # Missing fields are violations too; their own case takes precedence.
    alert = violations is not None and band.status(violations) == "alert"
    if alert and not missing:
        out.append(
            Opening(
                ExceptionType.RULE_VIOLATION,
                h.partner,
                FEED,
                f"rule-violation rate {violations:.2%}",
                ({**ref, "violations": w.violations},),
            )
        )
    if w.clock_skew_records:
        out.append(
            Opening(
                ExceptionType.CLOCK_SKEW,
                h.partner,
                CLOCK,
                f"{w.clock_skew_records} record(s) dated after the network's time",
                ({**ref},),
            )
        )
    if w.verification_failures:
        out.append(
            Opening(
                ExceptionType.FAILED_PROOF,
                h.partner,
                FEED,
                f"{w.verification_failures} verification failure(s)",
                ({**ref},),
            )
        )
    cp_band = rules.band("checkpoint_age_ms")
    if h.checkpoint_age_ms is not None and cp_band.status(h.checkpoint_age_ms) == "alert":
        out.append(
            Opening(
                ExceptionType.STALE_CHECKPOINT,
                h.partner,
                CHECKPOINT,
                f"last verified checkpoint is {h.checkpoint_age_ms} ms old",
                ({**ref, "last_checkpoint_at": h.last_checkpoint_at},),
            )
        )
    if h.witnesses is not None and h.witnesses < rules.thresholds.min_witnesses:
        out.append(
            Opening(
                ExceptionType.LOW_WITNESSES,
                h.partner,
                CHECKPOINT,
                f"{h.witnesses} witness(es), {rules.thresholds.min_witnesses} required",
                ({**ref, "witnesses": h.witnesses},),
            )
        )
    return out


def from_facts(facts: PeerFacts) -> list[Opening]:
    out = [
        Opening(
            ExceptionType.BELOW_SAFETY_STOCK,
            facts.partner,
            subject,
            f"{subject}: proven below safety stock",
            ({"fact": BELOW, "subject": subject},),
        )
        for subject, fact in sorted(facts.safety_stock.items())
        if fact == BELOW
    ]
    out += [
        Opening(
            ExceptionType.FAILED_PROOF,
            facts.partner,
            f"entry:{ref}",
            f"proof in {ref} failed verification",
            ({"entry": ref},),
        )
        for ref in sorted(set(facts.failed_proofs))
    ]
    if facts.split_views:
        refs = sorted(set(facts.split_views))
        out.append(
            Opening(
                ExceptionType.SPLIT_VIEW,
                facts.partner,
                CHECKPOINT,
                f"{len(refs)} inconsistent checkpoint pair(s)",
                tuple({"evidence": r} for r in refs),
            )
        )
    return out
