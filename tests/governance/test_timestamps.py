"""The timestamp standard: UTC milliseconds in, UTC+8 with milliseconds out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import (
    PartnerProfile,
    TimestampError,
    format_display,
    parse_timestamp,
    resolve_zone,
)


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).

    A reference independent of :mod:`datetime`, to re-derive the constants below.
    """
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def utc_ms(y: int, mo: int, d: int, *hms: int) -> int:
    h, mi, s, ms = (*hms, 0, 0, 0, 0)[:4]
    return (((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s) * 1000 + ms


# 2026-02-01T09:30:00.123+08:00 is 01:30:00.123 UTC.
T0 = utc_ms(2026, 2, 1, 1, 30, 0, 123)


def test_reference_constants() -> None:
    assert days_from_civil(1970, 1, 1) == 0
    assert days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28) == 2  # 2000 is leap
    assert days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28) == 1  # 2100 is not
    assert T0 == 1_769_909_400_123


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-01T09:30:00.123+08:00",
        "2026-02-01T09:30:00.123+0800",
        "2026-02-01T01:30:00.123Z",
        "2026-02-01T01:30:00.123z",
        "2026-02-01 01:30:00.123Z",
        "2026-01-31T20:30:00.123-05:00",
        "2026-02-01T07:00:00.123+05:30",
        "2026-02-01T01:30:00,123Z",
        "2026-02-01T01:30:00.1230Z",
        "2026-02-01T01:30:00.123999999Z",
        "  2026-02-01T01:30:00.123Z  ",
        "1769909400123",
    ],
)
def test_offsets_and_forms_agree(text: str) -> None:
    assert parse_timestamp(text) == T0


def test_epoch_ms_integer_and_without_milliseconds() -> None:
    assert parse_timestamp(T0) == T0
    assert parse_timestamp("2026-02-01T09:30+08:00") == T0 - 123
    assert parse_timestamp("2026-02-01T09:30:00+08:00") == T0 - 123
    assert parse_timestamp("2026-02-01T09:30:00.1+08:00") == T0 - 23
    assert parse_timestamp("2026-02-01T09:30:00+08") == T0 - 123


@pytest.mark.parametrize(
    ("fraction", "millis"),
    [(".0", 0), (".5", 500), (".12", 120), (".1234", 123), (".9999", 999), (".999999999", 999)],
)
def test_sub_millisecond_digits_truncate_never_round(fraction: str, millis: int) -> None:
    assert parse_timestamp(f"2026-02-01T01:30:00{fraction}Z") == utc_ms(2026, 2, 1, 1, 30) + millis


def test_naive_is_refused_without_zone() -> None:
    with pytest.raises(TimestampError, match="no UTC offset"):
        parse_timestamp("2026-02-01T09:30:00.123")
    with pytest.raises(TimestampError, match="no UTC offset"):
        parse_timestamp("2026-02-01")


@pytest.mark.parametrize("zone", ["+08:00", "UTC+8", "+0800", "Asia/Shanghai", "Asia/Taipei"])
def test_naive_with_declared_utc8_zone(zone: str) -> None:
    tz = PartnerProfile("supplier-a", zone).tz
    assert parse_timestamp("2026-02-01T09:30:00.123", zone=tz) == T0
    assert parse_timestamp("2026-02-01", zone=tz) == utc_ms(2026, 1, 31, 16)


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # European and US DST changes: Shanghai's offset stays +08:00 throughout.
        ("2026-03-29T02:30:00", utc_ms(2026, 3, 28, 18, 30)),
        ("2026-03-08T02:30:00", utc_ms(2026, 3, 7, 18, 30)),
        ("2026-10-25T02:30:00", utc_ms(2026, 10, 24, 18, 30)),
        ("2026-11-01T01:30:00", utc_ms(2026, 10, 31, 17, 30)),
        ("2026-07-01T12:00:00", utc_ms(2026, 7, 1, 4)),
    ],
)
def test_utc8_is_dst_free(local: str, utc: int) -> None:
    assert parse_timestamp(local, zone=resolve_zone("Asia/Shanghai")) == utc
    assert parse_timestamp(local + "+08:00") == utc


def test_dst_zone_gap_and_overlap_are_refused_but_normal_times_read() -> None:
    berlin = resolve_zone("Europe/Berlin")
    with pytest.raises(TimestampError, match="skipped or repeated"):
        parse_timestamp("2026-03-29T02:30:00", zone=berlin)  # clocks jump 02:00 → 03:00
    with pytest.raises(TimestampError, match="skipped or repeated"):
        parse_timestamp("2026-10-25T02:30:00", zone=berlin)  # 02:00–03:00 happens twice
    assert parse_timestamp("2026-07-01T12:00:00", zone=berlin) == utc_ms(2026, 7, 1, 10)
    assert parse_timestamp("2026-01-15T12:00:00", zone=berlin) == utc_ms(2026, 1, 15, 11)


def test_explicit_offset_wins_over_declared_zone() -> None:
    berlin = resolve_zone("Europe/Berlin")
    assert parse_timestamp("2026-02-01T09:30:00.123+08:00", zone=berlin) == T0


def test_leap_years() -> None:
    assert parse_timestamp("2024-02-29T00:00:00Z") == utc_ms(2024, 2, 29) == 1_709_164_800_000
    assert parse_timestamp("2000-02-29T12:00:00Z") == utc_ms(2000, 2, 29, 12)
    assert parse_timestamp("2024-02-29T23:59:59.999Z") + 1 == parse_timestamp("2024-03-01T00:00Z")
    for bad in ("2100-02-29T00:00:00Z", "2026-02-29T00:00:00Z", "2023-02-29T00:00:00Z"):
        with pytest.raises(TimestampError, match="impossible date"):
            parse_timestamp(bad)
    assert parse_timestamp("2100-03-01T00:00Z") - parse_timestamp("2100-02-28T00:00Z") == 86_400_000
    assert format_display(utc_ms(2024, 2, 29, 16)) == "2024-03-01T00:00:00.000+08:00"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "not an ISO 8601"),
        ("yesterday", "not an ISO 8601"),
        ("2026-02-01T09:30:00.123+08:00 extra", "not an ISO 8601"),
        ("2026/02/01 09:30", "not an ISO 8601"),
        ("2026-13-01T00:00Z", "impossible date"),
        ("2026-02-30T00:00Z", "impossible date"),
        ("2026-02-01T24:00Z", "impossible date"),
        ("2026-02-01T09:61Z", "impossible date"),
        ("2016-12-31T23:59:60Z", "leap second"),
        ("2026-02-01T09:30+15:00", "beyond ±14:00"),
        ("2026-02-01T09:30+08:75", "offset minutes"),
        ("2026-02-01+08:00", "date without a time"),
        ("12345", "13-digit"),
        ("１７６９９０９４００１２３", "not an ISO 8601"),
        ("1969-12-31T23:59:59.999Z", "outside 1970"),
        (-1, "outside 1970"),
        (10**20, "outside 1970"),
        (1.5e12, "must be an integer"),
        (True, "boolean"),
        (None, "string or an integer"),
        ([T0], "string or an integer"),
    ],
)
def test_garbage_is_refused_with_a_reason(value: object, message: str) -> None:
    with pytest.raises(TimestampError, match=message):
        parse_timestamp(value)


def test_format_display() -> None:
    assert format_display(T0) == "2026-02-01T09:30:00.123+08:00"
    assert format_display(0) == "1970-01-01T08:00:00.000+08:00"
    assert format_display(T0, offset_minutes=0) == "2026-02-01T01:30:00.123+00:00"
    assert format_display(T0, offset_minutes=-330) == "2026-01-31T20:00:00.123-05:30"
    assert format_display(utc_ms(2026, 12, 31, 16)) == "2027-01-01T00:00:00.000+08:00"
    for bad in (-1, 10**20):
        with pytest.raises(TimestampError):
            format_display(bad)
    last = utc_ms(9999, 12, 31, 9, 59, 59, 999)
    assert format_display(last, offset_minutes=14 * 60) == "9999-12-31T23:59:59.999+14:00"
    assert parse_timestamp("9999-12-31T23:59:59.999+14:00") == last
    with pytest.raises(TimestampError, match="outside"):
        parse_timestamp("9999-12-31T23:59:59.999+13:59")
    with pytest.raises(TimestampError, match="outside"):
        format_display(last + 1)
    with pytest.raises(TimestampError, match="integer"):
        format_display(True)


def test_resolve_zone() -> None:
    assert resolve_zone("UTC") is UTC
    assert resolve_zone("+05:30").utcoffset(None) == timedelta(hours=5, minutes=30)
    assert resolve_zone("UTC-3").utcoffset(None) == timedelta(hours=-3)
    for bad in ("", "Mars/Olympus", "+15:00", "../../etc/passwd"):
        with pytest.raises(TimestampError):
            resolve_zone(bad)


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-9, minutes=-30))]
        ),
    )
)
def test_round_trip_against_datetime(dt: datetime) -> None:
    expected = (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    assert parse_timestamp(dt.isoformat()) == expected
    shown = format_display(expected)
    assert parse_timestamp(shown) == expected
    assert shown.endswith("+08:00")
    assert len(shown) == len("2026-02-01T09:30:00.123+08:00")


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none(), st.booleans()))
def test_parser_returns_int_or_raises_domain_error(value: object) -> None:
    try:
        result = parse_timestamp(value, zone=UTC)
    except TimestampError:
        return
    assert isinstance(result, int)
    assert result >= 0
