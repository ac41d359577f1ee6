"""RFC 8785 (JSON Canonicalization Scheme) encoding and strict JSON parsing."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import rfc8785

from ledger.errors import FormatError

__all__ = ["JSONValue", "canonical_json", "parse_json"]

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]


def canonical_json(value: JSONValue) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises :class:`FormatError` for values JSON cannot represent canonically
    (NaN, infinities, integers beyond IEEE 754 double precision, lone surrogates,
    non-string keys).
    """
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, UnicodeError) as exc:
        raise FormatError(f"value has no canonical JSON form: {exc}") from exc


def _reject_constant(name: str) -> NoReturn:
    raise FormatError(f"JSON constant {name} is not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, val in pairs:
        if key in out:
            raise FormatError(f"duplicate JSON object key {key!r}")
        out[key] = val
    return out


def parse_json(data: bytes) -> JSONValue:
    """Parse strict UTF-8 JSON: no duplicate keys, no NaN/Infinity; FormatError otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"JSON is not valid UTF-8: {exc}") from exc
    except AttributeError as exc:
        raise FormatError("JSON input must be bytes") from exc
    try:
        value: JSONValue = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise FormatError(f"malformed JSON: {exc}") from exc
    return value
