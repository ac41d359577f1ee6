"""EPCIS over HTTP: a real cycle between two nodes exported as EPCIS 2.0 (valid
under the official schema on both sides) and imported back; refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.epcis import SCHEMA_ENV, event_hash
from tests.conftest import shared_path
from tests.node.documents_support import HTTP, ack, desadv, get, po, recadv, send
from tests.node.test_witness_helpers import Node, network

SCHEMA = (
    "interop",
    "epcis",
    "openepcis-document-validation-service",
    "json-schema",
    "epcis-json-schema.json",
)


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Node]]:
    monkeypatch.delenv(SCHEMA_ENV, raising=False)
    for nodes in network(tmp_path, "buyer.example/node", "supplier.example/node"):
        for node in nodes:
            assert node.app is not None
            node.app.state.epcis_schema_path = shared_path(*SCHEMA)
        yield nodes


def test_cycle_exports_as_valid_epcis_and_imports_back(pair: list[Node]) -> None:
    buyer, supplier = pair
    for author, other, body in (
        (buyer, supplier, po("PO-E", [(1, "SKU-A", 10)])),
        (supplier, buyer, ack("PO-E")),
        (supplier, buyer, desadv("PO-E", "D-E", [(1, "SKU-A", 10)])),
        (buyer, supplier, recadv("PO-E", "D-E", "R-E", [(1, "SKU-A", 7, 2, 1)])),
    ):
        assert send(author, other, body).status_code == 201
    exports = []
    for node in pair:
        response = get(node, "/v1/epcis/export", chain_id="buyer.example/node/PO-E")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/ld+json")
        exports.append(response.json())
    events = [e for d in exports for e in d["epcisBody"]["eventList"]]
    # both sides export the same events (same hash ids)
    ids = [event_hash(e) for e in exports[0]["epcisBody"]["eventList"]]
    assert ids == [event_hash(e) for e in exports[1]["epcisBody"]["eventList"]]
    assert [e["bizStep"] for e in events[:4]] == ["shipping", "receiving", "receiving", "receiving"]
    imported = HTTP.post(
        buyer.url + "/v1/epcis/import", json=exports[1], headers=buyer.auth, timeout=10
    )
    assert imported.status_code == 200, imported.text
    buckets = sorted((b, q) for r in imported.json()["records"] for b, q in r["quantities"].items())
    assert buckets == [
        ("available", "7"),
        ("blocked", "1"),
        ("in_inspection", "2"),
        ("in_transit", "10"),
    ]
    assert [e["computed_id"] for e in imported.json()["events"]] == ids
    one = get(buyer, "/v1/epcis/export", document="desadv:D-E")
    assert one.status_code == 200
    assert len(one.json()["epcisBody"]["eventList"]) == 1


def test_refusals(pair: list[Node]) -> None:
    buyer, _ = pair
    bad = json.loads(
        shared_path(
            "interop",
            "epcis",
            "openepcis-test-resources",
            "JSON",
            "Capture",
            "Invalid",
            "ObjectEvent_with_invalid_eventTime_format.json",
        ).read_bytes()
    )
    refused = HTTP.post(buyer.url + "/v1/epcis/import", json=bad, headers=buyer.auth, timeout=10)
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("/epcis")
    assert "date-time" in refused.json()["detail"]
    assert get(buyer, "/v1/epcis/export", chain_id="buyer.example/node/none").status_code == 404
    assert get(buyer, "/v1/epcis/export").status_code == 400
    assert HTTP.get(buyer.url + "/v1/epcis/export", params={"chain_id": "x/y"}).status_code == 401
    assert buyer.app is not None
    buyer.app.state.epcis_schema_path = None
    missing = HTTP.post(buyer.url + "/v1/epcis/import", json=bad, headers=buyer.auth, timeout=10)
    assert missing.status_code == 422
    assert SCHEMA_ENV in missing.json()["detail"]
