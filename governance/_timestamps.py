"""The network's timestamp standard.

* Carried as UTC milliseconds since the Unix epoch (an ``int``).
* Read from partners as ISO 8601 with an offset (``+08:00``, ``+0800``, ``Z``),
  with or without fractional seconds, or as epoch milliseconds (an integer, or
  a string of exactly 13 digits). A time without an offset is refused unless
  the partner's profile declares its zone (a fixed offset or an IANA name).
* Digits beyond the millisecond are truncated (toward the past), never rounded,
  so reading a time never moves it later.
* Shown as UTC+8 with milliseconds: ``2026-02-01T09:30:00.123+08:00``.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Final

from governance._errors import TimestampError

__all__ = [
    "DISPLAY_OFFSET_MINUTES",
    "MAX_UTC_MS",
    "format_display",
    "parse_timestamp",
    "resolve_zone",
]

#: UTC+8, the network's display zone (China Standard Time has no DST).
DISPLAY_OFFSET_MINUTES: Final = 8 * 60
#: 9999-12-31T23:59:59.999+14:00: the last instant that 4-digit years can show in
#: every real offset, so each accepted time can also be displayed.
MAX_UTC_MS: Final = 253_402_300_799_999 - 14 * 3_600_000
#: Real-world UTC offsets span −12:00 … +14:00; ISO 8601 allows nothing wider here.
_MAX_OFFSET_MINUTES: Final = 14 * 60
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_OFFSET = re.compile(r"(?:UTC|GMT)?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?")
_EPOCH_MS_DIGITS: Final = 13


def _offset_minutes(sign: str, hours: str, minutes: str | None, text: str) -> int:
    h, m = int(hours), int(minutes or 0)
    if m >= 60:
        raise TimestampError(f"offset minutes out of range in {text!r}")
    total = h * 60 + m
    if total > _MAX_OFFSET_MINUTES:
        raise TimestampError(f"offset beyond ±14:00 in {text!r}")
    return -total if sign == "-" else total


def resolve_zone(spec: str) -> tzinfo:
    """A partner's declared zone: ``UTC``, a fixed offset (``+08:00``, ``UTC+8``) or IANA name."""
    if not isinstance(spec, str) or not spec.strip():
        raise TimestampError("a zone must be a non-empty string")
    text = spec.strip()
    if text.upper() in {"Z", "UTC", "GMT"}:
        return UTC
    fixed = _OFFSET.fullmatch(text)
    if fixed:
        minutes = _offset_minutes(fixed["sign"], fixed["h"], fixed["m"], text)
        return timezone(timedelta(minutes=minutes))
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise TimestampError(f"unknown time zone {text!r}") from None


def _check_range(ms: int, text: object) -> int:
    if not 0 <= ms <= MAX_UTC_MS:
        raise TimestampError(
            f"timestamp {text!r} is outside 1970-01-01T00:00Z … 9999-12-31T23:59:59.999+14:00"
        )
    return ms


def _local_to_utc(local: datetime, zone: tzinfo, text: str) -> datetime:
    """Attach ``zone`` to a naive wall time, refusing DST gaps and overlaps."""
    early = local.replace(tzinfo=zone, fold=0)
    late = local.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        raise TimestampError(
            f"local time {text!r} is skipped or repeated in zone {zone}; send an offset"
        )
    return early


def _parse_iso(text: str, zone: tzinfo | None) -> int:
    m = _ISO.fullmatch(text)
    if m is None:
        raise TimestampError(f"not an ISO 8601 timestamp or epoch milliseconds: {text!r}")
    if m["h"] is None and m["tz"] is not None:
        raise TimestampError(f"a date without a time cannot carry an offset: {text!r}")
    fraction = (m["f"] or "").ljust(3, "0")[:3]
    second = int(m["s"] or 0)
    if second == 60:
        raise TimestampError(f"leap second in {text!r} is not representable; send :59.999")
    try:
        local = datetime(
            int(m["y"]),
            int(m["mo"]),
            int(m["d"]),
            int(m["h"] or 0),
            int(m["mi"] or 0),
            second,
            int(fraction) * 1000,
        )
    except ValueError as exc:
        raise TimestampError(f"impossible date or time in {text!r}: {exc}") from None
    tz = m["tz"]
    if tz is None:
        if zone is None:
            raise TimestampError(
                f"timestamp {text!r} has no UTC offset and the partner declares no zone"
            )
        aware = _local_to_utc(local, zone, text)
    elif tz in {"Z", "z"}:
        aware = local.replace(tzinfo=UTC)
    else:
        off = _OFFSET.fullmatch(tz)
        if off is None:  # pragma: no cover - the ISO pattern admits only valid shapes
            raise TimestampError(f"bad offset in {text!r}")
        minutes = _offset_minutes(off["sign"], off["h"], off["m"], text)
        aware = local.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    try:
        delta = aware - _EPOCH
    except OverflowError:
        raise TimestampError(f"timestamp {text!r} is out of range") from None
    ms = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return _check_range(ms, text)


def parse_timestamp(value: object, *, zone: tzinfo | None = None) -> int:
    """Read a partner timestamp as UTC milliseconds; raises :class:`TimestampError`.

    ``zone`` is the partner's declared zone (see :func:`resolve_zone`), used only
    for times without an offset.
    """
    if isinstance(value, bool):
        raise TimestampError("a boolean is not a timestamp")
    if isinstance(value, int):
        return _check_range(value, value)
    if isinstance(value, float):
        raise TimestampError(f"epoch milliseconds must be an integer, got {value!r}")
    if not isinstance(value, str):
        raise TimestampError(
            f"a timestamp must be a string or an integer, not {type(value).__name__}"
        )
    text = value.strip()
    if text.isascii() and text.isdigit():
        if len(text) != _EPOCH_MS_DIGITS:
            raise TimestampError(
                f"digits-only timestamp {text!r} must be 13-digit epoch milliseconds"
            )
        return _check_range(int(text), text)
    return _parse_iso(text, zone)


def format_display(ms: int, *, offset_minutes: int = DISPLAY_OFFSET_MINUTES) -> str:
    """``2026-02-01T09:30:00.123+08:00``: the display form, always with milliseconds."""
    if isinstance(ms, bool) or not isinstance(ms, int):
        raise TimestampError(f"UTC milliseconds must be an integer, not {type(ms).__name__}")
    _check_range(ms, ms)
    if abs(offset_minutes) > _MAX_OFFSET_MINUTES:
        raise TimestampError("display offset beyond ±14:00")
    seconds, millis = divmod(ms, 1000)
    # In range for every offset within ±14:00 by the choice of MAX_UTC_MS.
    local = _EPOCH + timedelta(seconds=seconds, minutes=offset_minutes)
    sign = "-" if offset_minutes < 0 else "+"
    hh, mm = divmod(abs(offset_minutes), 60)
    return f"{local:%Y-%m-%dT%H:%M:%S}.{millis:03d}{sign}{hh:02d}:{mm:02d}"
