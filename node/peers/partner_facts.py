"""Reading and verifying the stock facts a partner discloses to this node.

The peer loop asks each partner for ``GET /v1/facts`` (a signed request: the
partner's disclosure policy decides what this node may see) and checks every new
item before anything of it is believed:

* the item's entry is in the partner's log as this node verified it: the leaf
  bytes hash to the item's leaf hash, and an RFC 9162 inclusion proof leads from
  it to the root of the checkpoint this node holds (items beyond that
  checkpoint wait for the next round);
* the subject recomputed from the disclosed sku, site, lot and salt is in the
  entry, with the same commitments;
* each ``at least safety stock`` fact's range proof verifies with zk under a
  context computed here.

What passes becomes governance input: the newest as-of (feed freshness) and the
safety-stock band per ``sku@site``; what fails is reported with the reason.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

import zk
from governance import AT_OR_ABOVE, BELOW
from ledger import Entry, LedgerError, leaf_hash, verify_inclusion
from node.inventory import AT_LEAST, fact_context, subject_of
from node.inventory import BELOW as BELOW_FACT

__all__ = ["FactsRead", "FactsUnreadable", "read_partner_facts", "subject_key"]

PAGE: Final = 1000
#: Pages read per round (the rest waits for the next round).
MAX_PAGES: Final = 5
#: Items verified per round (each zk verification costs milliseconds; the rest,
#: later in the log, waits for the next round).
MAX_VERIFY: Final = 200


class FactsUnreadable(Exception):
    """The partner answered its facts with something that is not facts."""


@dataclass
class FactsRead:
    """What one read found: verified items' newest as-of and safety-stock bands,
    and the items that failed (``ref`` → reason)."""

    newest_as_of: int | None = None
    safety_stock: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    verified: int = 0
    waiting: int = 0  # items beyond the checkpoint this node holds


def subject_key(item: Mapping[str, Any]) -> str:
    """``sku@site`` (governance's safety-stock subject)."""
    return f"{item['sku']}@{item['location'] or '-'}"


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    try:
        got = client.get(path, params=params or None)
    except httpx.HTTPError as exc:
        raise FactsUnreadable(f"{path}: {exc.__class__.__name__}") from None
    if got.status_code != 200:
        raise FactsUnreadable(f"{path}: HTTP {got.status_code}")
    try:
        return got.json()
    except ValueError:
        raise FactsUnreadable(f"{path}: not JSON") from None


def _b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(text, validate=True)


class _Checker:
    def __init__(self, client: httpx.Client, origin: str, size: int, root: bytes) -> None:
        self.client, self.origin, self.size, self.root = client, origin, size, root
        self.bodies: dict[int, dict[str, Any]] = {}

    def body(self, index: int, expected_leaf_hash: bytes) -> dict[str, Any]:
        if index in self.bodies:
            return self.bodies[index]
        got = _get(self.client, f"/v1/ledger/entries/{index}")
        leaf = _b64(got["leaf"])
        if leaf_hash(leaf) != expected_leaf_hash:
            raise ValueError(f"entry {index}: its leaf does not hash to the item's leaf hash")
        proof = _get(self.client, "/v1/ledger/proof/inclusion", index=index, size=self.size)
        hashes = [_b64(h) for h in proof["hashes"]]
        verify_inclusion(expected_leaf_hash, index, self.size, hashes, self.root)
        body = dict(Entry.from_leaf(leaf).body)
        self.bodies[index] = body
        return body

    def check(self, item: Mapping[str, Any]) -> str:
        """The item's safety-stock band (``below`` / ``at_or_above``); raises on any
        mismatch."""
        index = int(item["index"])
        body = self.body(index, bytes.fromhex(item["leaf_hash"]))
        subject = subject_of(item["sku"], item["location"], item["lot"], item["salt"])
        if subject != item["subject"]:
            raise ValueError("the disclosed salt does not give the subject")
        found = [p for p in body["positions"] if p["subject"] == subject]
        if len(found) != 1:
            raise ValueError(f"subject not in ledger entry {index}")
        on_ledger = found[0]
        for name, hexed in item["commitments"].items():
            if on_ledger["commitments"].get(name) != hexed:
                raise ValueError(f"commitment {name!r} is not the entry's")
        names = [str(f["fact"]) for f in item["facts"]]
        if len(names) != 1 or names[0] not in {AT_LEAST, BELOW_FACT}:
            raise ValueError(f"expected one safety-stock fact, got {names}")
        fact = item["facts"][0]
        if names[0] == BELOW_FACT:
            return BELOW
        c = on_ledger["commitments"]
        available = zk.Commitment.from_bytes(bytes.fromhex(c["available"]))
        safety = zk.Commitment.from_bytes(bytes.fromhex(c["safety_stock"]))
        context = fact_context(self.origin, body["snapshot"], subject, AT_LEAST)
        proof = zk.RangeProof.from_bytes(_b64(fact["proof"]))
        zk.verify_at_least(available - safety, 0, proof, bits=int(fact["bits"]), context=context)
        return AT_OR_ABOVE


_ITEM_ERRORS = (
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    binascii.Error,
    LedgerError,
    zk.VerificationError,
    zk.ProofError,
    zk.EncodingError,
    FactsUnreadable,
)


def _newest_items(
    client: httpx.Client, origin: str, since_ms: int | None
) -> dict[str, dict[str, Any]] | None:
    """The newest item per subject over up to :data:`MAX_PAGES` pages (None: the
    partner shows this node nothing)."""
    newest: dict[str, dict[str, Any]] = {}
    for page in range(MAX_PAGES):
        params: dict[str, Any] = {"limit": PAGE, "offset": page * PAGE}
        if since_ms is not None:
            params["since_ms"] = since_ms
        try:
            got = client.get("/v1/facts", params=params)
        except httpx.HTTPError as exc:
            raise FactsUnreadable(f"/v1/facts: {exc.__class__.__name__}") from None
        if got.status_code in (403, 404):
            return None
        if got.status_code != 200:
            raise FactsUnreadable(f"/v1/facts: HTTP {got.status_code}")
        try:
            document = got.json()
            items = document["items"]
            if document["origin"] != origin or not isinstance(items, list):
                raise FactsUnreadable(f"/v1/facts: not the facts of {origin}")
            for item in items:
                key = str(item["subject"])
                if key not in newest or int(item["index"]) > int(newest[key]["index"]):
                    newest[key] = item
        except (ValueError, KeyError, TypeError) as exc:
            raise FactsUnreadable(f"/v1/facts: malformed ({exc.__class__.__name__})") from None
        if len(items) < PAGE:
            break
    return newest


def read_partner_facts(
    client: httpx.Client,
    origin: str,
    *,
    size: int,
    root: bytes,
    since_ms: int | None,
    seen: set[tuple[int, str]],
) -> FactsRead:
    """Read the facts ``origin`` discloses with as-of at or after ``since_ms`` and
    verify the ones not in ``seen`` (``(index, subject)`` pairs, updated) against
    the checkpoint of ``size`` / ``root`` this node verified.

    A partner whose policy shows this node nothing answers 403: nothing read.
    Raises :class:`FactsUnreadable` when the answer is not a facts page."""
    out = FactsRead()
    checker = _Checker(client, origin, size, root)
    newest = _newest_items(client, origin, since_ms)
    if newest is None:
        return out
    latest: dict[str, int] = {}
    for item in sorted(newest.values(), key=lambda i: int(i.get("index", 0))):
        try:
            index, subject = int(item["index"]), str(item["subject"])
            if index >= size:
                out.waiting += 1
                continue
            if (index, subject) in seen:
                continue
            if out.verified + len(out.failed) >= MAX_VERIFY:
                out.waiting += 1
                continue
            band = checker.check(item)
            as_of = int(item["as_of_ms"])
            key = subject_key(item)
        except _ITEM_ERRORS as exc:
            ref = f"{item.get('index')}:{item.get('sku')}@{item.get('location')}"
            out.failed[ref] = f"{exc.__class__.__name__}: {exc}"[:300]
            continue
        seen.add((index, subject))
        out.verified += 1
        if as_of >= latest.get(key, as_of):
            latest[key] = as_of
            out.safety_stock[key] = band
        out.newest_as_of = as_of if out.newest_as_of is None else max(out.newest_as_of, as_of)
    return out
