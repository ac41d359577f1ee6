"""How figures are written on the dashboard (the same in both languages)."""

from __future__ import annotations

from typing import Final

__all__ = ["NO_DATA", "duration", "percent"]

NO_DATA: Final = "—"
_UNITS: Final = ((86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s"))


def duration(ms: float | None) -> str:
    """``850 ms``, ``12.3 s``, ``4.5 min``, ``2.1 h``, ``3.2 d``; ``—`` for no data."""
    if ms is None:
        return NO_DATA
    for size, unit in _UNITS:
        if ms >= size:
            return f"{ms / size:.1f} {unit}"
    return f"{ms:.0f} ms"


def percent(rate: float | None) -> str:
    """A share in [0, 1] as ``4.17 %``; ``—`` for no data."""
    return NO_DATA if rate is None else f"{rate * 100:.2f} %"
