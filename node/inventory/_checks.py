"""Governance checks of candidate positions → typed positions, or a refusal.

Every candidate is checked with ``governance.check_record`` under the rule set in
force. A finding of severity ``error`` is a hard rule: the whole snapshot is
refused (nothing stored) and the problem lists every such finding with its rule id
and rule-set version. Warnings are kept and stored with the snapshot. Two checks
of the node's own follow: committed quantities are whole numbers in ``[0, 2^64)``
and the safety stock, when given, is one too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from governance import (
    BUCKETS,
    Finding,
    GovernanceError,
    PartnerProfile,
    RuleSet,
    Severity,
    check_record,
    parse_timestamp,
)
from node.inventory._errors import InputError, Issue, RefusedError
from node.inventory._intake import Candidate, Intake
from zk import MAX_VALUE

__all__ = ["Checked", "Position", "check_intake"]

MAX_ID_CHARS: Final = 200
MAX_ISSUES: Final = 200
RULE_INTEGER: Final = "node.quantity_integer"
RULE_SAFETY_STOCK: Final = "node.safety_stock"


@dataclass(frozen=True)
class Position:
    """A checked canonical inventory position (quantities in the base unit)."""

    sku: str
    location: str | None
    lot: str | None
    as_of_ms: int
    quantities: Mapping[str, int]
    safety_stock: int | None
    uom: str | None
    extras: Mapping[str, str]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.sku, self.location or "", self.lot or "")


@dataclass(frozen=True)
class Checked:
    positions: tuple[Position, ...]
    findings: tuple[tuple[int, Finding], ...]  # (position number, warning) kept on record


def _whole(value: object) -> int | None:
    """A quantity as an int if it is a whole number in [0, 2^64); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal | float | str):
        try:
            exact = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
            if not exact.is_finite() or exact != exact.to_integral_value():
                return None
            number = int(exact)
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    return number if 0 <= number <= MAX_VALUE else None


def _issue(n: int, f: Finding) -> Issue:
    return Issue(
        ("positions", n, f.field),
        f"{f.rule_id} ({f.rule_set}@{f.rule_version}) {f.subject}: {f.message}",
        f.rule_id,
    )


def _identity(n: int, record: Mapping[str, object]) -> list[Issue]:
    out = []
    for key in ("sku", "location", "lot"):
        value = record.get(key)
        if isinstance(value, str) and len(value) > MAX_ID_CHARS:
            too_long = f"{key} is over {MAX_ID_CHARS} characters"
            out.append(Issue(("positions", n, key), too_long, key))
    return out


def _position(n: int, c: Candidate, as_of_ms: int, issues: list[Issue]) -> Position | None:
    quantities: dict[str, int] = {}
    raw = c.record.get("quantities")
    for bucket, value in raw.items() if isinstance(raw, Mapping) else ():
        if value is None:
            continue
        whole = _whole(value)
        if whole is None:
            issues.append(
                Issue(
                    ("positions", n, f"quantities.{bucket}"),
                    f"{RULE_INTEGER}: {bucket} must be a whole number of the base unit "
                    "in [0, 2^64) to be committed",
                    RULE_INTEGER,
                )
            )
            continue
        quantities[str(bucket)] = whole
    safety = None
    if c.safety_stock is not None:
        safety = _whole(c.safety_stock)
        if safety is None:
            issues.append(
                Issue(
                    ("positions", n, "safety_stock"),
                    f"{RULE_SAFETY_STOCK}: safety stock must be a whole number in [0, 2^64)",
                    RULE_SAFETY_STOCK,
                )
            )
    sku, location, lot = (c.record.get(k) for k in ("sku", "location", "lot"))
    if not isinstance(sku, str):  # pragma: no cover - check_record requires a string sku
        return None
    return Position(
        sku=sku,
        location=location if isinstance(location, str) and location else None,
        lot=lot if isinstance(lot, str) and lot else None,
        as_of_ms=as_of_ms,
        quantities={b: quantities[b] for b in BUCKETS if b in quantities},
        safety_stock=safety,
        uom=c.uom,
        extras=dict(c.extras),
    )


def check_intake(intake: Intake, rules: RuleSet, *, now_ms: int, node_id: str) -> Checked:
    """Check every candidate; :class:`RefusedError` lists every hard-rule failure."""
    try:
        partner = PartnerProfile(node_id, intake.zone)
    except GovernanceError as exc:
        raise InputError(f"zone: {exc}") from None
    issues: list[Issue] = []
    kept: list[tuple[int, Finding]] = []
    numbered: list[tuple[int, Position]] = []
    for n, candidate in enumerate(intake.candidates):
        findings = check_record(candidate.record, rules, now=now_ms, partner=partner)
        errors = [f for f in findings if f.severity is Severity.ERROR]
        issues += [_issue(n, f) for f in errors]
        issues += _identity(n, candidate.record)
        kept += [(n, f) for f in findings if f.severity is not Severity.ERROR]
        if errors:
            continue
        as_of_ms = parse_timestamp(candidate.record["as_of"], zone=partner.tz)
        position = _position(n, candidate, as_of_ms, issues)
        if position is not None:
            numbered.append((n, position))
    _refuse_duplicates(numbered, issues)
    if issues:
        shown = issues[:MAX_ISSUES]
        more = f" (first {MAX_ISSUES} shown)" if len(issues) > MAX_ISSUES else ""
        raise RefusedError(
            f"{len(issues)} finding(s) break hard rules of {rules.ref}; nothing was stored{more}",
            shown,
        )
    return Checked(tuple(p for _n, p in numbered), tuple(kept))


def _refuse_duplicates(numbered: Sequence[tuple[int, Position]], issues: list[Issue]) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    for n, p in numbered:
        if p.key in seen:
            issues.append(
                Issue(
                    ("positions", n, "sku"),
                    f"the same sku/location/lot appears twice (positions {seen[p.key]} and {n})",
                    "node.duplicate_position",
                )
            )
        seen.setdefault(p.key, n)
