"""Entry leaves, built and checked quickly (the append and verify hot paths).

An entry leaf (``ledger.Entry.leaf``) is RFC 8785 canonical JSON whose members
sort as ``body, kind, origin, prev, seq, timestamp_ms, type``. So a leaf is
``{"body":`` + canonical body + a *tail* fixed by the entry's place in the log.

* :func:`body_json` canonicalises a body with the C ``json`` encoder when that is
  byte-identical to RFC 8785: no floats, integers within +-(2**53 - 1), ASCII
  object keys (then code-point order is UTF-16 order), every string encodable
  (``json`` escapes exactly the characters RFC 8785 escapes, in the same
  lower-case ``\\u00xx`` form). Anything else goes through
  :func:`ledger.canonical_json`, which also raises the FormatError for values
  without a canonical form.
* :func:`leaf_tail` is the fixed tail.

``tests/ledger/storage/test_leaf.py`` checks both against ``Entry.leaf`` with
hypothesis-generated bodies.
"""

from __future__ import annotations

import json
from typing import Final

from ledger import ENTRY_TYPE, Entry, JSONValue, canonical_json

__all__ = ["BODY_START", "body_json", "entry_leaf", "leaf_tail"]

BODY_START: Final = b'{"body":'
_MAX_INT: Final = 2**53 - 1
_ENCODE = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode
_TYPE_JSON: Final = canonical_json(ENTRY_TYPE)


def _plain(value: object) -> bool:
    """Whether the C json encoder's output equals RFC 8785's for ``value``."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_MAX_INT <= value <= _MAX_INT  # type: ignore[operator]
    if kind is dict:
        return all(
            type(k) is str and k.isascii() and _plain(v)
            for k, v in value.items()  # type: ignore[attr-defined]
        )
    if kind is list:
        return all(_plain(v) for v in value)  # type: ignore[attr-defined]
    return False


def body_json(body: dict[str, JSONValue]) -> bytes:
    """RFC 8785 bytes of ``body`` (FormatError if it has none)."""
    if _plain(body):
        try:
            return _ENCODE(body).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: canonical_json raises the FormatError
    return canonical_json(body)


def leaf_tail(
    kind_json: bytes, origin_json: bytes, prev: bytes, seq: int, timestamp_ms: int
) -> bytes:
    """Everything after the body in the leaf of entry ``seq``."""
    return b"".join(
        (
            b',"kind":',
            kind_json,
            b',"origin":',
            origin_json,
            b',"prev":"',
            prev.hex().encode("ascii"),
            b'","seq":',
            str(seq).encode("ascii"),
            b',"timestamp_ms":',
            str(timestamp_ms).encode("ascii"),
            b',"type":',
            _TYPE_JSON,
            b"}",
        )
    )


def entry_leaf(entry: Entry, origin_json: bytes) -> bytes:
    """``entry.leaf()``, faster (``origin_json``: canonical JSON of ``entry.origin``)."""
    body = body_json(entry.body)
    # Entry has checked that kind is dotted [a-z0-9_-] words: JSON needs no escapes
    kind_json = b'"' + entry.kind.encode("ascii") + b'"'
    return (
        BODY_START
        + body
        + leaf_tail(kind_json, origin_json, entry.prev, entry.seq, entry.timestamp_ms)
    )
