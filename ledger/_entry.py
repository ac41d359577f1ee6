"""Ledger entries, their canonical leaf bytes, and the hash chain.

The leaf of an entry is the RFC 8785 canonical JSON object::

    {"body": {...}, "kind": "inventory.snapshot", "origin": "example.com/node",
     "prev": "<64 hex digits>", "seq": 0, "timestamp_ms": 1700000000000,
     "type": "scnode.ledger.entry/v1"}

``type`` is the versioned domain tag: a leaf of another format or version can
never be mistaken for an entry of this one. ``prev`` is the RFC 9162 leaf hash
of entry ``seq - 1`` (all zero bytes for entry 0).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from ledger._canonical import JSONValue, canonical_json, parse_json
from ledger._hashing import HASH_SIZE, LEAF_PREFIX, leaf_hash
from ledger.errors import ChainError, FormatError

__all__ = [
    "ENTRY_TYPE",
    "GENESIS_PREV",
    "MAX_TIMESTAMP_MS",
    "ChainVerifier",
    "Entry",
    "leaf_link",
    "verify_chain",
]

#: Domain tag (with version) inside every entry leaf.
ENTRY_TYPE: Final = "scnode.ledger.entry/v1"
#: ``prev`` of entry 0.
GENESIS_PREV: Final = bytes(HASH_SIZE)
#: Largest integer RFC 8785 represents exactly (2**53 - 1); bounds seq and timestamps.
MAX_TIMESTAMP_MS: Final = 2**53 - 1
_KIND = re.compile(r"[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*\Z")
_FIELDS: Final = frozenset({"body", "kind", "origin", "prev", "seq", "timestamp_ms", "type"})


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_origin(origin: object) -> str:
    """Return ``origin`` if it is a valid log origin (non-empty, one line, no controls)."""
    if not isinstance(origin, str) or not origin:
        raise FormatError("origin must be a non-empty string")
    if any(ord(c) < 0x20 or c == "\x7f" for c in origin):
        raise FormatError("origin must not contain control characters")
    return origin


@dataclass(frozen=True)
class Entry:
    """One entry of the log (see the module docstring for its leaf encoding)."""

    seq: int
    kind: str
    body: dict[str, JSONValue]
    prev: bytes
    timestamp_ms: int
    origin: str

    def __post_init__(self) -> None:
        if not _is_int(self.seq) or not 0 <= self.seq <= MAX_TIMESTAMP_MS:
            raise FormatError(f"seq must be an integer in [0, 2**53), got {self.seq!r}")
        if not isinstance(self.kind, str) or not _KIND.match(self.kind):
            raise FormatError(
                f"kind must be dotted lower-case words like 'inventory.snapshot', got {self.kind!r}"
            )
        if not isinstance(self.body, dict):
            raise FormatError("body must be a JSON object")
        if not isinstance(self.prev, bytes) or len(self.prev) != HASH_SIZE:
            raise FormatError(f"prev must be {HASH_SIZE} bytes")
        if not _is_int(self.timestamp_ms) or not 0 <= self.timestamp_ms <= MAX_TIMESTAMP_MS:
            raise FormatError(
                f"timestamp_ms must be an integer in [0, 2**53), got {self.timestamp_ms!r}"
            )
        check_origin(self.origin)

    def to_json(self) -> dict[str, JSONValue]:
        """The JSON object whose canonical form is the leaf."""
        return {
            "body": self.body,
            "kind": self.kind,
            "origin": self.origin,
            "prev": self.prev.hex(),
            "seq": self.seq,
            "timestamp_ms": self.timestamp_ms,
            "type": ENTRY_TYPE,
        }

    def leaf(self) -> bytes:
        """The canonical leaf bytes (RFC 8785 JSON with the domain tag inside)."""
        return canonical_json(self.to_json())

    def leaf_hash(self) -> bytes:
        """RFC 9162 leaf hash of :meth:`leaf`."""
        return leaf_hash(self.leaf())

    @classmethod
    def from_leaf(cls, leaf: bytes) -> Entry:
        """Decode leaf bytes strictly: FormatError unless they are exactly canonical."""
        value = parse_json(leaf)
        if not isinstance(value, dict):
            raise FormatError("entry leaf is not a JSON object")
        if set(value) != _FIELDS:
            missing = sorted(_FIELDS - set(value))
            extra = sorted(set(value) - _FIELDS)
            raise FormatError(f"entry leaf fields wrong (missing {missing}, unexpected {extra})")
        if value["type"] != ENTRY_TYPE:
            raise FormatError(f"entry leaf type is {value['type']!r}, expected {ENTRY_TYPE!r}")
        prev_hex = value["prev"]
        if not isinstance(prev_hex, str) or not re.fullmatch(r"[0-9a-f]{64}", prev_hex):
            raise FormatError("entry prev must be 64 lower-case hex digits")
        body, kind, origin = value["body"], value["kind"], value["origin"]
        seq, ts = value["seq"], value["timestamp_ms"]
        if not isinstance(body, dict) or not isinstance(kind, str) or not isinstance(origin, str):
            raise FormatError("entry body must be an object, kind and origin strings")
        if not isinstance(seq, int) or not isinstance(ts, int):
            raise FormatError("entry seq and timestamp_ms must be integers")
        entry = cls(
            seq=seq,
            kind=kind,
            body=body,
            prev=bytes.fromhex(prev_hex),
            timestamp_ms=ts,
            origin=origin,
        )
        if entry.leaf() != leaf:
            raise FormatError("entry leaf is not in RFC 8785 canonical form")
        return entry


# The end of every canonical entry leaf: RFC 8785 sorts the keys, so after the
# body, kind and origin come exactly these fields, in this order.
_TAIL = re.compile(
    rb',"prev":"([0-9a-f]{64})","seq":(0|[1-9][0-9]{0,15}),'
    rb'"timestamp_ms":(?:0|[1-9][0-9]{0,15}),"type":"scnode\.ledger\.entry/v1"\}'
)
_PREV_KEY: Final = b',"prev":"'


def leaf_link(leaf: bytes) -> tuple[int, bytes]:
    """``(seq, prev)`` of an entry leaf, for fast hash-chain checks of stored leaves.

    This reads the two chain fields only; it does not check that the leaf is
    canonical (use :meth:`Entry.from_leaf` for untrusted input; a changed leaf
    is caught by its hash). Raises :class:`FormatError` if they cannot be read.
    """
    # Fast path: the top-level prev is the last ',"prev":"' in a canonical leaf
    # (inside strings quotes are escaped; the body comes before it).
    match = _TAIL.fullmatch(leaf, leaf.rfind(_PREV_KEY))
    if match is not None:
        return int(match.group(2)), bytes.fromhex(match.group(1).decode("ascii"))
    try:
        value = json.loads(leaf)
        seq = value["seq"]
        prev = bytes.fromhex(value["prev"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise FormatError(f"entry leaf has no readable seq/prev: {exc}") from exc
    if not _is_int(seq) or len(prev) != HASH_SIZE or value.get("type") != ENTRY_TYPE:
        raise FormatError("entry leaf has no valid seq/prev/type")
    return seq, prev


class ChainVerifier:
    """Checks leaves one by one against the hash chain; lean enough for full-ledger scans.

    ``add(leaf)`` raises :class:`ChainError` naming the index of the first leaf
    whose ``seq`` or ``prev`` is wrong, and returns the leaf's RFC 9162 hash so the
    caller can feed it to a :class:`~ledger.CompactRange`.
    """

    __slots__ = ("next_seq", "prev")

    def __init__(self, *, prev: bytes = GENESIS_PREV, start: int = 0) -> None:
        self.prev = prev
        self.next_seq = start

    def add(self, leaf: bytes) -> bytes:
        index = self.next_seq
        try:
            seq, prev = leaf_link(leaf)
        except FormatError as exc:
            raise ChainError(index, f"entry {index}: {exc}") from exc
        if seq != index:
            raise ChainError(index, f"entry {index}: leaf says seq {seq}")
        if prev != self.prev:
            raise ChainError(
                index, f"entry {index}: prev does not match the hash of entry {index - 1}"
            )
        digest = hashlib.sha256(LEAF_PREFIX + leaf).digest()
        self.prev = digest
        self.next_seq = index + 1
        return digest


def verify_chain(entries: Iterable[Entry], *, prev: bytes = GENESIS_PREV, start: int = 0) -> None:
    """Raise :class:`ChainError` at the first entry whose seq or prev is wrong."""
    expected = start
    for entry in entries:
        if entry.seq != expected:
            raise ChainError(expected, f"entry {expected}: has seq {entry.seq}")
        if entry.prev != prev:
            raise ChainError(expected, f"entry {expected}: prev does not match the previous entry")
        prev = entry.leaf_hash()
        expected += 1
