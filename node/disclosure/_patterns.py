"""Item patterns of policies and grants: ``*`` (anything), ``PREFIX*`` or an exact id."""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_PATTERNS", "check_patterns", "matches"]

MAX_PATTERNS: Final = 10_000
MAX_PATTERN_CHARS: Final = 200


def check_patterns(value: object, what: str) -> tuple[str, ...]:
    """A non-empty tuple of patterns; ValueError saying what is wrong otherwise."""
    if not isinstance(value, list | tuple) or not value or len(value) > MAX_PATTERNS:
        raise ValueError(f"{what} must be a non-empty list of at most {MAX_PATTERNS} patterns")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_PATTERN_CHARS:
            raise ValueError(f"{what}: each pattern is 1-{MAX_PATTERN_CHARS} characters")
        if "*" in item[:-1]:
            raise ValueError(f"{what}: {item!r} may only end with '*'")
        out.append(item)
    return tuple(out)


def matches(patterns: tuple[str, ...], value: str | None) -> bool:
    """Whether ``value`` matches one of ``patterns`` (None matches only ``*``)."""
    for pattern in patterns:
        if pattern == "*":
            return True
        if value is None:
            continue
        if pattern.endswith("*"):
            if value.startswith(pattern[:-1]):
                return True
        elif value == pattern:
            return True
    return False
