"""ISO 8601 calendar weeks (``2026-W10``), the time grid of demand and capacity.

Catena-X DCM (CX-0128) exchanges demand and capacity per calendar week; scnode
spells a week as the ISO 8601 week date without the day, ``YYYY-Www``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final, NewType

from node.planning._errors import PlanningFormatError

__all__ = ["Week", "parse_week", "week_of", "week_range"]

Week = NewType("Week", str)

_WEEK: Final = re.compile(r"([0-9]{4})-W([0-9]{2})")


def _weeks_in(year: int) -> int:
    # 28 December is always in the last ISO week of its year.
    return date(year, 12, 28).isocalendar().week


def parse_week(text: object) -> Week:
    """A checked ISO week; PlanningFormatError naming the value otherwise."""
    if not isinstance(text, str):
        raise PlanningFormatError(f"week must be a string like '2026-W10', got {text!r}")
    found = _WEEK.fullmatch(text)
    if found is None:
        raise PlanningFormatError(f"week {text[:20]!r} is not an ISO week like '2026-W10'")
    year, number = int(found.group(1)), int(found.group(2))
    if year < 1 or not 1 <= number <= _weeks_in(year):
        raise PlanningFormatError(f"week {text!r} does not exist")
    return Week(text)


def week_of(day: date) -> Week:
    """The ISO week a day falls in."""
    iso = day.isocalendar()
    return Week(f"{iso.year:04d}-W{iso.week:02d}")


def week_range(first: Week, last: Week) -> list[Week]:
    """Every week from ``first`` to ``last``, inclusive (empty if last < first)."""
    start = date.fromisocalendar(int(first[:4]), int(first[6:]), 1)
    end = date.fromisocalendar(int(last[:4]), int(last[6:]), 1)
    out: list[Week] = []
    day = start
    while day <= end:
        out.append(week_of(day))
        day = date.fromordinal(day.toordinal() + 7)
    return out
