"""Entries: canonical leaves with a domain tag, strict decoding, the hash chain."""

from __future__ import annotations

import contextlib
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import (
    ENTRY_TYPE,
    GENESIS_PREV,
    ChainError,
    ChainVerifier,
    Entry,
    FormatError,
    JSONValue,
    canonical_json,
    leaf_link,
    parse_json,
    verify_chain,
)

ORIGIN = "example.com/node-a"


def make_chain(n: int, *, origin: str = ORIGIN) -> list[Entry]:
    entries: list[Entry] = []
    prev = GENESIS_PREV
    for i in range(n):
        e = Entry(
            seq=i,
            kind="inventory.snapshot",
            body={"sku": f"SKU-{i}", "commitment": "AAEC", "n": i},
            prev=prev,
            timestamp_ms=1_700_000_000_000 + i,
            origin=origin,
        )
        entries.append(e)
        prev = e.leaf_hash()
    return entries


def test_leaf_is_canonical_json_with_domain_tag() -> None:
    e = make_chain(1)[0]
    leaf = e.leaf()
    # Written out by hand: keys sorted, no whitespace, prev in hex (RFC 8785).
    expected = (
        '{"body":{"commitment":"AAEC","n":0,"sku":"SKU-0"},"kind":"inventory.snapshot",'
        '"origin":"example.com/node-a","prev":"' + "00" * 32 + '","seq":0,'
        '"timestamp_ms":1700000000000,"type":"scnode.ledger.entry/v1"}'
    ).encode()
    assert leaf == expected
    assert ENTRY_TYPE == "scnode.ledger.entry/v1"
    assert e.leaf_hash() == hashlib.sha256(b"\x00" + expected).digest()
    assert Entry.from_leaf(leaf) == e


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda s: s.replace('{"body"', '{ "body"'), "whitespace"),
        (lambda s: s.replace('"kind":"inventory.snapshot",', "") + "", "missing field"),
        (
            lambda s: s.replace(
                '"type":"scnode.ledger.entry/v1"', '"type":"scnode.ledger.entry/v2"'
            ),
            "tag",
        ),
        (lambda s: s.replace('"seq":0', '"seq":0.0'), "float seq"),
        (lambda s: s.replace('"seq":0', '"seq":true'), "bool seq"),
        (lambda s: s.replace('"prev":"00', '"prev":"0'), "short prev"),
        (lambda s: s.replace('"prev":"00', '"prev":"AA'), "upper-case hex"),
        (lambda s: s.replace('"n":0', '"n":0,"n":0'), "duplicate key"),
        (lambda s: s.replace('"n":0,"sku"', '"sku":"SKU-0","n":0,"x"'), "unsorted"),
        (lambda s: s.replace('"SKU-0"', '"SK\\u0055-0"'), "needless escape"),
        (lambda s: s.replace('"n":0', '"n":1e0'), "exponent"),
        (lambda s: s[:-1], "truncated"),
        (lambda s: s + "\n", "trailing newline"),
        (lambda s: s.replace('"kind":"inventory.snapshot"', '"kind":"Inventory"'), "bad kind"),
        (lambda s: s.replace('"origin":"example.com/node-a"', '"origin":""'), "empty origin"),
        (lambda s: '{"x":' + s + "}", "wrapped"),
        (lambda s: "[]", "array"),
    ],
)
def test_from_leaf_rejects_non_canonical(mutate: object, why: str) -> None:
    leaf = make_chain(1)[0].leaf().decode()
    bad = mutate(leaf)  # type: ignore[operator]
    assert bad != leaf, why
    with pytest.raises(FormatError):
        Entry.from_leaf(bad.encode())


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"", b"NaN", b'{"a":Infinity}', b"{" * 100000])
def test_from_leaf_garbage(raw: bytes) -> None:
    with pytest.raises(FormatError):
        Entry.from_leaf(raw)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seq": -1},
        {"seq": True},
        {"seq": 2**53},
        {"kind": ""},
        {"kind": "a..b"},
        {"kind": "a b"},
        {"prev": b"\x00" * 31},
        {"timestamp_ms": -1},
        {"timestamp_ms": 1.5},
        {"origin": "line\nbreak"},
        {"body": []},
    ],
)
def test_entry_invariants(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {
        "seq": 0,
        "kind": "peer.add",
        "body": {},
        "prev": GENESIS_PREV,
        "timestamp_ms": 0,
        "origin": ORIGIN,
    }
    base.update(kwargs)
    with pytest.raises(FormatError):
        Entry(**base)  # type: ignore[arg-type]


def test_unrepresentable_body_is_format_error() -> None:
    e = Entry(
        seq=0, kind="x", body={"f": float("nan")}, prev=GENESIS_PREV, timestamp_ms=0, origin="o"
    )
    with pytest.raises(FormatError):
        e.leaf()
    e = Entry(seq=0, kind="x", body={"big": 2**60}, prev=GENESIS_PREV, timestamp_ms=0, origin="o")
    with pytest.raises(FormatError):
        e.leaf()


def test_verify_chain_and_tamperings() -> None:
    chain = make_chain(10)
    verify_chain(chain)
    verify_chain(chain[4:], prev=chain[3].leaf_hash(), start=4)
    # Reordered, skipped, duplicated, wrong start, a modified body.
    cases: list[tuple[list[Entry], int]] = [
        ([*chain[:3], chain[4], chain[3], *chain[5:]], 3),
        ([*chain[:5], *chain[6:]], 5),
        ([*chain[:5], chain[4], *chain[5:]], 5),
    ]
    tampered = Entry(**{**chain[6].__dict__, "body": {"sku": "other"}})
    cases.append(([*chain[:6], tampered, *chain[7:]], 7))
    for entries, bad in cases:
        with pytest.raises(ChainError) as info:
            verify_chain(entries)
        assert info.value.index == bad
    with pytest.raises(ChainError) as info:
        verify_chain(chain[4:], prev=chain[2].leaf_hash(), start=4)
    assert info.value.index == 4


def test_chain_verifier_on_leaves() -> None:
    chain = make_chain(20)
    leaves = [e.leaf() for e in chain]
    cv = ChainVerifier()
    hashes = [cv.add(leaf) for leaf in leaves]
    assert hashes == [e.leaf_hash() for e in chain]
    assert leaf_link(leaves[3]) == (3, chain[2].leaf_hash())
    # A deleted row, a swapped pair, a flipped byte inside a body.
    for bad_leaves, index in (
        ([*leaves[:8], *leaves[9:]], 8),
        ([*leaves[:8], leaves[9], leaves[8], *leaves[10:]], 8),
        ([*leaves[:8], leaves[8].replace(b"SKU-8", b"SKU-X"), *leaves[9:]], 9),
        ([*leaves[:8], b"not json", *leaves[9:]], 8),
    ):
        cv = ChainVerifier()
        for leaf in bad_leaves[:index]:
            cv.add(leaf)
        with pytest.raises(ChainError) as info:
            cv.add(bad_leaves[index])
        assert info.value.index == index


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)


@given(body=st.dictionaries(st.text(), json_values, max_size=5), seq=st.integers(0, 2**53 - 1))
def test_roundtrip_property(body: dict[str, JSONValue], seq: int) -> None:
    e = Entry(
        seq=seq, kind="a.b", body=body, prev=bytes(range(32)), timestamp_ms=seq, origin=ORIGIN
    )
    leaf = e.leaf()
    assert Entry.from_leaf(leaf) == e
    assert parse_json(leaf) == json.loads(leaf)
    assert canonical_json(parse_json(leaf)) == leaf


@given(st.binary(max_size=200))
def test_from_leaf_fuzz(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        Entry.from_leaf(data)


def test_leaf_link_fast_path_agrees_with_json() -> None:
    tricky = Entry(
        seq=12,
        kind="a.b",
        body={
            "x": {"a": 0, "prev": "f" * 64, "seq": 1},
            "s": ',"prev":"' + "a" * 64 + '","seq":3,',
        },
        prev=bytes(range(32)),
        timestamp_ms=5,
        origin='quote"origin',
    )
    leaf = tricky.leaf()
    assert leaf.count(b',"prev":"') >= 2
    assert leaf_link(leaf) == (12, bytes(range(32)))
    # Whitespace defeats the fast path; the JSON fallback still reads the fields.
    loose = json.dumps(json.loads(leaf), indent=1).encode()
    assert leaf_link(loose) == (12, bytes(range(32)))
    for bad in (b"{}", b'{"seq": 1, "prev": "zz", "type": "scnode.ledger.entry/v1"}', b"\xff"):
        with pytest.raises(FormatError):
            leaf_link(bad)


@given(body=st.dictionaries(st.text(), json_values, max_size=4), origin=st.text(min_size=1))
def test_leaf_link_property(body: dict[str, JSONValue], origin: str) -> None:
    try:
        e = Entry(seq=7, kind="k", body=body, prev=bytes(32), timestamp_ms=9, origin=origin)
        leaf = e.leaf()
    except FormatError:
        return
    assert leaf_link(leaf) == (7, bytes(32))
