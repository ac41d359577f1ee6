"""A partner checks the stock facts it reads from a supplier, with zk's verifiers."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import zk
from ledger import Entry
from node.demo._nodes import DemoError
from node.inventory import AT_LEAST, fact_context, subject_of
from node.peers.client import PeerClient


def entry_body(client: PeerClient, index: int) -> dict[str, Any]:
    got = client.get(f"/v1/ledger/entries/{index}")
    if got.status_code != 200:
        raise DemoError(f"ledger entry {index}: HTTP {got.status_code}")
    return dict(Entry.from_leaf(base64.b64decode(got.json()["leaf"])).body)


def check_item(item: Mapping[str, Any], origin: str, body: Mapping[str, Any]) -> str:
    """Verify one /v1/facts item against its ledger entry; the fact it proves.

    The subject is recomputed from the disclosed sku/site/lot and salt, the
    commitments must be the entry's, and each at-least proof is verified under a
    context computed here. Returns the fact name (``available_below_safety_stock``
    carries no proof: there is nothing to verify but its presence in the entry).
    """
    subject = subject_of(item["sku"], item["location"], item["lot"], item["salt"])
    if subject != item["subject"]:
        raise DemoError(f"{item['sku']}: the disclosed salt does not give the subject")
    matches = [p for p in body["positions"] if p["subject"] == subject]
    if len(matches) != 1:
        raise DemoError(f"{item['sku']}: not in ledger entry {item['index']}")
    on_ledger = matches[0]
    facts: list[str] = []
    for fact in item["facts"]:
        facts.append(fact["fact"])
        if fact["fact"] != AT_LEAST:
            continue
        c = on_ledger["commitments"]
        available = zk.Commitment.from_bytes(bytes.fromhex(c["available"]))
        safety = zk.Commitment.from_bytes(bytes.fromhex(c["safety_stock"]))
        context = fact_context(origin, body["snapshot"], subject, AT_LEAST)
        proof = zk.RangeProof.from_bytes(base64.b64decode(fact["proof"]))
        try:
            zk.verify_at_least(available - safety, 0, proof, bits=fact["bits"], context=context)
        except (zk.VerificationError, zk.ProofError, zk.EncodingError) as exc:
            raise DemoError(f"{item['sku']}: the proof does not verify: {exc}") from None
    if len(facts) != 1:
        raise DemoError(f"{item['sku']}: expected one safety-stock fact, got {facts}")
    return str(facts[0])


def read_facts(client: PeerClient, origin: str) -> list[tuple[dict[str, Any], str]]:
    """The newest fact per item the caller may read at ``origin``, each verified."""
    got = client.get("/v1/facts")
    if got.status_code != 200:
        raise DemoError(f"/v1/facts at {origin}: HTTP {got.status_code}")
    newest: dict[str, dict[str, Any]] = {}
    for item in got.json()["items"]:
        known = newest.get(item["subject"])
        if known is None or int(item["index"]) > int(known["index"]):
            newest[item["subject"]] = item
    out = []
    bodies: dict[int, dict[str, Any]] = {}
    for item in sorted(newest.values(), key=lambda i: (i["sku"], str(i["location"]))):
        index = int(item["index"])
        if index not in bodies:
            bodies[index] = entry_body(client, index)
        out.append((item, check_item(item, origin, bodies[index])))
    return out
