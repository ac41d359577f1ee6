"""Evidence bundles (``scnode-evidence/v1``): the builder and the strict parser.

A bundle is one RFC 8785 canonical JSON document::

    {"format": "scnode-evidence/v1",
     "log": {"origin": "<checkpoint origin>", "vkeys": ["<C2SP vkey>", ...]},
     "entries": [{"index": N, "leaf": "<base64 leaf bytes>",
                  "proof": "<c2sp.org/tlog-proof@v1 text>"}, ...],
     "key_history": [{"index": N, "leaf": "<base64 key.rotate leaf>"}, ...],   (optional)
     "consistency": [{"old": "<signed checkpoint>", "new": "<signed checkpoint>",
                      "proof": ["<base64 hash>", ...]}, ...],                 (optional)
     ...other members (ignored by the verifier)}

See docs/evidence-bundle.md for the whole format.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from ledger._canonical import JSONValue, canonical_json, parse_json
from ledger._entry import check_origin
from ledger._keys import NoteVerifier, decode_b64
from ledger._proof_text import TlogProof
from ledger.errors import FormatError

__all__ = ["BUNDLE_FORMAT", "Bundle", "BundleEntry", "ConsistencyItem", "build_bundle"]

BUNDLE_FORMAT: Final = "scnode-evidence/v1"
_RESERVED: Final = frozenset({"format", "log", "entries", "key_history", "consistency"})


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def build_bundle(
    *,
    origin: str,
    vkeys: Sequence[str],
    entries: Sequence[tuple[int, bytes, list[bytes]]],
    size: int,
    checkpoint_note: str,
    extra: Mapping[str, JSONValue] | None = None,
    key_history: Sequence[tuple[int, bytes]] = (),
    consistency: Sequence[tuple[str, str, Sequence[bytes]]] = (),
) -> bytes:
    """The canonical bytes of an evidence bundle.

    ``entries``: (index, exact leaf bytes, inclusion proof against ``size``);
    ``checkpoint_note``: the signed checkpoint of that size, with any
    cosignatures; ``key_history``: (index, leaf) of the log's ``key.rotate``
    entries; ``consistency``: (older signed checkpoint, newer signed checkpoint,
    consistency proof); ``extra``: more top-level members.
    """
    check_origin(origin)
    for vkey in vkeys:
        NoteVerifier.from_vkey(vkey)
    items: list[JSONValue] = []
    for index, leaf, proof in entries:
        if not 0 <= index < size:
            raise FormatError(f"entry index {index} is outside the checkpoint of size {size}")
        text = TlogProof(index, tuple(proof), checkpoint_note).to_text()
        items.append({"index": index, "leaf": _b64(leaf), "proof": text})
    doc: dict[str, JSONValue] = {
        "format": BUNDLE_FORMAT,
        "log": {"origin": origin, "vkeys": list(vkeys)},
        "entries": items,
    }
    if key_history:
        doc["key_history"] = [{"index": i, "leaf": _b64(leaf)} for i, leaf in key_history]
    if consistency:
        doc["consistency"] = [
            {"old": old, "new": new, "proof": [_b64(h) for h in proof]}
            for old, new, proof in consistency
        ]
    for key, value in (extra or {}).items():
        if key in _RESERVED:
            raise FormatError(f"extra member {key!r} would replace a bundle member")
        doc[key] = value
    return canonical_json(doc)


@dataclass(frozen=True)
class BundleEntry:
    index: int
    leaf: bytes
    proof: TlogProof


@dataclass(frozen=True)
class ConsistencyItem:
    old: str
    new: str
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class Bundle:
    """A parsed evidence bundle (nothing verified yet)."""

    origin: str
    vkeys: tuple[str, ...]
    entries: tuple[BundleEntry, ...]
    key_history: tuple[tuple[int, bytes], ...]
    consistency: tuple[ConsistencyItem, ...]

    @classmethod
    def from_bytes(cls, data: bytes) -> Bundle:
        """Parse a bundle strictly; FormatError naming the first thing wrong."""
        doc = parse_json(data)
        if not isinstance(doc, dict):
            raise FormatError("bundle is not a JSON object")
        if doc.get("format") != BUNDLE_FORMAT:
            raise FormatError(f"bundle format is {doc.get('format')!r}, expected {BUNDLE_FORMAT!r}")
        log = doc.get("log")
        if not isinstance(log, dict):
            raise FormatError("bundle has no 'log' object")
        origin = log.get("origin")
        vkeys = log.get("vkeys")
        if not isinstance(origin, str) or not origin:
            raise FormatError("bundle log.origin must be a non-empty string")
        if not isinstance(vkeys, list) or not all(isinstance(v, str) for v in vkeys):
            raise FormatError("bundle log.vkeys must be a list of strings")
        raw_entries = doc.get("entries")
        if not isinstance(raw_entries, list):
            raise FormatError("bundle has no 'entries' list")
        entries = tuple(_entry(item, n) for n, item in enumerate(raw_entries))
        seen = {e.index for e in entries}
        if len(seen) != len(entries):
            raise FormatError("bundle lists the same entry index twice")
        history = tuple(_history(item, n) for n, item in enumerate(_list(doc, "key_history")))
        consistency = tuple(
            _consistency(item, n) for n, item in enumerate(_list(doc, "consistency"))
        )
        keys = tuple(v for v in vkeys if isinstance(v, str))
        return cls(origin, keys, entries, history, consistency)


def _list(doc: dict[str, JSONValue], name: str) -> list[JSONValue]:
    value = doc.get(name, [])
    if not isinstance(value, list):
        raise FormatError(f"bundle member {name!r} must be a list")
    return value


def _index(item: dict[str, JSONValue], where: str) -> int:
    index = item.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise FormatError(f"{where}: index must be a non-negative integer")
    return index


def _leaf(item: dict[str, JSONValue], where: str) -> bytes:
    leaf = item.get("leaf")
    if not isinstance(leaf, str):
        raise FormatError(f"{where}: leaf must be a base64 string")
    return decode_b64(leaf, f"{where} leaf")


def _entry(item: JSONValue, n: int) -> BundleEntry:
    where = f"entries[{n}]"
    if not isinstance(item, dict):
        raise FormatError(f"{where} is not an object")
    index = _index(item, where)
    leaf = _leaf(item, where)
    text = item.get("proof")
    if not isinstance(text, str):
        raise FormatError(f"{where}: proof must be tlog-proof text")
    try:
        proof = TlogProof.from_text(text)
    except FormatError as exc:
        raise FormatError(f"{where} (index {index}): {exc}") from exc
    if proof.index != index:
        raise FormatError(f"{where}: proof is for index {proof.index}, not {index}")
    return BundleEntry(index, leaf, proof)


def _history(item: JSONValue, n: int) -> tuple[int, bytes]:
    where = f"key_history[{n}]"
    if not isinstance(item, dict):
        raise FormatError(f"{where} is not an object")
    return _index(item, where), _leaf(item, where)


def _consistency(item: JSONValue, n: int) -> ConsistencyItem:
    where = f"consistency[{n}]"
    if not isinstance(item, dict):
        raise FormatError(f"{where} is not an object")
    old, new, proof = item.get("old"), item.get("new"), item.get("proof")
    if not isinstance(old, str) or not isinstance(new, str):
        raise FormatError(f"{where}: old and new must be signed checkpoints")
    if not isinstance(proof, list) or not all(isinstance(h, str) for h in proof):
        raise FormatError(f"{where}: proof must be a list of base64 hashes")
    hashes = tuple(decode_b64(h, f"{where} proof") for h in proof if isinstance(h, str))
    return ConsistencyItem(old, new, hashes)
