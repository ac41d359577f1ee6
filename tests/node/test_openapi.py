"""The OpenAPI document declares every route's responses, problems included."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.node.helpers import sqlite_url


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # HTTP behaviour only; the storage-backed routes run on every backend elsewhere.
    return sqlite_url(tmp_path)


PROBLEM_REF = "#/components/schemas/Problem"


def test_every_operation_declares_problem_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    operations = [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 10
    for path, method, op in operations:
        responses = op["responses"]
        assert any(code.startswith("2") for code in responses), (path, method)
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                content = response["content"]
                assert "application/json" not in content, (path, method, code)
                if "application/problem+json" in content:
                    schema = content["application/problem+json"]["schema"]
                    assert schema == {"$ref": PROBLEM_REF}, (path, method, code)
                else:  # a protocol's own error body (e.g. tlog-witness 409), declared as such
                    assert all(c.get("schema") for c in content.values()), (path, method, code)
        if path.startswith(("/v1/tokens", "/v1/peers", "/v1/ledger")):  # token or signature
            assert "401" in responses, (path, method)
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in responses, (path, method)


def test_every_schema_reference_resolves(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    refs.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    assert refs
    prefix = "#/components/schemas/"
    for ref in refs:
        assert ref.startswith(prefix), ref
        assert ref[len(prefix) :] in schemas, ref
