"""Parsing of partner values: quantities (with thousands separators, full-width digits)
and timestamps (ISO 8601 and the usual ERP export formats)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Final

from semantic_mapping._errors import TransformError
from semantic_mapping._normalise import nfkc

__all__ = ["parse_quantity", "parse_timestamp", "tzinfo_of"]

_NUMBER_RE: Final = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")
_FORMATS: Final = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d.%m.%Y",
    "%Y年%m月%d日",
)


def parse_quantity(value: object, *, field: str) -> Decimal | None:
    """A quantity, or None for an empty cell; anything else raises TransformError."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TransformError(f"{field}: {value!r} is not a quantity")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TransformError(f"{field}: {value!r} is not a finite quantity")
        return Decimal(repr(value))
    text = nfkc(str(value)).replace(" ", "")
    if not text:
        return None
    if not _NUMBER_RE.match(text):
        raise TransformError(f"{field}: {str(value)[:40]!r} is not a number")
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        raise TransformError(f"{field}: {str(value)[:40]!r} is not a number") from None


def tzinfo_of(offset: str) -> timezone:
    if offset == "Z":
        return UTC
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def parse_timestamp(value: object, *, field: str, default_tz: str) -> datetime | None:
    """An aware datetime; a naive value is taken in the profile's time zone."""
    if value is None:
        return None
    text = nfkc(str(value))
    if not text:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise TransformError(f"{field}: {text[:40]!r} is not a date or time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tzinfo_of(default_tz))
    return parsed
