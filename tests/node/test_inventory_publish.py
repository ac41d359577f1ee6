"""Publishing snapshots over the API, on SQLite and PostgreSQL: what is appended,
what stays private, what partners can verify, and refusals that store nothing."""

from __future__ import annotations

import base64
import json
import os
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import zk
from ledger.storage import LedgerStore
from node.governance import metadata as governance_metadata
from node.inventory import (
    AT_LEAST,
    BELOW,
    inventory_exceptions,
    inventory_findings,
    inventory_positions,
    inventory_snapshots,
)
from tests.node.inventory_support import (
    EN_SOURCE,
    ORIGIN,
    ZH_SOURCE,
    Node,
    canonical,
    en_json,
    entry_body,
    make_node,
    recent,
    verify_visible,
    zh_csv,
)
from tests.plaintext import assert_no_plaintext

SNAPSHOTS = "/v1/inventory/snapshots"


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[Node]:
    yield from make_node(database_url, tmp_path)


def _ledger_size(node: Node) -> int:
    """How many inventory.snapshot entries the ledger holds (other services append too)."""
    store = LedgerStore.open(node.engine, ORIGIN)
    return sum(e.kind == "inventory.snapshot" for e in store.entries(0, store.size()))


def _post_csv(
    node: Node, data: bytes, source: str | None = ZH_SOURCE, who: str = "operator"
) -> httpx.Response:
    params = {"source": source} if source else {}
    headers = {**node.auth(who), "Content-Type": "text/csv"}
    response: httpx.Response = node.client.post(
        SNAPSHOTS, content=data, params=params, headers=headers
    )
    return response


def test_chinese_csv_export_publishes_one_entry_without_plaintext(node: Node) -> None:
    data = zh_csv(12, below_every=5)
    got = _post_csv(node, data)
    assert got.status_code == 201, got.text
    out = got.json()
    assert out["checkpoint_size"] > out["index"]
    assert out["source"] == ZH_SOURCE
    assert out["mapping_profile_version"] == 9
    assert out["rule_set"] == "scnode-network-default@1"
    assert out["disclosure_policy_version"] == 2
    assert len(out["positions"]) == 12
    assert _ledger_size(node) == 1
    facts = [f["fact"] for p in out["positions"] for f in p["facts"]]
    assert facts.count(BELOW) == 3
    assert facts.count(AT_LEAST) == 9
    assert out["checkpoint"].startswith(f"{ORIGIN}\n{out['checkpoint_size']}\n")

    body = entry_body(node, out["index"])
    assert body["format"] == "scnode-inventory-snapshot/v1"
    assert body["lineage"]["source"] == ZH_SOURCE
    assert body["lineage"]["rule_set_digest"].startswith("sha256:")
    assert_no_plaintext(
        body,
        words=("MOD-0001", "深圳一仓", "quantities", 'safety_stock": 1'),
        numbers=("1201", "12.5"),
    )
    assert set(body["positions"][1]) == {"subject", "as_of_ms", "commitments", "facts"}
    assert set(body["positions"][1]["commitments"]) == {
        "available",
        "in_transit",
        "in_inspection",
        "safety_stock",
    }
    # below safety stock: a fact without proof, and a governance case on the ledger
    below = [p for p in body["positions"] if p["facts"] == [{"fact": BELOW}]]
    assert len(below) == 3
    opened = [e for e in body["exceptions"] if e["kind"].startswith("governance.exception.opened")]
    assert {e["body"]["subject"] for e in opened} == {p["subject"] for p in below}
    assert node.count(inventory_exceptions) == 3
    assert len(out["exceptions"]) == 3


def test_private_tables_hold_plaintext_and_openings_of_the_commitments(node: Node) -> None:
    got = _post_csv(node, zh_csv(3))
    assert got.status_code == 201, got.text
    body = entry_body(node, got.json()["index"])
    with node.engine.connect() as conn:
        rows = conn.execute(select(inventory_positions).order_by(inventory_positions.c.n)).all()
    assert [r.sku for r in rows] == ["MOD-0000", "MOD-0001", "MOD-0002"]
    records = governance_metadata.tables["governance_records"]
    with node.engine.connect() as conn:
        lineage = conn.execute(select(records).order_by(records.c.record_ref)).all()
    snapshot = got.json()["snapshot"]
    assert [r.record_ref for r in lineage] == [f"{snapshot}/{n}" for n in range(3)]
    assert {r.partner for r in lineage} == {ORIGIN}
    assert {r.mapping_profile for r in lineage} == {f"{ZH_SOURCE}@9"}
    assert json.loads(lineage[0].source_fields)["available"] == "在库"
    for row, on_ledger in zip(rows, body["positions"], strict=True):
        quantities = json.loads(row.quantities)
        assert quantities == {"available": 1200 + row.n, "in_transit": 30, "in_inspection": 5}
        assert row.safety_stock == "100"
        assert json.loads(row.extras) == {"unit_cost": "12.5"}
        openings = json.loads(row.openings)
        for name, value in [*quantities.items(), ("safety_stock", 100)]:
            opening = zk.Opening.from_bytes(bytes.fromhex(openings[name]))
            assert opening.value == value
            commitment = zk.Commitment.from_bytes(bytes.fromhex(on_ledger["commitments"][name]))
            zk.verify_opening(commitment, opening)


def test_english_json_export_and_canonical_positions(node: Node) -> None:
    got = node.client.post(
        SNAPSHOTS,
        content=en_json(4),
        params={"source": EN_SOURCE},
        headers={**node.auth("admin"), "Content-Type": "application/json"},
    )
    assert got.status_code == 201, got.text
    assert [p["sku"] for p in got.json()["positions"]] == [f"PCB-{i:03d}" for i in range(4)]
    assert [p["facts"][0]["fact"] for p in got.json()["positions"]] == [BELOW] + [AT_LEAST] * 3
    positions = node.client.get(
        "/v1/inventory/positions", params={"sku": "PCB-001"}, headers=node.auth("operator")
    ).json()
    assert positions[0]["quantities"]["available"] == 1500
    assert positions[0]["attributes"] == {"sales_qty": "77"}  # private, never committed

    canon = node.client.post(SNAPSHOTS, json=canonical(5), headers=node.auth("operator"))
    assert canon.status_code == 201, canon.text
    assert canon.json()["index"] > got.json()["index"]
    assert canon.json()["source"] is None
    assert _ledger_size(node) == 2


def test_every_proof_verifies_from_what_the_auditor_reads(node: Node) -> None:
    assert _post_csv(node, zh_csv(6, below_every=4)).status_code == 201
    page = node.client.get("/v1/facts", headers=node.auth("auditor")).json()
    assert page["origin"] == ORIGIN
    assert len(page["items"]) == 6
    body = entry_body(node, page["items"][0]["index"])
    assert sum(verify_visible(item, ORIGIN, body) for item in page["items"]) == 4
    for item in page["items"]:
        assert item["openings"] == {}
    # the batch verifier accepts them all at once, and rejects a proof replayed elsewhere
    claims = []
    for item in page["items"]:
        for fact in item["facts"]:
            if fact["fact"] == AT_LEAST:
                v = fact["verification"]
                claims.append(
                    zk.AtLeastClaim(
                        zk.Commitment.from_bytes(bytes.fromhex(v["commitment"])),
                        0,
                        zk.RangeProof.from_bytes(base64.b64decode(fact["proof"])),
                        v["bits"],
                        base64.b64decode(v["context"]),
                    )
                )
    zk.verify_batch(claims, rng=random.Random(1))
    swapped = [
        zk.AtLeastClaim(claims[0].commitment, 0, claims[0].proof, claims[0].bits, claims[1].context)
    ]
    with pytest.raises(zk.ProofError):
        zk.verify_batch(swapped, rng=random.Random(2))


BAD_INPUTS = [
    pytest.param("text/csv", b"", ZH_SOURCE, 400, id="empty-csv"),
    pytest.param("text/csv", "物料编码,仓库\n".encode(), ZH_SOURCE, 400, id="header-only-csv"),
    pytest.param(
        "text/csv",
        zh_csv(2).replace("单价".encode(), "颜色".encode()),
        ZH_SOURCE,
        422,
        id="unknown-field",
    ),
    pytest.param("text/csv", zh_csv(2), None, 422, id="no-source"),
    pytest.param("text/csv", zh_csv(2), "no-such-profile", 422, id="unknown-profile"),
    pytest.param("text/csv", zh_csv(2), "../etc", 400, id="profile-path"),
    pytest.param(
        "text/csv",
        zh_csv(2).replace(b",30,", b",thirty,"),
        ZH_SOURCE,
        400,
        id="wrong-type-in-csv",
    ),
    pytest.param("application/json", b"[1, 2]", EN_SOURCE, 400, id="json-not-objects"),
    pytest.param("application/json", b'{"positions": []}', None, 400, id="no-positions"),
    pytest.param("application/json", b"{not json", None, 400, id="bad-json"),
    pytest.param("application/xml", b"<a/>", None, 400, id="wrong-media-type"),
]


@pytest.mark.parametrize(("media", "data", "source", "status"), BAD_INPUTS)
def test_bad_input_is_a_problem_and_stores_nothing(
    node: Node, media: str, data: bytes, source: str | None, status: int
) -> None:
    params = {"source": source} if source else {}
    got = node.client.post(
        SNAPSHOTS,
        content=data,
        params=params,
        headers={**node.auth("operator"), "Content-Type": media},
    )
    assert got.status_code == status, got.text
    assert got.headers["content-type"] == "application/problem+json"
    assert got.json()["status"] == status
    assert got.json()["detail"]
    assert node.count(inventory_snapshots) == 0
    assert node.count(inventory_positions) == 0
    assert _ledger_size(node) == 0


def test_unmapped_fields_come_back_with_proposals(node: Node) -> None:
    got = _post_csv(node, zh_csv(2).replace("单价".encode(), "可用数量".encode()), ZH_SOURCE)
    assert got.status_code == 422
    problem = got.json()
    assert problem["type"].endswith("/inventory-unmapped")
    [issue] = problem["errors"]
    assert issue["loc"] == ["fields", "可用数量"]
    assert "proposed available" in issue["msg"]


def _canonical_with(**changes: object) -> dict[str, Any]:
    doc = canonical(3)
    doc["positions"][1].update(changes)
    return doc


HARD_RULES = [
    pytest.param(
        {"quantities": {"available": -5, "in_transit": 0, "in_inspection": 0}},
        "quantity.non_negative",
        id="negative",
    ),
    pytest.param({"as_of": "2026-11-22 08:00:00"}, "timestamp.format", id="naive-time-no-zone"),
    pytest.param(
        {"quantities": {"available": "12", "in_transit": 0, "in_inspection": 0}},
        "quantity.number",
        id="string-quantity",
    ),
    pytest.param(
        {"quantities": {"available": 1.5, "in_transit": 0, "in_inspection": 0}},
        "node.quantity_integer",
        id="fractional",
    ),
    pytest.param(
        {"quantities": {"available": 1, "in_transit": 0}},
        "required_field",
        id="missing-shared-state",
    ),
    pytest.param({"safety_stock": -1}, "node.safety_stock", id="negative-safety-stock"),
    pytest.param({"sku": 42}, "field.type", id="sku-not-text"),
    pytest.param({"as_of": "2099-01-01T00:00:00Z"}, "timestamp.clock_skew", id="future"),
]


@pytest.mark.parametrize(("change", "rule"), HARD_RULES)
def test_hard_rule_failures_refuse_the_whole_snapshot(
    node: Node, change: dict[str, object], rule: str
) -> None:
    got = node.client.post(SNAPSHOTS, json=_canonical_with(**change), headers=node.auth("operator"))
    assert got.status_code == 422, got.text
    problem = got.json()
    assert problem["type"].endswith("/inventory-rules")
    assert any(e["type"] == rule and e["loc"][:2] == ["positions", 1] for e in problem["errors"])
    if not rule.startswith("node."):
        assert re.search(r"\(scnode-network-default@1\)", problem["errors"][0]["msg"])
    assert node.count(inventory_snapshots) == 0
    assert _ledger_size(node) == 0


def test_naive_time_is_accepted_when_the_zone_is_declared(node: Node) -> None:
    doc = _canonical_with(as_of=recent(8, naive=True))
    doc["zone"] = "+08:00"
    got = node.client.post(SNAPSHOTS, json=doc, headers=node.auth("operator"))
    assert got.status_code == 201, got.text
    first, second = (p["as_of_ms"] for p in got.json()["positions"][:2])
    assert abs(first - second) < 5000  # the same wall time read in the declared zone


def test_oversized_garbage_is_refused(node: Node) -> None:
    garbage = os.urandom(10 * 1024 * 1024)
    for media in ("text/csv", "application/json"):
        got = node.client.post(
            SNAPSHOTS,
            content=garbage,
            params={"source": ZH_SOURCE},
            headers={**node.auth("operator"), "Content-Type": media},
        )
        assert got.status_code == 413, got.text
    small = os.urandom(64 * 1024)
    got = _post_csv(node, small)
    assert got.status_code == 400
    assert node.count(inventory_snapshots) == 0
    assert _ledger_size(node) == 0


def test_warnings_are_recorded_and_cases_clear_when_stock_recovers(node: Node) -> None:
    old = canonical(2)
    stale = datetime.now(UTC) - timedelta(hours=3)  # older than the freshness rule (1 h)
    old["positions"][0]["as_of"] = stale.isoformat()
    old["positions"][1]["quantities"]["available"] = 10  # below its safety stock
    first = node.client.post(SNAPSHOTS, json=old, headers=node.auth("operator")).json()
    assert [f["rule_id"] for f in first["findings"]] == ["freshness.record_age"]
    assert node.count(inventory_findings) == 1
    assert len(first["exceptions"]) == 1
    again = node.client.post(SNAPSHOTS, json=old, headers=node.auth("operator")).json()
    assert again["exceptions"] == []  # the case is still open: not opened twice
    recovered = node.client.post(SNAPSHOTS, json=canonical(2), headers=node.auth("operator")).json()
    assert recovered["exceptions"] == first["exceptions"]
    with node.engine.connect() as conn:
        states = conn.execute(select(inventory_exceptions.c.state)).scalars().all()
    assert states == ["resolved"]
    resolved = list(entry_body(node, recovered["index"])["exceptions"])
    assert [e["kind"] for e in resolved] == ["governance.exception.resolved/v1"]


def test_only_operator_and_admin_publish(node: Node) -> None:
    for who in ("partner_a", "bank", "auditor"):
        got = node.client.post(SNAPSHOTS, json=canonical(1), headers=node.auth(who))
        assert got.status_code == 403
    assert node.client.post(SNAPSHOTS, json=canonical(1)).status_code == 401
    assert node.count(inventory_snapshots) == 0


def test_a_node_without_its_signing_key_stores_nothing(node: Node) -> None:
    (node.home / "keys").rename(node.home / "keys-away")
    got = node.client.post(SNAPSHOTS, json=canonical(2), headers=node.auth("operator"))
    assert got.status_code == 503
    assert got.headers["content-type"] == "application/problem+json"
    assert node.count(inventory_snapshots) == 0
    assert node.count(inventory_positions) == 0
    (node.home / "keys-away").rename(node.home / "keys")
    assert _ledger_size(node) == 0
