"""The store's fast leaf builder gives exactly ``Entry.leaf()`` (or the same error)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import GENESIS_PREV, Entry, FormatError, JSONValue, canonical_json
from ledger.storage._leaf import body_json, entry_leaf

ORIGIN = "example.com/log \u00e9\U0001f600"

_keys = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["a", "b", "\ue000", "\U0001f600", "\U00010000", "\x00", '"', "\\"]),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from([2**53 - 1, -(2**53 - 1), 2**53, -(2**53)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.sampled_from(["\ud800", "a\udfffb", "\x7f", "\x1f\b\f\n\r\t", "\u2028"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)
_bodies = st.dictionaries(_keys, _values, max_size=6)


def _expected(body: dict[str, JSONValue]) -> bytes | type[FormatError]:
    try:
        return canonical_json(body)
    except FormatError:
        return FormatError


@settings(max_examples=120, deadline=None)
@given(body=_bodies)
def test_body_json_is_rfc8785(body: dict[str, JSONValue]) -> None:
    want = _expected(body)
    if want is FormatError:
        try:
            body_json(body)
        except FormatError:
            return
        raise AssertionError("body_json accepted a body without a canonical form")
    assert body_json(body) == want


@settings(max_examples=50, deadline=None)
@given(
    body=_bodies,
    seq=st.integers(min_value=0, max_value=2**53 - 1),
    ts=st.integers(min_value=0, max_value=2**53 - 1),
    kind=st.sampled_from(["inventory.snapshot", "key.rotate", "po_1.x-y"]),
    prev=st.binary(min_size=32, max_size=32),
)
def test_entry_leaf_is_entry_leaf(
    body: dict[str, JSONValue], seq: int, ts: int, kind: str, prev: bytes
) -> None:
    entry = Entry(seq, kind, body, prev, ts, ORIGIN)
    if _expected(body) is FormatError:
        return
    assert entry_leaf(entry, canonical_json(ORIGIN)) == entry.leaf()


def test_a_simple_entry() -> None:
    entry = Entry(0, "inventory.snapshot", {"b": [1, "x"], "a": None}, GENESIS_PREV, 5, ORIGIN)
    assert entry_leaf(entry, canonical_json(ORIGIN)) == entry.leaf()
