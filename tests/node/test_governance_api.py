"""Governance over the API: rules in force, health figures, exceptions with SLA clocks.

Every test runs a node initialised with ``scnode init`` (so transitions land in its
ledger), on each database backend, with the governance clock under the test's
control; the SLA loop is off and the tests sweep explicitly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from governance import (
    EVENT_ACKNOWLEDGED,
    EVENT_BREACHED,
    EVENT_COMMENTED,
    EVENT_OPENED,
    EVENT_RESOLVED,
    RULE_SET_ENTRY_KIND,
    ExceptionType,
    PeerFacts,
    default_rule_set,
    rule_set_to_dict,
)
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.governance import ledger_kind, wall_clock_ms
from tests.node.test_governance_helpers import (
    HOUR,
    MINUTE,
    START,
    SUPPLIER_A,
    SUPPLIER_B,
    GovNode,
    make_gov_node,
    position,
)


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[GovNode]:
    yield from make_gov_node(database_url, tmp_path)


@pytest.fixture
def client(node: GovNode) -> Iterator[TestClient]:
    with TestClient(node.app, raise_server_exceptions=False) as test_client:
        yield test_client


def _cases(client: TestClient, node: GovNode, who: str, **params: Any) -> list[dict[str, Any]]:
    got = client.get("/v1/governance/exceptions", headers=node.auth(who), params=params)
    assert got.status_code == 200, got.text
    cases: list[dict[str, Any]] = got.json()
    return cases


# -- rules ---------------------------------------------------------------------


def test_default_rules_published_on_first_start(client: TestClient, node: GovNode) -> None:
    got = client.get("/v1/governance/rules", headers=node.auth("a"))
    assert got.status_code == 200, got.text
    body = got.json()
    current = body["current"]
    assert current["ref"] == default_rule_set().ref
    assert current["document"] == rule_set_to_dict(default_rule_set())
    index = current["ledger_index"]
    assert isinstance(index, int)
    assert node.entry_kind(index) == ledger_kind(RULE_SET_ENTRY_KIND)
    assert [h["ref"] for h in body["history"]] == [current["ref"]]
    # a restart publishes nothing twice
    node.service.start()
    assert len(client.get("/v1/governance/rules", headers=node.auth("a")).json()["history"]) == 1


def test_rule_versions_in_force_by_time(client: TestClient, node: GovNode, tmp_path: Path) -> None:
    client.get("/v1/governance/rules", headers=node.auth("admin"))  # first start: v1
    v2 = rule_set_to_dict(default_rule_set())
    v2["version"] = 2
    v2["effective_from"] = START + 24 * HOUR
    v2["sla"]["default"]["respond_within_ms"] = HOUR
    path = tmp_path / "rules-v2.json"
    path.write_text(json.dumps(v2))
    published = CliRunner().invoke(main, ["--home", str(node.home), "rules", "publish", str(path)])
    assert published.exit_code == 0, published.output
    assert "published" in published.output
    again = CliRunner().invoke(main, ["--home", str(node.home), "rules", "publish", str(path)])
    assert "already stored" in again.output

    body = client.get("/v1/governance/rules", headers=node.auth("admin")).json()
    assert [h["version"] for h in body["history"]] == [1, 2]
    for h in body["history"]:
        assert node.entry_kind(h["ledger_index"]) == ledger_kind(RULE_SET_ENTRY_KIND)
    assert body["current"]["version"] == 1  # v2 is not in force yet

    # findings and case deadlines cite the rule set in force when the data came
    findings = node.service.record_inbound(SUPPLIER_A, position(START - MINUTE, drop=("sku",)))
    assert {(f.rule_id, f.rule_version) for f in findings} == {("required_field", 1)}
    node.clock.advance(24 * HOUR)
    assert (
        client.get("/v1/governance/rules", headers=node.auth("a")).json()["current"]["version"] == 2
    )
    findings = node.service.record_inbound(
        SUPPLIER_A, position(node.clock.now - MINUTE, drop=("sku",))
    )
    assert {(f.rule_id, f.rule_version) for f in findings} == {("required_field", 2)}
    node.service.sweep()
    (case,) = _cases(client, node, "admin", type="missing_fields")
    assert case["rule_set"] == f"{default_rule_set().id}@2"
    assert case["respond_by"] == case["opened_at"] + HOUR


def test_conflicting_rule_set_refused(node: GovNode, tmp_path: Path) -> None:
    node.service.start()
    other = rule_set_to_dict(default_rule_set())
    other["thresholds"]["latency_ms"] = 1  # same id and version, other content
    path = tmp_path / "conflict.json"
    path.write_text(json.dumps(other))
    out = CliRunner().invoke(main, ["--home", str(node.home), "rules", "publish", str(path)])
    assert out.exit_code == 1
    assert "already in force with other content" in out.output
    path.write_text('{"format": "scnode-governance-rules/v1"')
    out = CliRunner().invoke(main, ["--home", str(node.home), "rules", "publish", str(path)])
    assert out.exit_code == 1
    assert "Traceback" not in out.output
    out = CliRunner().invoke(main, ["--home", str(node.home), "rules", "publish", "/nonexistent"])
    assert out.exit_code == 1
    assert "cannot read" in out.output


# -- health figures ------------------------------------------------------------------


def test_health_figures_match_hand_computation(client: TestClient, node: GovNode) -> None:
    t = node.clock.now
    # latencies 50, 100, 200 ms (exact below 256 ms) and 20 min (late: above 15 min)
    for lag in (50, 100, 200):
        node.service.record_inbound(SUPPLIER_A, position(t - lag), received_at=t)
    node.service.record_inbound(
        SUPPLIER_A, position(t - 20 * MINUTE, drop=("quantities.in_transit",)), received_at=t
    )
    node.service.record_mapping(SUPPLIER_A, mapped=9, total=12, mapping_profile="erp@3")
    node.service.record_checkpoint(SUPPLIER_A, witnesses=3)
    got = client.get(f"/v1/governance/health/{SUPPLIER_A}?window=hour", headers=node.auth("admin"))
    assert got.status_code == 200, got.text
    (row,) = got.json()["partners"]
    assert list(row["windows"]) == ["hour"]
    w = row["windows"]["hour"]
    assert w["records"] == 4
    assert w["latency_samples"] == 4
    assert w["latency_p50_ms"] == 100  # nearest rank ceil(4 * 0.50) = 2nd of 50,100,200,1.2M
    assert w["latency_p95_ms"] == 20 * MINUTE  # rank 4: the maximum, reported exactly
    assert w["latency_max_ms"] == 20 * MINUTE
    assert w["latency_mean_ms"] == (50 + 100 + 200 + 20 * MINUTE) / 4
    assert w["latency_rate"] == 1 / 4
    assert w["late_records"] == 1
    assert w["missing_field_rate"] == 1 / (4 * 6)  # six required fields per record
    assert w["missing_by_field"] == {"quantities.in_transit": 1 / 4}
    assert w["rule_violation_rate"] == 1 / 4
    assert w["mapping_coverage"] == 9 / 12
    assert w["checkpoints"] == 1
    assert w["lineage"]["mapping_profiles"] == ["erp@3"]
    assert row["feed_age_ms"] == 50  # newest as-of is t − 50
    assert row["stale"] is False
    assert row["witnesses"] == 3
    assert row["checkpoint_age_ms"] == 0
    # every window holds the same four records; a later query moves only the ages
    node.clock.advance(2 * HOUR)
    everything = client.get("/v1/governance/health", headers=node.auth("admin")).json()
    (row,) = [p for p in everything["partners"] if p["partner"] == SUPPLIER_A]
    assert row["windows"]["hour"]["records"] == 0
    assert row["windows"]["day"]["records"] == 4
    assert row["windows"]["30d"]["latency_p50_ms"] == 100
    assert row["feed_age_ms"] == 2 * HOUR + 50
    assert row["stale"] is True


def test_metrics_survive_a_restart(node: GovNode, database_url: str, tmp_path: Path) -> None:
    from node.app import create_app
    from node.governance import governance_service
    from node.settings import load_settings

    t = node.clock.now
    for lag in (10, 20, 30):
        node.service.record_inbound(SUPPLIER_B, position(t - lag), received_at=t)
    other = create_app(load_settings(home=node.home))  # another worker or a restart
    service = governance_service(other)
    service.clock = node.clock
    with TestClient(other) as second:
        got = second.get(f"/v1/governance/health/{SUPPLIER_B}", headers=node.auth("admin"))
        w = got.json()["partners"][0]["windows"]["day"]
        assert (w["records"], w["latency_p50_ms"], w["latency_max_ms"]) == (3, 20, 30)
        # a record taken by the first app is seen by the second without a restart
        node.service.record_inbound(SUPPLIER_B, position(t - 40), received_at=t + 1)
        got = second.get(f"/v1/governance/health/{SUPPLIER_B}", headers=node.auth("admin"))
        assert got.json()["partners"][0]["windows"]["day"]["records"] == 4


# -- exceptions of every type ------------------------------------------------------


def _despatch(shipped: int) -> dict[str, Any]:
    return {
        "despatch_number": "DESADV-7",
        "po_number": "PO-1",
        "shipped_at": START - 26 * HOUR,
        "expected_arrival": START - 2 * HOUR,
        "lines": [{"sku": "MOD-1", "lot": "L1", "quantity_shipped": shipped}],
    }


def _receipt(received: int, at: int) -> dict[str, Any]:
    return {
        "receipt_number": "GR-9",
        "despatch_number": "DESADV-7",
        "po_number": "PO-1",
        "received_at": at,
        "lines": [{"sku": "MOD-1", "lot": "L1", "quantity_received": received}],
    }


def _stale_checkpoint(n: GovNode, p: str) -> None:
    n.service.record_inbound(p, position(n.clock.now - MINUTE))
    n.service.record_checkpoint(p, witnesses=3)
    n.clock.advance(90 * MINUTE)
    n.service.record_inbound(p, position(n.clock.now - MINUTE))


SCENARIOS: dict[ExceptionType, Callable[[GovNode, str], object]] = {
    ExceptionType.STALE_FEED: lambda n, p: n.service.record_inbound(
        p, position(n.clock.now - 2 * HOUR)
    ),
    ExceptionType.MISSING_FIELDS: lambda n, p: n.service.record_inbound(
        p, position(n.clock.now - MINUTE, drop=("quantities.in_transit",))
    ),
    ExceptionType.RULE_VIOLATION: lambda n, p: n.service.record_inbound(
        p, position(n.clock.now - MINUTE, available=-5)
    ),
    ExceptionType.CLOCK_SKEW: lambda n, p: n.service.record_inbound(
        p, position(n.clock.now + 10 * MINUTE)
    ),
    ExceptionType.RECEIPT_MISMATCH: lambda n, p: n.service.record_receipt(
        p, _despatch(100), _receipt(90, START - 3 * HOUR)
    ),
    ExceptionType.LATE_DELIVERY: lambda n, p: n.service.record_receipt(
        p, _despatch(100), _receipt(100, START)
    ),
    ExceptionType.CAPACITY_GAP: lambda n, p: n.service.record_capacity(
        p,
        {"lines": [{"sku": "MOD-1", "week": "2027-W02", "forecast_qty": 500}]},
        {"lines": [{"sku": "MOD-1", "week": "2027-W02", "capacity_qty": 400}]},
    ),
    ExceptionType.BELOW_SAFETY_STOCK: lambda n, p: n.service.record_facts(
        PeerFacts(p, safety_stock={"MOD-1@WH1": "below", "MOD-2@WH1": "at_or_above"})
    ),
    ExceptionType.FAILED_PROOF: lambda n, p: n.service.record_facts(
        PeerFacts(p, failed_proofs=("42",))
    ),
    ExceptionType.SPLIT_VIEW: lambda n, p: n.service.record_facts(
        PeerFacts(p, split_views=("checkpoint-17/checkpoint-17b",))
    ),
    ExceptionType.STALE_CHECKPOINT: _stale_checkpoint,
    ExceptionType.LOW_WITNESSES: lambda n, p: n.service.record_checkpoint(p, witnesses=1),
}


def test_every_exception_type_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(ExceptionType)


def test_every_exception_type_opens_breaches_and_resolves(
    client: TestClient, node: GovNode
) -> None:
    # one node, one partner per type (one node set-up instead of twelve)
    for kind in ExceptionType:
        partner = kind.value.replace("_", "-") + ".example"
        with node.engine.begin() as conn:
            token = create_token(conn, role=Role.PARTNER, name=partner).token
        node.tokens[partner] = token
        _lifecycle(kind, partner, client, node)


def _lifecycle(kind: ExceptionType, partner: str, client: TestClient, node: GovNode) -> None:
    SCENARIOS[kind](node, partner)
    node.service.sweep()
    (case,) = _cases(client, node, partner, type=kind.value)
    assert case["assignee"] == partner
    assert case["raised_by"] == "core.example"
    assert case["state"] == "open"
    assert case["sla_state"] == "running"
    sla = default_rule_set().sla_for(kind.value)
    assert case["respond_by"] == case["opened_at"] + sla.respond_within_ms, kind
    case_id = case["id"]

    # nothing breaches a minute before the deadline, then the deadline passes
    node.clock.now = case["respond_by"] - MINUTE
    assert case_id not in node.service.flag_breaches(), kind
    node.clock.now = case["respond_by"] + 1
    assert case_id in node.service.flag_breaches(), kind
    assert node.service.flag_breaches() == ()  # flagged once
    seen = client.get(f"/v1/governance/exceptions/{case_id}", headers=node.auth(partner)).json()
    assert seen["sla_state"] == "breached"
    assert seen["breached_at"] == case["respond_by"] + 1
    breached = [c for c in _cases(client, node, partner) if c["breached_at"] is not None]
    assert case_id in {c["id"] for c in breached}
    health = client.get(f"/v1/governance/health/{partner}", headers=node.auth("admin"))
    assert health.json()["partners"][0]["sla_breaches"] == len(breached)

    acked = client.post(
        f"/v1/governance/exceptions/{case_id}/ack",
        headers=node.auth(partner),
        json={"text": "on it"},
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "acknowledged"
    node.clock.advance(MINUTE)
    commented = client.post(
        f"/v1/governance/exceptions/{case_id}/comment",
        headers=node.auth("operator"),
        json={"text": "please send the corrected export"},
    )
    assert commented.status_code == 200, commented.text
    resolved = client.post(
        f"/v1/governance/exceptions/{case_id}/resolve",
        headers=node.auth("admin"),
        json={"text": "fixed upstream"},
    )
    assert resolved.status_code == 200, resolved.text
    done = resolved.json()
    assert done["state"] == "resolved"
    assert done["resolved_by"] == "core.example"
    assert [c["author"] for c in done["comments"]] == [partner, "core.example"]
    kinds = [e["kind"] for e in done["events"]]
    assert kinds == [
        EVENT_OPENED,
        EVENT_BREACHED,
        EVENT_ACKNOWLEDGED,
        EVENT_COMMENTED,
        EVENT_RESOLVED,
    ], kind
    for event in done["events"]:
        assert node.entry_kind(event["ledger_index"]) == ledger_kind(event["kind"])
    # resolved cases leave the open list but stay in the partner's record
    assert _cases(client, node, partner, type=kind.value, state="open") == []
    health = client.get(f"/v1/governance/health/{partner}", headers=node.auth("admin"))
    assert health.json()["partners"][0]["sla_breaches"] == len(breached)


def test_ledger_holds_no_plaintext_of_cases(client: TestClient, node: GovNode) -> None:
    SCENARIOS[ExceptionType.RECEIPT_MISMATCH](node, SUPPLIER_A)
    (case,) = _cases(client, node, "admin", type="receipt_mismatch")
    client.post(
        f"/v1/governance/exceptions/{case['id']}/comment",
        headers=node.auth("a"),
        json={"text": "we counted 90 units of MOD-1"},
    )
    store = node.store()
    leaves = b"".join(e.leaf or b"" for e in store.entries(0, store.size()))
    assert b"we counted 90" not in leaves
    assert b"received 90" not in leaves
    assert b"sha256:" in leaves


def test_sweep_clears_conditions_that_went_away(client: TestClient, node: GovNode) -> None:
    node.service.record_checkpoint(SUPPLIER_A, witnesses=1)
    node.service.sweep()
    (case,) = _cases(client, node, "admin", type="low_witnesses")
    node.clock.advance(MINUTE)
    node.service.record_checkpoint(SUPPLIER_A, witnesses=2)
    result = node.service.sweep()
    assert case["id"] in result.cleared
    got = client.get(f"/v1/governance/exceptions/{case['id']}", headers=node.auth("admin"))
    assert got.json()["state"] == "resolved"
    assert got.json()["sla_state"] == "met"
    # a sweep with nothing new opens nothing twice
    node.service.record_checkpoint(SUPPLIER_A, witnesses=1)
    first = node.service.sweep()
    assert len(first.opened) == 1
    assert node.service.sweep().opened == ()


# -- who sees what ---------------------------------------------------------------------


def test_partner_sees_only_its_own(client: TestClient, node: GovNode) -> None:
    SCENARIOS[ExceptionType.LOW_WITNESSES](node, SUPPLIER_A)
    node.service.record_checkpoint(SUPPLIER_B, witnesses=0)
    node.service.sweep()
    (mine,) = _cases(client, node, "a", type="low_witnesses")
    (theirs,) = _cases(client, node, "b", type="low_witnesses")
    assert mine["assignee"] == SUPPLIER_A
    assert theirs["assignee"] == SUPPLIER_B
    assert len(_cases(client, node, "admin", type="low_witnesses")) == 2
    b = node.auth("b")
    assert client.get(f"/v1/governance/exceptions/{mine['id']}", headers=b).status_code == 404
    for action in ("ack", "comment", "resolve"):
        r = client.post(
            f"/v1/governance/exceptions/{mine['id']}/{action}", headers=b, json={"text": "x"}
        )
        assert r.status_code == 404, (action, r.text)
    assert client.get(f"/v1/governance/health/{SUPPLIER_A}", headers=b).status_code == 404
    rows = client.get("/v1/governance/health", headers=b).json()["partners"]
    assert [r["partner"] for r in rows] == [SUPPLIER_B]
    dash = client.get("/v1/governance/dashboard", headers=b).json()
    assert [r["partner"] for r in dash["rows"]] == [SUPPLIER_B]
    lineage = client.get(
        "/v1/governance/lineage",
        headers=b,
        params={"partner": SUPPLIER_A, "start": 0, "end": node.clock.now},
    )
    assert lineage.status_code == 404
    # the node's staff cannot acknowledge for the partner: only the assignee can
    r = client.post(f"/v1/governance/exceptions/{mine['id']}/ack", headers=node.auth("admin"))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


def test_bad_input_gets_problems(client: TestClient, node: GovNode) -> None:
    admin = node.auth("admin")
    SCENARIOS[ExceptionType.LOW_WITNESSES](node, SUPPLIER_A)
    node.service.sweep()
    (case,) = _cases(client, node, "admin", type="low_witnesses")
    url = f"/v1/governance/exceptions/{case['id']}"
    checks: list[tuple[str, str, dict[str, str], Any, int]] = [
        ("get", "/v1/governance/health", {}, None, 401),
        ("get", "/v1/governance/health", node.auth("bank"), None, 403),
        ("get", "/v1/governance/exceptions", node.auth("bank"), None, 403),
        ("post", url + "/comment", node.auth("auditor"), {"text": "x"}, 403),
        ("get", "/v1/governance/health?window=week", admin, None, 422),
        ("get", "/v1/governance/dashboard?window=", admin, None, 422),
        ("get", "/v1/governance/exceptions?state=closed", admin, None, 422),
        ("get", "/v1/governance/exceptions?type=flood", admin, None, 422),
        ("get", "/v1/governance/exceptions?limit=0", admin, None, 422),
        ("get", "/v1/governance/exceptions/not-a-case", admin, None, 422),
        ("get", "/v1/governance/exceptions/exc-" + "0" * 32, admin, None, 404),
        ("get", "/v1/governance/health/nobody.example", admin, None, 404),
        ("get", "/v1/governance/lineage?partner=x&start=5&end=1", admin, None, 400),
        ("get", "/v1/governance/lineage?partner=x&start=-1&end=1", admin, None, 422),
        ("post", url + "/comment", admin, {"text": ""}, 422),
        ("post", url + "/comment", admin, {"words": "hi"}, 422),
        ("post", url + "/comment", admin, {"text": "x" * 4001}, 422),
        ("post", url + "/resolve", admin, None, 422),
        ("post", url + "/escalate", admin, {"text": "x"}, 404),
    ]
    for method, path, headers, body, status in checks:
        got = client.request(method, path, headers=headers, json=body)
        assert got.status_code == status, (path, body, got.text)
        assert got.headers["content-type"].startswith("application/problem+json"), path
    a = node.auth("a")
    assert client.post(url + "/ack", headers=a).status_code == 200
    again = client.post(url + "/ack", headers=a)
    assert again.status_code == 409
    assert "already acknowledged" in again.json()["detail"]
    assert client.post(url + "/resolve", headers=a, json={"text": "done"}).status_code == 200
    late = client.post(url + "/comment", headers=admin, json={"text": "after"})
    assert late.status_code == 409


def test_lineage_behind_a_figure(client: TestClient, node: GovNode) -> None:
    t = node.clock.now
    columns = {"sku": "物料编码", "location": "仓库", "available": "可用库存"}
    for i in range(3):
        node.service.record_inbound(
            SUPPLIER_A,
            position(t - 1000, sku=f"MOD-{i}", drop=("quantities.in_transit",) if i == 2 else ()),
            received_at=t,
            record_ref=f"export-5/row-{i}",
            ledger_index=100 + i,
            mapping_profile="erp-u8@4",
            source_fields=columns,
        )
    node.service.sweep()
    dash = client.get("/v1/governance/dashboard?window=day", headers=node.auth("admin")).json()
    (row,) = [r for r in dash["rows"] if r["partner"] == SUPPLIER_A]
    cell = next(c for c in row["cells"] if c["key"] == "latency_p50_ms")
    lin = cell["lineage"]
    assert lin["ledger_entries"] == {"first": 100, "last": 102}
    got = client.get(
        "/v1/governance/lineage",
        headers=node.auth("admin"),
        params={"partner": SUPPLIER_A, "start": lin["start"], "end": lin["end"]},
    ).json()
    assert got["record_count"] == 3
    assert {r["record_ref"] for r in got["records"]} == {f"export-5/row-{i}" for i in range(3)}
    assert got["source_fields"] == columns
    assert got["mapping_profiles"] == ["erp-u8@4"]
    assert got["partner_ledger_entries"] == [100, 101, 102]
    field_cell = next(c for c in row["fields"] if c["key"] == "missing:quantities.in_transit")
    assert field_cell["value"] == 1 / 3
    missing = client.get(
        "/v1/governance/lineage",
        headers=node.auth("admin"),
        params={
            "partner": SUPPLIER_A,
            "start": lin["start"],
            "end": lin["end"],
            "field": "quantities.in_transit",
        },
    ).json()
    assert [r["record_ref"] for r in missing["records"]] == ["export-5/row-2"]
    assert missing["records"][0]["missing"] == ["quantities.in_transit"]
    # the open exceptions cell leads to the cases and their ledger entries
    ex_cell = next(c for c in row["cells"] if c["key"] == "open_exceptions")
    ids = ex_cell["lineage"]["exception_ids"]
    assert ids
    with_cases = client.get(
        "/v1/governance/lineage",
        headers=node.auth("admin"),
        params={"partner": SUPPLIER_A, "start": 0, "end": node.clock.now, "exception": ids},
    ).json()
    assert {e["id"] for e in with_cases["exceptions"]} == set(ids)
    for index in with_cases["exception_ledger_entries"]:
        assert node.entry_kind(index) == ledger_kind(EVENT_OPENED)


def test_cli_exception_commands(client: TestClient, node: GovNode) -> None:
    node.clock.now = wall_clock_ms() - 1000  # the CLI runs on the wall clock
    SCENARIOS[ExceptionType.RECEIPT_MISMATCH](node, SUPPLIER_A)
    (case,) = _cases(client, node, "admin")
    home = ["--home", str(node.home)]
    listed = CliRunner().invoke(main, [*home, "exception", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [c["id"] for c in json.loads(listed.output)] == [case["id"]]
    text = CliRunner().invoke(main, [*home, "exception", "list"])
    assert case["id"] in text.output
    assert "receipt_mismatch" in text.output
    # the CLI is the node: it cannot acknowledge for the partner, but comments and resolves
    ack = CliRunner().invoke(main, [*home, "exception", "ack", case["id"]])
    assert ack.exit_code == 1
    assert "only the assignee" in ack.output
    c = CliRunner().invoke(main, [*home, "exception", "comment", case["id"], "recount please"])
    assert c.exit_code == 0, c.output
    r = CliRunner().invoke(
        main, [*home, "exception", "resolve", case["id"], "credit note issued", "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["state"] == "resolved"
    assert CliRunner().invoke(main, [*home, "exception", "list"]).output.strip() == (
        "no exception cases"
    )
    missing = CliRunner().invoke(main, [*home, "exception", "resolve", "exc-nope", "x"])
    assert missing.exit_code == 1
    assert "no exception case" in missing.output
    shown = CliRunner().invoke(main, [*home, "rules", "show"])
    assert shown.exit_code == 0
    assert "* scnode-network-default@1" in shown.output
