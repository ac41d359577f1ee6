"""Who may read and act on governance, role by role.

admin and operator read every case and act as the node; an auditor reads every
case, read only, without the finding messages that quote document quantities
(only the owner's roles see plaintext quantities); a partner reads and acts on
the cases assigned to it or raised by it; a bank gets none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from governance import ExceptionType
from node.api.routes.governance import may_see_quantities
from node.auth.principal import Principal
from node.auth.roles import Role
from node.governance._views import REDACTED
from tests.node.test_governance_api import SCENARIOS
from tests.node.test_governance_helpers import SUPPLIER_A, SUPPLIER_B, GovNode, make_gov_node

ALL = ("admin", "operator", "auditor", "a", "b", "bank")


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[GovNode]:
    yield from make_gov_node(database_url, tmp_path)


@pytest.fixture
def client(node: GovNode) -> Iterator[TestClient]:
    with TestClient(node.app, raise_server_exceptions=False) as test_client:
        yield test_client


def _cases(node: GovNode, client: TestClient) -> dict[str, dict[str, Any]]:
    """One receipt-mismatch case for supplier A and one low-witnesses case for B."""
    SCENARIOS[ExceptionType.RECEIPT_MISMATCH](node, SUPPLIER_A)
    node.service.record_checkpoint(SUPPLIER_B, witnesses=0)
    node.service.sweep()
    got = client.get("/v1/governance/exceptions", headers=node.auth("admin")).json()
    by = {c["assignee"]: c for c in got if c["type"] in ("receipt_mismatch", "low_witnesses")}
    assert set(by) == {SUPPLIER_A, SUPPLIER_B}
    return by


def _list(client: TestClient, node: GovNode, who: str) -> tuple[int, list[dict[str, Any]]]:
    got = client.get("/v1/governance/exceptions", headers=node.auth(who))
    return got.status_code, got.json() if got.status_code == 200 else []


def test_who_reads_which_cases(client: TestClient, node: GovNode) -> None:
    cases = _cases(node, client)
    a_case, b_case = cases[SUPPLIER_A], cases[SUPPLIER_B]
    seen = {}
    for who in ALL:
        status, listed = _list(client, node, who)
        seen[who] = (status, {c["id"] for c in listed} & {a_case["id"], b_case["id"]})
    both = {a_case["id"], b_case["id"]}
    assert seen == {
        "admin": (200, both),
        "operator": (200, both),
        "auditor": (200, both),
        "a": (200, {a_case["id"]}),
        "b": (200, {b_case["id"]}),
        "bank": (403, set()),
    }
    for who, case, expected in (
        ("auditor", a_case, 200),
        ("auditor", b_case, 200),
        ("a", a_case, 200),
        ("a", b_case, 404),
        ("b", a_case, 404),
        ("bank", a_case, 403),
    ):
        got = client.get(f"/v1/governance/exceptions/{case['id']}", headers=node.auth(who))
        assert got.status_code == expected, (who, got.text)


def test_auditor_reads_without_quantities_and_cannot_act(client: TestClient, node: GovNode) -> None:
    case = _cases(node, client)[SUPPLIER_A]
    url = f"/v1/governance/exceptions/{case['id']}"
    staff = client.get(url, headers=node.auth("admin")).json()
    partner = client.get(url, headers=node.auth("a")).json()
    auditor = client.get(url, headers=node.auth("auditor")).json()
    quoted = [e["message"] for e in staff["evidence"]]
    assert any("received 90" in m for m in quoted)
    assert [e["message"] for e in partner["evidence"]] == quoted  # a party to the documents
    assert [e["message"] for e in auditor["evidence"]] == [REDACTED] * len(quoted)
    assert "90" not in str(auditor["evidence"])
    # everything else of the case is the same
    assert {k: v for k, v in auditor.items() if k != "evidence"} == {
        k: v for k, v in staff.items() if k != "evidence"
    }
    for action in ("ack", "comment", "resolve"):
        got = client.post(f"{url}/{action}", headers=node.auth("auditor"), json={"text": "x"})
        assert got.status_code == 403, (action, got.text)
    after = client.get(url, headers=node.auth("admin")).json()
    assert after["events"] == staff["events"]  # nothing was recorded
    # the other reads an auditor has
    for path in ("/v1/governance/health", "/v1/governance/dashboard", "/v1/governance/rules"):
        assert client.get(path, headers=node.auth("auditor")).status_code == 200
        assert client.get(path, headers=node.auth("bank")).status_code == 403


def test_partner_acts_on_its_own_case_only(client: TestClient, node: GovNode) -> None:
    cases = _cases(node, client)
    mine = f"/v1/governance/exceptions/{cases[SUPPLIER_A]['id']}"
    acked = client.post(f"{mine}/ack", headers=node.auth("a"), json={"text": "on it"})
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "acknowledged"
    other = client.post(f"{mine}/comment", headers=node.auth("b"), json={"text": "x"})
    assert other.status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_quantities_follow_the_owner_roles(role: Role) -> None:
    expected = role in (Role.ADMIN, Role.OPERATOR, Role.PARTNER)
    assert may_see_quantities(Principal(kind="token", id="t", name="x", role=role)) is expected
