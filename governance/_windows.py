"""Time windows of the metrics and the bucket levels that serve them.

| window | bucket | buckets kept | covers |
| ------ | ------ | ------------ | ------ |
| hour   | 1 min  | 60           | the current minute and the 59 before |
| day    | 1 hour | 24           | the current hour and the 23 before |
| 30d    | 1 day  | 30           | the current day and the 29 before |

Days are aligned to midnight UTC+8 (the network's display zone), minutes and
hours to the UTC epoch. A window's start is its oldest bucket's start; its end
is ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from governance._errors import MetricsStateError

__all__ = ["LEVELS", "WINDOWS", "Level", "level_for"]

_MINUTE: Final = 60_000
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR
_ALIGN: Final = 8 * _HOUR


@dataclass(frozen=True)
class Level:
    """Buckets of one size, and how many of them make the window."""

    window: str
    bucket: str
    size_ms: int
    slots: int

    def align(self, t: int) -> int:
        return (t + _ALIGN) // self.size_ms * self.size_ms - _ALIGN

    def window_start(self, now: int) -> int:
        return self.align(now) - (self.slots - 1) * self.size_ms


LEVELS: Final = (
    Level("hour", "minute", _MINUTE, 60),
    Level("day", "hour", _HOUR, 24),
    Level("30d", "day", _DAY, 30),
)
#: Window names, shortest first.
WINDOWS: Final = tuple(level.window for level in LEVELS)


def level_for(name: str, *, bucket: bool = False) -> Level:
    """The level serving a window (``hour``, ``day``, ``30d``) or, with ``bucket``,
    the level of a bucket size (``minute``, ``hour``, ``day``)."""
    for level in LEVELS:
        if name == (level.bucket if bucket else level.window):
            return level
    known = ", ".join(lv.bucket if bucket else lv.window for lv in LEVELS)
    raise MetricsStateError(f"unknown {'bucket' if bucket else 'window'} {name!r}; use {known}")
