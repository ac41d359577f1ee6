"""examples/three_tier end to end: the week ``scnode demo`` runs, on real loopback servers.

Asserts on the outcome the nodes answered: the facts each party saw (verified
zero-knowledge proofs, never a number) and what it was refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from node.cli import main
from node.demo import run_week, summary

NARRATIVE: list[str] = []


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the week (what ``scnode demo`` runs), its summary as JSON."""
    demo = run_week(tmp_path_factory.mktemp("three-tier"), say=NARRATIVE.append)
    try:
        result: dict[str, Any] = json.loads(json.dumps(summary(demo)))
    finally:
        demo.stop()
    return result


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


def _status(outcome: dict[str, Any]) -> dict[str, str]:
    return {s["step"]: s["status"] for s in outcome["steps"]}


def test_every_party_has_a_node_of_its_own(outcome: dict[str, Any]) -> None:
    nodes = outcome["nodes"]
    assert set(nodes) == {"fab", "module", "phone", "bank"}
    assert len({n["url"] for n in nodes.values()}) == 4
    assert all(n["url"].startswith("http://127.0.0.1:") for n in nodes.values())


def test_exports_in_three_vocabularies_publish_and_partners_see_proven_facts(
    outcome: dict[str, Any],
) -> None:
    assert _status(outcome)["publish-and-read-facts"] == "ran"
    assert set(outcome["published"]) == {"fab", "module", "phone"}
    day1 = [f for f in outcome["facts_seen"]["phone"] if f["day"] == "Day 1"]
    assert {(f["owner"], f["sku"], f["fact"]) for f in day1} == {
        ("module", "MOD-CAM-12", "available_at_least_safety_stock"),
        ("module", "MOD-DSP-65", "available_at_least_safety_stock"),
    }
    module_saw = {(f["owner"], f["sku"]) for f in outcome["facts_seen"]["module"]}
    assert module_saw == {("fab", "WAF-7NM-300"), ("fab", "WAF-12NM-300")}
    # the phone maker never sees the fab's items, nor any number
    assert not any(f["owner"] == "fab" for f in outcome["facts_seen"]["phone"])
    seen = _numbers(json.dumps(outcome["saw"]["phone"]))
    assert not seen & {"4200", "1500", "2600", "800", "5200", "3100", "2000"}


def test_what_each_party_could_not_read(outcome: dict[str, Any]) -> None:
    refused = {(r["reader"], r["owner"], r["path"]): r["answer"] for r in outcome["refused"]}
    assert refused[("phone", "module", "/v1/inventory/positions")] == "HTTP 403"
    assert refused[("module", "fab", "/v1/inventory/positions")] == "HTTP 403"
    assert refused[("bank", "module", "/v1/facts")] == "an empty list"
    assert refused[("module", "phone", "/v1/facts")] == "an empty list"


def test_documents_sync_and_the_short_receipt_opens_a_case(outcome: dict[str, Any]) -> None:
    assert _status(outcome)["documents"] == "ran"
    assert outcome["chains"] == {
        "PHN-PO-4711": {"status": "closed", "same_on_both_nodes": True},
        "SZ-PO-0931": {"status": "in_delivery", "same_on_both_nodes": True},
    }
    [case] = outcome["receipt_cases"]
    assert (case["buyer"], case["supplier"], case["type"]) == ("module", "fab", "receipt_mismatch")
    assert case["supplier_sees_it"] is True


def test_the_fab_capacity_drop_reaches_the_phone_maker_as_a_proven_fact(
    outcome: dict[str, Any],
) -> None:
    assert _status(outcome)["capacity-fact-forwarded"] == "ran"
    seen = outcome["capacity"]["seen_by_phone"]
    assert [(s["origin"], s["week"], s["relation"]) for s in seen] == [
        ("fab.example/tw01", "2026-W49", "capacity_below_demand"),
        ("fab.example/tw01", "2026-W50", "capacity_below_demand"),
        ("fab.example/tw01", "2026-W51", "capacity_at_least_demand"),
    ]
    assert outcome["capacity"]["tampered_refused"] is True
    assert outcome["capacity"]["wrong_key_refused"] is True
    assert (
        "the fab's capacity figures: committed, never opened" in outcome["could_not_see"]["phone"]
    )


def test_below_safety_stock_case_acknowledged_and_cleared_within_sla(
    outcome: dict[str, Any],
) -> None:
    assert _status(outcome)["safety-stock-exception"] == "ran"
    case = outcome["safety_case"]
    assert case["assignee"] == "module.example/sz"
    assert case["states"] == ["open", "acknowledged", "resolved"]
    assert case["breached"] is False
    facts = {(f["day"], f["sku"]): f["fact"] for f in outcome["facts_seen"]["phone"]}
    assert facts[("Day 5", "MOD-CAM-12")] == "available_below_safety_stock"
    assert facts[("Day 5", "MOD-DSP-65")] == "available_at_least_safety_stock"
    assert facts[("Day 6", "MOD-CAM-12")] == "available_at_least_safety_stock"
    # the shortfall is visible as a fact, the quantities (900 against 1500) are not
    assert not _numbers(json.dumps(outcome["saw"]["phone"])) & {"900", "1500", "3300"}


def test_one_pledge_verifies_offline_and_a_second_on_the_same_stock_fails(
    outcome: dict[str, Any],
) -> None:
    assert _status(outcome)["pledges"] == "ran"
    pledges = outcome["pledges"]
    assert pledges["first"]["state"] == "active"
    assert pledges["second"]["status"] == 409
    assert pledges["second"]["type"].endswith("pledge-refused")
    financing = outcome["financing"]
    assert financing["ok"] is True
    assert financing["problems"] == []
    assert financing["pledges"] == 1
    assert financing["witnesses"] == 3  # fab, phone maker and bank cosigned the checkpoint
    assert (
        "Witnesses: bank.example/credit, fab.example/tw01, phone.example/core"
        in (financing["report"])
    )
    assert financing["snapshots"] == 3  # day 1, 5 and 6 of the display modules
    assert financing["lowest_ratio_bp"] >= 10_000
    assert "OK: the financing evidence verifies" in financing["report"]


def test_the_run_ends_with_the_dashboard_and_every_step_ran(outcome: dict[str, Any]) -> None:
    assert outcome["dashboard"] == outcome["nodes"]["phone"]["url"] + "/dashboard"
    assert all(s["status"] == "ran" for s in outcome["steps"]), outcome["steps"]


def test_the_narrative_tells_what_each_party_saw_and_could_not_see(
    outcome: dict[str, Any],
) -> None:
    text = "\n".join(NARRATIVE)
    for line in (
        "[phone sees] Day 1: module: available stock of MOD-CAM-12",
        "[phone cannot see] the fab's capacity figures",
        "[bank cannot see]",
        "Financing report",
        "OK: the financing evidence verifies",
        f"phone maker's health dashboard: {outcome['dashboard']}",
    ):
        assert line in text


def test_demo_refuses_a_workdir_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    ran = CliRunner().invoke(main, ["demo", "--json", "--workdir", str(tmp_path)])
    assert ran.exit_code == 1
    assert "is not empty" in ran.output
    assert "Traceback" not in ran.output


def test_the_bank_opens_only_the_granted_bucket_of_the_granted_item(
    outcome: dict[str, Any],
) -> None:
    view = outcome["bank_view"]
    assert view["skus"] == ["MOD-DSP-65"]
    assert view["opened"] == ["available"]
    assert "safety_stock" in view["closed"]
    assert "in_transit" in view["closed"]


def test_the_phone_makers_dashboard_has_a_row_for_its_supplier(outcome: dict[str, Any]) -> None:
    rows = {r["partner"]: r for r in outcome["dashboard_rows"]}
    assert "module.example/sz" in rows
    # the verified facts reached its governance view: none of the two items below
    assert "safety_stock 0/2" in rows["module.example/sz"]["cells"]
