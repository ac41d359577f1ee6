"""Quantity rules: known buckets, finite non-negative numbers, the on-hand balance.

Physical stock at a location is ``on_hand = available + reserved + in_inspection +
blocked + damaged`` (``vocabulary.md``); ``in_transit`` and ``on_order`` are
outside that sum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from governance._fields import MISSING, is_missing
from governance._findings import Finding, RuleId, make_finding
from governance._ruleset import RuleSet
from governance._vocab import BUCKETS, LOCATION_BUCKETS, Severity

__all__ = ["check_quantities", "quantity_value"]

_E: Final = Severity.ERROR
#: Relative slack of the balance check, for quantities carried as binary floats.
_BALANCE_TOLERANCE: Final = 1e-9


def quantity_value(value: Any) -> float | None:
    """A finite number as ``float``; ``None`` for anything else (bools, strings, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        result = float(value)
    except (OverflowError, ValueError):
        return None
    return result if math.isfinite(result) else None


def check_quantities(record: Mapping[str, Any], rules: RuleSet, subject: str) -> list[Finding]:
    """Findings on ``record["quantities"]``: buckets, numbers, signs, the on-hand balance."""
    raw = record.get("quantities", MISSING)
    if is_missing(raw):
        return []
    if not isinstance(raw, Mapping):
        return [
            make_finding(
                rules,
                RuleId.FIELD_TYPE,
                _E,
                "quantities",
                "quantities must be an object of bucket → number",
                subject=subject,
            )
        ]
    out: list[Finding] = []
    values: dict[str, float] = {}
    defined = {s.id for s in rules.states}
    for bucket, raw_value in raw.items():
        field = f"quantities.{bucket}"
        if bucket not in BUCKETS or bucket not in defined:
            out.append(
                make_finding(
                    rules,
                    RuleId.UNKNOWN_BUCKET,
                    _E,
                    field,
                    f"{bucket!r} is not a state defined by rule set {rules.ref}",
                    subject=subject,
                )
            )
            continue
        if raw_value is None:
            continue
        value = quantity_value(raw_value)
        if value is None:
            out.append(
                make_finding(
                    rules,
                    RuleId.QUANTITY_NUMBER,
                    _E,
                    field,
                    f"{field} must be a finite number, got {raw_value!r}",
                    subject=subject,
                )
            )
            continue
        if value < 0:
            out.append(
                make_finding(
                    rules,
                    RuleId.QUANTITY_NEGATIVE,
                    _E,
                    field,
                    f"{field} is negative ({value:g})",
                    subject=subject,
                )
            )
        values[bucket] = value
    on_hand = values.get("on_hand")
    parts = [values[b] for b in LOCATION_BUCKETS if b in values]
    if on_hand is not None and parts:
        total = math.fsum(parts)
        complete = len(parts) == len(LOCATION_BUCKETS)
        slack = _BALANCE_TOLERANCE * max(1.0, abs(on_hand))
        if (complete and abs(total - on_hand) > slack) or (
            not complete and total > on_hand + slack
        ):
            relation = "must equal" if complete else "must not exceed"
            out.append(
                make_finding(
                    rules,
                    RuleId.ON_HAND_BALANCE,
                    _E,
                    "quantities.on_hand",
                    f"available + reserved + in_inspection + blocked + damaged = {total:g} "
                    f"{relation} on_hand = {on_hand:g}",
                    subject=subject,
                )
            )
    return out
