"""The parsers behind the node's upload routes, fed mutations of valid uploads over HTTP.

``POST /v1/inventory/snapshots`` (canonical JSON, a partner's JSON export, a CSV
export) and ``POST /v1/documents`` (a purchase order to a peer) receive mutated
versions of valid bodies through the app (``tests/fuzz/conftest.py``). Each
answer is the route's success status or a 4xx RFC 9457 problem, never a 5xx or
a traceback, and a refused request changes no table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.auth.roles import Role
from tests.fuzz.conftest import FuzzNode
from tests.fuzz.domain import DERANDOMIZE, examples
from tests.fuzz.http import assert_clean_refusal
from tests.fuzz.mutations import (
    json_bytes,
    mutated_bytes,
    mutated_csv,
    mutated_json,
)
from tests.node.documents_support import po

EXAMPLES = examples(25)
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
AS_OF = datetime(2026, 11, 20, 8, 0, tzinfo=UTC).isoformat()
CANONICAL: dict[str, Any] = {
    "positions": [
        {
            "sku": "FUZZ-1",
            "location": "DC-01",
            "lot": "L1",
            "as_of": AS_OF,
            "quantities": {"available": 120, "in_transit": 5, "in_inspection": 1},
            "safety_stock": 100,
        }
    ]
}
EXPORT: list[dict[str, Any]] = [
    {"Material": "M-1", "Plant": "P1", "Available Stock": "1,200", "Last Update": AS_OF},
    {"Material": "M-2", "Plant": "P1", "Available Stock": "35", "Last Update": AS_OF},
]
CSV = (
    '物料编码,仓库,在库,更新时间\nM-1,WH01,"1,200",2026-11-20 08:00:00\nM-2,WH01,３５,2026-11-20\n'
)


def _post(node: FuzzNode, path: str, body: bytes, media_type: str) -> Any:
    with TestClient(node.app, raise_server_exceptions=False) as client:
        before = node.row_counts()
        response = client.post(
            path,
            content=body,
            headers={**node.auth(Role.OPERATOR), "Content-Type": media_type},
        )
        return response, before, node.row_counts()


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES, suppress_health_check=FIXTURE_OK)
@given(
    body=mutated_json(CANONICAL, max_edits=3).map(json_bytes) | mutated_bytes(json_bytes(CANONICAL))
)
def test_canonical_snapshot(fuzz_node: FuzzNode, body: bytes) -> None:
    response, before, after = _post(fuzz_node, "/v1/inventory/snapshots", body, "application/json")
    assert_clean_refusal(response, before, after, accepted=(201,))


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES, suppress_health_check=FIXTURE_OK)
@given(
    body=mutated_json(EXPORT, max_edits=3).map(json_bytes), source=st.sampled_from(["sap", None])
)
def test_json_export(fuzz_node: FuzzNode, body: bytes, source: str | None) -> None:
    path = "/v1/inventory/snapshots" + (f"?source={source}" if source else "")
    response, before, after = _post(fuzz_node, path, body, "application/json")
    assert_clean_refusal(response, before, after, accepted=(201,))


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES, suppress_health_check=FIXTURE_OK)
@given(body=mutated_csv(CSV))
def test_csv_export(fuzz_node: FuzzNode, body: bytes) -> None:
    response, before, after = _post(
        fuzz_node, "/v1/inventory/snapshots?source=kingdee", body, "text/csv"
    )
    assert_clean_refusal(response, before, after, accepted=(201,))


@pytest.mark.parametrize(
    "body",
    [
        b"9" * 5000,
        json_bytes(CANONICAL).replace(b'"available": 120', b'"available": ' + b"9" * 5000),
    ],
    ids=["bare-number", "quantity"],
)
def test_snapshot_with_a_huge_number(fuzz_node: FuzzNode, body: bytes) -> None:
    response, before, after = _post(fuzz_node, "/v1/inventory/snapshots", body, "application/json")
    assert_clean_refusal(response, before, after, accepted=())


@pytest.mark.parametrize("case", ["sku", "field-name"])
def test_snapshot_with_a_lone_surrogate(fuzz_node: FuzzNode, case: str) -> None:
    if case == "sku":
        doc: Any = json.loads(json.dumps(CANONICAL))
        doc["positions"][0]["sku"] = "FUZZ-\ud800"
        path = "/v1/inventory/snapshots"
    else:
        doc = [{"Mat\ud800": "M-1", "Qty": "3"}]
        path = "/v1/inventory/snapshots?source=sap"
    body = json.dumps(doc).encode()  # ASCII: the surrogate is an escape, valid JSON
    response, before, after = _post(fuzz_node, path, body, "application/json")
    assert_clean_refusal(response, before, after, accepted=(201,))


def _counterparty(node: FuzzNode) -> str:
    with TestClient(node.app) as client:
        peers = client.get("/v1/peers", headers=node.auth(Role.ADMIN)).json()
    partner = next(p for p in peers if p["role"] == "partner")
    return str(partner["id"])


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES, suppress_health_check=FIXTURE_OK)
@given(data=st.data())
def test_purchase_order(fuzz_node: FuzzNode, data: st.DataObject) -> None:
    valid = {"counterparty": _counterparty(fuzz_node), "document": po("PO-F", [(1, "A", 5)])}
    body = data.draw(
        mutated_json(valid, max_edits=3).map(json_bytes)
        | mutated_bytes(json.dumps(valid).encode()),
        label="body",
    )
    response, before, after = _post(fuzz_node, "/v1/documents", body, "application/json")
    assert_clean_refusal(response, before, after, accepted=(201,))


def test_purchase_order_with_a_lone_surrogate(fuzz_node: FuzzNode) -> None:
    valid = {"counterparty": _counterparty(fuzz_node), "document": po("PO-\ud800", [(1, "A", 5)])}
    body = json.dumps(valid).encode()  # ASCII: the surrogate is an escape, valid JSON
    assert b"\\ud800" in body
    response, before, after = _post(fuzz_node, "/v1/documents", body, "application/json")
    assert_clean_refusal(response, before, after, accepted=())
