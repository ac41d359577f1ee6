"""A partner's verified facts reach governance with no manual call, over real HTTP.

Two nodes on loopback: the supplier publishes inventory (one position below its
safety stock); the buyer's peer loop syncs the supplier's checkpoint, reads the
facts the supplier discloses to it, verifies them (inclusion in the checkpoint
it holds, zk range proofs) and hands them to its governance service. The feed
is fresh, so no stale-feed case opens (the false positive this replaces); the
below-safety fact opens its case. Under a controlled clock the supplier then
stays silent past its freshness expectation (and finally goes down): the
stale-feed case opens.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.governance import GovernanceService, governance_service
from node.peers.registry import PeerRegistry
from tests.node.test_witness_helpers import Node, network

BUYER, SUPPLIER = "buyer.example/phone", "supplier.example/module"


def _policy() -> dict[str, Any]:
    return {
        "format": "scnode-disclosure-policy/v1",
        "version": 2,
        "roles": {
            "admin": {"views": ["quantities", "commitments", "facts", "openings"], "scope": "all"},
            "operator": {
                "views": ["quantities", "commitments", "facts", "openings"],
                "scope": "all",
            },
            "auditor": {"views": ["commitments", "facts"], "scope": "all"},
            "partner": {"views": ["facts"], "scope": "supplied"},
            "bank": {"views": ["commitments", "facts", "openings"], "scope": "granted"},
        },
        "parties": [{"party": BUYER, "role": "partner", "skus": ["*"], "locations": ["*"]}],
    }


def _positions(as_of: datetime) -> bytes:
    stamp = as_of.astimezone(timezone(timedelta(hours=8))).isoformat(timespec="milliseconds")
    rows = [
        {
            "sku": f"CAM-{i}",
            "location": "SZ1",
            "as_of": stamp,
            "quantities": {"available": 40 if i == 0 else 900, "in_transit": 5, "in_inspection": 0},
            "safety_stock": 100,
        }
        for i in range(3)
    ]
    return json.dumps({"positions": rows}).encode()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    for nodes in network(tmp_path, BUYER, SUPPLIER):
        buyer, supplier = nodes
        (supplier.home / "disclosure-policy.json").write_text(json.dumps(_policy()))
        buyer.clock.now = datetime.now(UTC).timestamp()
        yield buyer, supplier


def _publish(supplier: Node, as_of: datetime) -> int:
    got = httpx.post(
        f"{supplier.url}/v1/inventory/snapshots",
        content=_positions(as_of),
        headers={**supplier.auth, "Content-Type": "application/json"},
        timeout=120,
    )
    assert got.status_code == 201, got.text
    index: int = got.json()["index"]
    return index


def _cases(buyer: Node, kind: str) -> list[dict[str, Any]]:
    got = buyer.get("/v1/governance/exceptions", type=kind)
    assert got.status_code == 200, got.text
    return [c for c in got.json() if c["assignee"] == SUPPLIER and c["state"] != "resolved"]


def _row(buyer: Node) -> dict[str, Any]:
    health = buyer.get("/v1/governance/health").json()
    (row,) = [r for r in health["partners"] if r["partner"] == SUPPLIER]
    return dict(row)


def _service(buyer: Node) -> GovernanceService:
    assert buyer.app is not None
    return governance_service(buyer.app)


def test_verified_facts_keep_the_feed_fresh_until_the_partner_goes_quiet(
    pair: tuple[Node, Node],
) -> None:
    buyer, supplier = pair
    as_of = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    _publish(supplier, as_of)
    report = buyer.worker.run_once()
    assert report.synced  # the supplier's checkpoint was verified this round

    service = _service(buyer)
    stored = service.stored_facts(SUPPLIER)
    assert stored is not None
    assert dict(stored.safety_stock) == {
        "CAM-0@SZ1": "below",
        "CAM-1@SZ1": "at_or_above",
        "CAM-2@SZ1": "at_or_above",
    }
    assert stored.failed_proofs == ()
    row = _row(buyer)
    assert row["last_as_of"] == int(as_of.timestamp() * 1000)
    assert row["last_checkpoint_at"] is not None
    assert row["stale"] is False
    with buyer.engine.connect() as conn:
        (peer,) = [p for p in PeerRegistry(conn).list() if p.key.name == SUPPLIER]
    status = buyer.get(f"/v1/peers/{peer.id}/status").json()
    assert status["fault"] is None
    assert status["zk_facts"] == [
        {"subject": "CAM-0@SZ1", "fact": "below"},
        {"subject": "CAM-1@SZ1", "fact": "at_or_above"},
        {"subject": "CAM-2@SZ1", "fact": "at_or_above"},
    ]

    wall = int(datetime.now(UTC).timestamp() * 1000)
    clock = [wall]
    service.clock = lambda: clock[0]
    service.ensure_started()
    service.sweep()
    assert _cases(buyer, "stale_feed") == []  # the false positive is gone
    (below,) = _cases(buyer, "below_safety_stock")
    assert below["subject"] == "CAM-0@SZ1"

    # a second round reads nothing new: the feed's as-of stays, nothing re-verified
    buyer.worker.run_once()
    assert _row(buyer)["last_as_of"] == int(as_of.timestamp() * 1000)

    # the supplier publishes nothing more; past its freshness expectation the case opens
    max_age = service.rule_set().freshness.max_age_for(SUPPLIER)
    clock[0] = int(as_of.timestamp() * 1000) + max_age - 1000
    service.sweep()
    assert _cases(buyer, "stale_feed") == []
    supplier.stop()
    buyer.clock.advance(max_age / 1000)
    buyer.worker.run_once()
    fault = buyer.get(f"/v1/peers/{peer.id}/status").json()["fault"]
    assert fault["kind"] == "down"
    clock[0] = int(as_of.timestamp() * 1000) + max_age + 1000
    service.sweep()
    (stale,) = _cases(buyer, "stale_feed")
    assert stale["subject"] == "feed"


def test_a_tampered_proof_is_a_verification_failure_not_a_fact(pair: tuple[Node, Node]) -> None:
    """The supplier's database is altered after publishing: the proof it serves no
    longer verifies against the commitments in its ledger entry. The buyer believes
    nothing of that item, counts a verification failure, records the failed item
    and shows the supplier as answering garbage."""
    import base64

    from sqlalchemy import select, update

    from node.inventory._tables import inventory_positions

    buyer, supplier = pair
    _publish(supplier, datetime.now(UTC) - timedelta(minutes=1))
    positions = inventory_positions.c
    with supplier.engine.begin() as conn:
        rows = conn.execute(select(positions.subject, positions.facts)).all()
        for subject, raw in rows:
            facts = json.loads(raw)
            if facts[0].get("proof"):
                proof = bytearray(base64.b64decode(facts[0]["proof"]))
                proof[40] ^= 1
                facts[0]["proof"] = base64.b64encode(bytes(proof)).decode()
                conn.execute(
                    update(inventory_positions)
                    .where(positions.subject == subject)
                    .values(facts=json.dumps(facts))
                )
                break
    buyer.worker.run_once()
    service = _service(buyer)
    stored = service.stored_facts(SUPPLIER)
    assert stored is not None
    assert len(stored.failed_proofs) == 1
    assert len(stored.safety_stock) == 2  # the other two items verified
    assert _row(buyer)["windows"]["hour"]["verification_failures"] == 1
    with buyer.engine.connect() as conn:
        (peer,) = [p for p in PeerRegistry(conn).list() if p.key.name == SUPPLIER]
    fault = buyer.get(f"/v1/peers/{peer.id}/status").json()["fault"]
    assert fault["kind"] == "garbage"
    assert "do not verify" in fault["detail"]
    buyer.worker.run_once()  # the same failed item is not counted twice
    assert _row(buyer)["windows"]["hour"]["verification_failures"] == 1
    service.ensure_started()
    service.sweep()
    subjects = {c["subject"] for c in _cases(buyer, "failed_proof")}
    assert subjects == {f"entry:{stored.failed_proofs[0]}", "feed"}
