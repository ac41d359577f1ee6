"""Checks that a ledger body carries no plaintext business figures.

A plain substring test (``"1200" not in leaf``) fails at random: hashes, hex and
base64 in the body contain digit runs. Numbers are therefore looked for as whole
tokens (not inside a longer run of letters, digits or base64 characters) in every
string, and as equal values among every number, of the parsed JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

__all__ = ["assert_no_plaintext", "json_leaves"]

_TOKEN_EDGE = r"0-9A-Za-z+/=."


def json_leaves(value: object) -> Iterator[object]:
    """Every key and scalar of a parsed JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_leaves(item)
    else:
        yield value


def assert_no_plaintext(
    value: object, *, words: Iterable[str] = (), numbers: Iterable[int | float | str] = ()
) -> None:
    """Fail if any of ``words`` occurs in the JSON text, or any of ``numbers`` as a value
    or as a whole token inside a string of ``value`` (a parsed JSON value, or its bytes)."""
    if isinstance(value, bytes | str):
        value = json.loads(value)
    text = json.dumps(value, ensure_ascii=False)
    for word in words:
        assert word not in text, f"plaintext {word!r} found"
    leaves = list(json_leaves(value))
    for number in numbers:
        token = str(number)
        pattern = re.compile(rf"(?<![{_TOKEN_EDGE}]){re.escape(token)}(?![{_TOKEN_EDGE}])")
        for leaf in leaves:
            if isinstance(leaf, bool) or leaf is None:
                continue
            if isinstance(leaf, int | float):
                assert str(leaf) != token, f"plaintext {token} found"
                assert leaf != float(token), f"plaintext {token} found"
            elif isinstance(leaf, str):
                assert not pattern.search(leaf), f"plaintext {token} found in {leaf[:80]!r}"
