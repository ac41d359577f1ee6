"""Dotted field paths over plain mappings: ``quantities.available``, ``lines[].sku``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["MISSING", "is_missing", "resolve"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: Marker for an absent value.
MISSING: Any = _Missing()


def is_missing(value: Any) -> bool:
    """Absent, ``None`` or a blank string all count as missing."""
    if value is MISSING or value is None:
        return True
    return isinstance(value, str) and not value.strip()


def resolve(data: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Yield ``(concrete_path, value)`` for a path; ``MISSING`` where absent.

    ``lines[].sku`` yields one pair per element of ``lines`` (none when the list
    is empty; the list itself is checked by its own path).
    """
    yield from _walk(data, path.split("."), "")


def _walk(data: Any, parts: list[str], prefix: str) -> Iterator[tuple[str, Any]]:
    if not parts:
        yield prefix, data
        return
    head, rest = parts[0], parts[1:]
    each = head.endswith("[]")
    key = head[:-2] if each else head
    here = f"{prefix}.{key}" if prefix else key
    value = data.get(key, MISSING) if isinstance(data, Mapping) else MISSING
    if not each:
        if rest and is_missing(value):
            yield f"{here}.{'.'.join(rest)}", MISSING
            return
        yield from _walk(value, rest, here)
        return
    if is_missing(value) or isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return
    for i, item in enumerate(value):
        yield from _walk(item, rest, f"{here}[{i}]")
