"""Forecast → capacity between real nodes over HTTP on loopback, and a tier-N fact.

Phone maker → module maker: demand forecast; module maker → phone maker: capacity
groups, with the open quantities of the phone maker's purchase orders as the
committed orders. Both sides find the gaps, record only hashes on their ledgers, and a
duplicate delivery is stored once; a supplier that is down gets the forecast
when it is back. The fab proves a capacity fact; the module maker forwards it
unchanged; the phone maker verifies it through its API and offline.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger import Entry
from node.finance import ForwardedFact, build_forwarded
from node.planning import Relation, verify_forwarded_fact
from node.witness import client_for
from tests.node.documents_support import peer_id, po, send
from tests.node.test_witness_helpers import Node, network
from tests.plaintext import assert_no_plaintext


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, "phone.example/node", "module.example/node", "fab.example/node")


def _forecast() -> dict[str, Any]:
    return {
        "forecast_id": "FC-2026-W10",
        "customer": "phone.example/node",
        "supplier": "module.example/node",
        "issued_at": "2026-11-20T08:00:00Z",
        "uom": "pcs",
        "lines": [
            {"sku": "MOD-A1", "week": w, "forecast_qty": q}
            for w, q in (("2026-W10", 1000), ("2026-W11", 1000), ("2026-W12", 1000))
        ],
    }


def _capacity() -> dict[str, Any]:
    return {
        "capacity_id": "CAP-2026-W10",
        "supplier": "module.example/node",
        "customer": "phone.example/node",
        "issued_at": "2026-11-20T09:00:00Z",
        "uom": "pcs",
        "groups": [
            {
                "group_id": "smt-line-a",
                "name": "SMT line A",
                "skus": ["MOD-A1"],
                "weeks": [
                    {"week": "2026-W10", "actual": 1200, "maximum": 1500},
                    {"week": "2026-W11", "actual": 700, "maximum": 900},
                    {"week": "2026-W12", "actual": 900, "maximum": 1100},
                ],
            }
        ],
    }


def _post(node: Node, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(node.url + path, json=body, headers=node.auth, timeout=30)


def _planning_bodies(node: Node) -> list[dict[str, Any]]:
    out = []
    for stored in node.store.entries(0, node.store.size()):
        if stored.leaf is not None and stored.kind.startswith("planning."):
            out.append(dict(Entry.from_leaf(stored.leaf).body))
    return out


def test_forecast_and_capacity_exchange(trio: list[Node]) -> None:
    phone, module, _ = trio
    r = _post(
        phone, "/v1/planning/forecasts", {"peer": peer_id(phone, module), "forecast": _forecast()}
    )
    assert r.status_code == 200, r.text
    assert r.json()["delivered"] is True
    # the phone maker's purchase order, due in week 12, commits 950 of the module maker's capacity
    order = po("PO-77", [(1, "MOD-A1", 950)])
    order["lines"][0]["requested_date"] = "2026-03-16T00:00:00Z"  # Monday of 2026-W12
    r = send(phone, module, order)
    assert r.status_code == 201, r.text
    r = _post(
        module, "/v1/planning/capacity", {"peer": peer_id(module, phone), "capacity": _capacity()}
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["delivered"] is True
    assert [(g["kind"], g["week"], g["shortfall"]) for g in answer["gaps"]] == [
        ("demand_above_maximum", "2026-W11", 300),
        ("demand_above_actual", "2026-W12", 100),
        ("capacity_below_committed", "2026-W12", 50),
    ]
    # the customer found the same demand/capacity gaps on its side
    phone_gaps = phone.get("/v1/planning/gaps").json()
    assert [(g["kind"], g["week"]) for g in phone_gaps] == [
        ("demand_above_maximum", "2026-W11"),
        ("demand_above_actual", "2026-W12"),
    ]
    # capacity_gap exception cases are open on both sides, one per capacity group
    # and week with a gap (the planning service's own gaps, not a per-sku comparison)
    for node in (phone, module):
        cases = node.get("/v1/governance/exceptions").json()
        gaps = [c for c in cases if c["type"] == "capacity_gap"]
        assert {c["subject"] for c in gaps} == {
            "capacity:smt-line-a/2026-W11",
            "capacity:smt-line-a/2026-W12",
        }, cases
    # same hashes on both ledgers; no plaintext there
    for node in (phone, module):
        bodies = _planning_bodies(node)
        assert {b["kind"] for b in bodies} == {"forecast", "capacity"}
        assert_no_plaintext(bodies, words=("MOD-A1", "smt-line-a"), numbers=("1000",))
    sent = {m["hash"] for m in phone.get("/v1/planning/messages").json()}
    received = {m["hash"] for m in module.get("/v1/planning/messages").json()}
    assert sent == received
    # a second delivery of the same forecast is recognised
    forecast_msg = next(
        m for m in module.get("/v1/planning/messages").json() if m["kind"] == "forecast"
    )
    with client_for(_peer(phone, module), phone.keys.active) as client:
        again = client.post(
            "/v1/planning/inbox", json={"kind": "forecast", "document": _forecast()}
        )
    assert again.status_code == 200, again.text
    assert again.json() == {"hash": forecast_msg["hash"], "duplicate": True, "gaps": 0}
    # unsigned deliveries are refused
    anonymous = httpx.post(module.url + "/v1/planning/inbox", json={}, timeout=10)
    assert anonymous.status_code == 401


def _peer(node: Node, other: Node) -> Any:
    from node.peers.registry import PeerRegistry

    with node.engine.connect() as conn:
        return PeerRegistry(conn).get(peer_id(node, other))


def test_supplier_down_gets_the_forecast_when_back(trio: list[Node]) -> None:
    phone, module, _ = trio
    module.stop()
    r = _post(
        phone, "/v1/planning/forecasts", {"peer": peer_id(phone, module), "forecast": _forecast()}
    )
    assert r.status_code == 200, r.text
    assert r.json()["delivered"] is False
    module.start()
    r = _post(phone, "/v1/planning/deliver", {})  # (the background loop may have been first)
    assert r.json()["failed"] == {}
    assert [m["kind"] for m in module.get("/v1/planning/messages").json()] == ["forecast"]
    assert [m["delivered"] for m in phone.get("/v1/planning/messages").json()] == [True]


def test_bad_input_is_a_problem(trio: list[Node]) -> None:
    phone, module, _ = trio
    bad = _forecast() | {"lines": [{"sku": "X", "week": "2026-W99", "forecast_qty": 1}]}
    r = _post(phone, "/v1/planning/forecasts", {"peer": peer_id(phone, module), "forecast": bad})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "2026-W99" in r.json()["detail"]


def test_capacity_fact_across_tiers(trio: list[Node]) -> None:
    phone, module, fab = trio
    weeks = [
        {"week": "2026-W10", "capacity": 600, "demand": 1000},
        {"week": "2026-W11", "capacity": 800, "demand": 1000},
        {"week": "2026-W12", "capacity": 1200, "demand": 1000},
    ]
    r = _post(fab, "/v1/planning/facts", {"fact_id": "fab-w10", "sku": "WAF-7NM", "weeks": weeks})
    assert r.status_code == 201, r.text
    created = r.json()
    assert [w["relation"] for w in created["weeks"]] == [
        "capacity_below_demand",
        "capacity_below_demand",
        "capacity_at_least_demand",
    ]
    bundle = fab.get("/v1/planning/facts/fab-w10/bundle").content
    # the module maker forwards the fab's bundle unchanged, in the network's wrapper
    forwarded = build_forwarded(
        bundle,
        [ForwardedFact(created["seq"], created["subject"], "capacity_below_demand")],
        via="module.example/node",
    )
    r = _post(
        phone,
        "/v1/planning/facts/verify",
        {
            "bundle": base64.b64encode(forwarded).decode(),
            "vkeys": [fab.vkey],
            "sku": "WAF-7NM",
            "expect_demand": {"2026-W10": 1000},
        },
    )
    assert r.status_code == 200, r.text
    (fact,) = r.json()
    assert fact["origin"] == "fab.example/node"
    assert [w["relation"] for w in fact["weeks"]][:2] == [Relation.BELOW.value] * 2
    (offline,) = verify_forwarded_fact(forwarded, vkeys=[fab.vkey], sku="WAF-7NM")
    assert offline.fact_id == "fab-w10"
    r = _post(
        phone,
        "/v1/planning/facts/verify",
        {"bundle": base64.b64encode(forwarded).decode(), "vkeys": [module.vkey]},
    )
    assert r.status_code == 422
    entry = fab.store.entry(created["seq"])
    assert entry.leaf is not None
    assert_no_plaintext(entry.leaf, words=("WAF-7NM",), numbers=("1200",))
