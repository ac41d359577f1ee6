"""Field readers for untrusted document input: each raises DocumentFormatError."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from node.documents._errors import DocumentFormatError

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "MAX_TEXT",
    "mapping",
    "opt_text",
    "price",
    "quantity",
    "rows",
    "text",
    "timestamp",
    "to_ms",
]

#: Bounds on hostile input (a PO of 10,000 lines is already unusual).
MAX_LINES: Final = 10_000
MAX_TEXT: Final = 200
#: Quantities are whole units of the line's unit of measure, below 2**53 so every
#: JSON reader sees them exactly.
MAX_QUANTITY: Final = 2**53 - 1


def mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DocumentFormatError(f"{what} must be a JSON object")
    return value


def text(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DocumentFormatError(f"{what}.{key} must be a non-empty string")
    if len(value) > MAX_TEXT or any(ord(c) < 0x20 for c in value):
        raise DocumentFormatError(f"{what}.{key} must be at most {MAX_TEXT} printable characters")
    return value


def opt_text(data: Mapping[str, Any], key: str, what: str) -> str | None:
    return None if data.get(key) is None else text(data, key, what)


def quantity(data: Mapping[str, Any], key: str, what: str, *, positive: bool = False) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DocumentFormatError(f"{what}.{key} must be a whole number")
    if value < (1 if positive else 0) or value > MAX_QUANTITY:
        low = "positive" if positive else "non-negative"
        raise DocumentFormatError(f"{what}.{key} must be {low} and below 2**53, got {value}")
    return value


def price(data: Mapping[str, Any], key: str, what: str) -> str:
    """A decimal price as a string ("12.50"): exact, and never a float in signed bytes."""
    raw = data.get(key)
    if not isinstance(raw, str):
        raise DocumentFormatError(f"{what}.{key} must be a decimal string such as '12.50'")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise DocumentFormatError(f"{what}.{key} is not a decimal number: {raw[:40]!r}") from None
    if not value.is_finite() or value < 0 or len(raw) > 32:
        raise DocumentFormatError(f"{what}.{key} must be a finite non-negative decimal")
    return raw


def timestamp(data: Mapping[str, Any], key: str, what: str) -> str:
    """An RFC 3339 timestamp with an offset; returned unchanged (it is signed as sent)."""
    value = text(data, key, what)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DocumentFormatError(f"{what}.{key} is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None or "T" not in value:
        raise DocumentFormatError(f"{what}.{key} needs a date, a time and an offset")
    return value


def to_ms(value: str) -> int:
    """Milliseconds since the epoch of a timestamp checked by :func:`timestamp`."""
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def rows(data: Mapping[str, Any], key: str, what: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise DocumentFormatError(f"{what}.{key} must be a non-empty list")
    if len(value) > MAX_LINES:
        raise DocumentFormatError(f"{what}.{key} has more than {MAX_LINES} lines")
    return [mapping(item, f"{what}.{key}[{i}]") for i, item in enumerate(value)]
