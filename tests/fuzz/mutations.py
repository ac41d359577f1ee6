"""Structured mutations of valid inputs, as hypothesis strategies.

A parser of untrusted input sees mostly near-valid input from a buggy or hostile
peer, not random noise: these strategies start from one valid value and change it
the ways such input differs (a flipped byte, a cut-off tail, a field missing, a
number where a string was, a huge integer, deep nesting, a BOM, bytes that are
not UTF-8, a broken CSV quote).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "HOSTILE_VALUES",
    "JSON_VALUES",
    "json_bytes",
    "mutated_bytes",
    "mutated_csv",
    "mutated_json",
    "mutated_lines",
    "mutated_text",
]

BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
NOT_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")
DEPTH = 100  # nested values (deeper nesting is made at the byte level: see NEST)
BIG_DIGITS = 5000  # above int_max_str_digits (4300): json.loads raises a bare ValueError
NEST = 3000  # brackets opened at once: deeper than the recursion limit of any parser

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)

#: values that break parsers which trust a field's type or size
HOSTILE_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    2**64,
    -(2**255),
    10**400,
    1e308,
    "",
    "\x00",
    "é" * 3,
    "\ud800",
    "9" * 5000,
    [],
    {},
    [[[[[[[[]]]]]]]],
    {"": {"": {"": None}}},
)


def _byte_edit(data: bytes, draw: Callable[[Any], Any]) -> bytes:
    if not data:
        return bytes(draw(st.binary(max_size=8)))
    kinds = ("flip", "truncate", "delete", "insert", "repeat", "swap", "nest", "bignum")
    kind = draw(st.sampled_from(kinds))
    at = draw(st.integers(0, len(data) - 1))
    end = draw(st.integers(at, min(len(data), at + 32)))
    chars = bytearray(data)
    if kind == "flip":
        chars[at] ^= 1 << draw(st.integers(0, 7))
    elif kind == "truncate":
        del chars[at:]
    elif kind == "delete":
        del chars[at:end]
    elif kind == "insert":
        chars[at:at] = draw(st.sampled_from(NOT_UTF8) | st.binary(min_size=1, max_size=8))
    elif kind == "repeat":
        chars[end:end] = data[at:end]
    elif kind == "bignum":  # a number longer than Python converts (4300 digits)
        digits = [i for i, b in enumerate(data) if 0x30 <= b <= 0x39]
        at = draw(st.sampled_from(digits)) if digits else at
        chars[at:at] = b"9" * BIG_DIGITS
    elif kind == "nest":
        chars[at:at] = draw(st.sampled_from((b"[", b'{"a":'))) * NEST
    else:
        other = draw(st.integers(0, len(data) - 1))
        chars[at], chars[other] = chars[other], chars[at]
    return bytes(chars)


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes, max_edits: int = 3) -> bytes:
    """``data`` with 1..max_edits byte-level edits, or a BOM in front."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(BOMS)) + data
    for _ in range(draw(st.integers(1, max_edits))):
        data = _byte_edit(data, draw)
    return data


@st.composite
def mutated_text(draw: st.DrawFn, text: str, max_edits: int = 3) -> str:
    """``text`` with character-level edits (still a ``str``)."""
    edited = draw(mutated_bytes(text.encode(), max_edits))
    return edited.decode("utf-8", errors=draw(st.sampled_from(("replace", "ignore"))))


@st.composite
def mutated_lines(draw: st.DrawFn, text: str) -> str:
    """A line-oriented text (signed note, proof) with lines dropped, doubled, swapped, edited."""
    lines = text.split("\n")
    kind = draw(st.sampled_from(("drop", "double", "swap", "edit", "blank", "crlf")))
    at = draw(st.integers(0, len(lines) - 1))
    if kind == "drop":
        del lines[at]
    elif kind == "double":
        lines.insert(at, lines[at])
    elif kind == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[at], lines[other] = lines[other], lines[at]
    elif kind == "edit":
        lines[at] = draw(mutated_text(lines[at], 2))
    elif kind == "blank":
        lines.insert(at, "")
    else:
        return "\r\n".join(lines)
    return "\n".join(lines)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if len(prefix) > 20:  # inside a deep nesting made by an earlier edit
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _deep(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def _replacement(draw: st.DrawFn, kind: str) -> Any:
    if kind == "deep":
        return _deep(DEPTH)
    if kind == "hostile":  # a copy: a later edit may change it in place
        return copy.deepcopy(draw(st.sampled_from(HOSTILE_VALUES)))
    return draw(JSON_VALUES)


def _edit_member(draw: st.DrawFn, parent: Any, key: Any, kind: str) -> None:
    if kind == "delete":
        del parent[key]
    elif kind == "add" and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=6))] = draw(JSON_VALUES)
    elif kind == "add":
        parent.append(draw(JSON_VALUES))
    elif kind == "wrap":
        parent[key] = [parent[key]]
    else:
        parent[key] = _replacement(draw, kind)


@st.composite
def mutated_json(draw: st.DrawFn, value: Any, max_edits: int = 2) -> Any:
    """A JSON value with 1..max_edits structural edits: a member deleted, a value
    swapped for another type or a hostile one, an unknown member added, deep nesting."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, max_edits))):
        path = draw(st.sampled_from(_paths(value)))
        kind = draw(st.sampled_from(("delete", "replace", "hostile", "add", "deep", "wrap")))
        if not path:
            if kind == "wrap":
                value = [value]
            elif kind in ("replace", "hostile", "deep"):
                value = _replacement(draw, kind)
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        _edit_member(draw, parent, path[-1], kind)
    return value


@st.composite
def mutated_csv(draw: st.DrawFn, text: str) -> bytes:
    """A CSV export with quoting broken, delimiters changed, a BOM, an odd encoding."""
    kind = draw(st.sampled_from(("quote", "delimiter", "encoding", "cells", "bytes", "nul")))
    if kind == "quote":
        at = draw(st.integers(0, len(text)))
        quote = draw(st.sampled_from(('"', '""', '"\n', '\n"', '"a"b"')))
        return (text[:at] + quote + text[at:]).encode()
    if kind == "delimiter":
        return text.replace(",", draw(st.sampled_from((";", "\t", "|", ",,", "")))).encode()
    if kind == "encoding":
        codec = draw(st.sampled_from(("utf-16", "utf-16-le", "gb18030", "latin-1", "utf-8-sig")))
        return text.encode(codec, errors="replace")
    if kind == "cells":
        lines = text.split("\n")
        at = draw(st.integers(0, len(lines) - 1))
        cell = draw(st.sampled_from(("9" * 400, "-1", "1e999", "NaN", "", '"', "=1+1", "\x00")))
        lines[at] = lines[at] + "," + cell
        return "\n".join(lines).encode()
    if kind == "nul":
        return text.encode().replace(b",", b"\x00,", 1)
    return draw(mutated_bytes(text.encode()))


def json_bytes(value: Any) -> bytes:
    """``value`` as JSON bytes (deep nesting included: no recursion in the encoder)."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False).encode(
            "utf-8", "surrogatepass"
        )
    except RecursionError:
        depth = 0
        while isinstance(value, list) and len(value) == 1:
            value, depth = value[0], depth + 1
        return b"[" * depth + json.dumps(value).encode() + b"]" * depth
    except ValueError:
        return b'{"x": 1e999}'
