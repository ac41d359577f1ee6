"""Every error is an RFC 9457 problem with a 4xx status; nothing leaks."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.node.helpers import sqlite_url


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # HTTP behaviour only; the storage-backed routes run on every backend elsewhere.
    return sqlite_url(tmp_path)


PROBLEM = "application/problem+json"


def _assert_problem(response: object, status: int) -> dict[str, object]:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert str(body["type"]).startswith("https://")
    assert body["title"]
    return dict(body)


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    body = _assert_problem(client.get("/no/such/route"), 404)
    assert body["instance"] == "/no/such/route"


def test_wrong_method_is_405_problem(client: TestClient) -> None:
    _assert_problem(client.put("/healthz"), 405)


def test_validation_error_is_422_problem_without_echo(client: TestClient, tokens: object) -> None:
    from tests.node.conftest import Tokens

    assert isinstance(tokens, Tokens)
    secretish = "x" * 300
    r = client.post(
        "/v1/tokens",
        json={"role": "root", "name": secretish},
        headers={"Authorization": f"Bearer {tokens.admin}"},
    )
    body = _assert_problem(r, 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert {tuple(e["loc"]) for e in errors} == {("body", "role"), ("body", "name")}
    assert secretish not in r.text


def test_malformed_json_is_422_problem(client: TestClient, tokens: object) -> None:
    from tests.node.conftest import Tokens

    assert isinstance(tokens, Tokens)
    r = client.post(
        "/v1/tokens",
        content=b"{not json",
        headers={"Authorization": f"Bearer {tokens.admin}", "Content-Type": "application/json"},
    )
    _assert_problem(r, 422)


DOMAIN_ERRORS = (
    ("ledger.errors", "LedgerError", 400),
    ("ledger.errors", "FormatError", 400),
    ("ledger.errors", "VerificationError", 422),
    ("ledger.errors", "SignatureError", 422),
    ("ledger.errors", "InclusionProofError", 422),
    ("ledger.errors", "ConsistencyProofError", 422),
    ("ledger.errors", "StorageError", 409),
    ("zk", "ProofError", 422),
    ("zk", "EncodingError", 400),
    ("zk", "VerificationError", 422),
    ("zk", "StatementError", 422),
    ("semantic_mapping", "MappingError", 422),
    ("semantic_mapping", "FieldInputError", 400),
    ("semantic_mapping", "TransformError", 422),
    ("semantic_mapping", "ProfileError", 422),
    ("governance", "GovernanceError", 422),
    ("governance", "RuleSetError", 400),
    ("governance", "TimestampError", 400),
    ("governance", "ExceptionTransitionError", 409),
)


def _raiser(exc: Exception) -> Callable[[], None]:
    def raise_it() -> None:
        raise exc

    return raise_it


def test_domain_errors_map_to_4xx(app: FastAPI) -> None:
    """Every package's errors, raised by one route each of one app."""
    import importlib

    expected: dict[str, int] = {}
    for module, name, status in DOMAIN_ERRORS:
        error_type = getattr(importlib.import_module(module), name)
        try:
            exc = error_type("bad thing in input")
        except TypeError:  # needs structured arguments; covered by its package's tests
            continue
        path = f"/raise/{module}/{name}"

        app.add_api_route(path, _raiser(exc), methods=["GET"])
        expected[path] = status
    assert len(expected) >= len(DOMAIN_ERRORS) - 2
    with TestClient(app, raise_server_exceptions=False) as c:
        for path, status in expected.items():
            body = _assert_problem(c.get(path), status)
            assert "bad thing in input" in str(body["detail"]), path


def test_root_mismatch_error_maps_to_422(app: FastAPI) -> None:
    errors = importlib.import_module("ledger.errors")
    cls = getattr(errors, "RootMismatchError", None)
    if cls is None:
        pytest.skip("ledger.errors.RootMismatchError does not exist yet")
    exc = cls(expected=b"\x00" * 32, calculated=b"\x01" * 32)

    @app.get("/raise-root")
    def raise_root() -> None:
        raise exc

    with TestClient(app, raise_server_exceptions=False) as c:
        _assert_problem(c.get("/raise-root"), 422)


def test_unexpected_error_is_bare_500(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 at /etc/secret")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    body = _assert_problem(r, 500)
    assert "detail" not in body
    assert "hunter2" not in r.text
    assert "Traceback" not in r.text


def test_a_detail_echoing_a_lone_surrogate_is_escaped(app: FastAPI) -> None:
    from semantic_mapping import MappingError

    @app.get("/raise-surrogate")
    def raise_surrogate() -> None:
        raise MappingError("unusable field name 'Mat\ud800'")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/raise-surrogate")
    body = _assert_problem(r, 422)
    assert body["detail"] == "unusable field name 'Mat\\ud800'"


def test_a_json_body_with_a_lone_surrogate_is_refused_on_any_route(
    client: TestClient, tokens: object
) -> None:
    from tests.node.conftest import Tokens

    assert isinstance(tokens, Tokens)
    auth = {"Authorization": f"Bearer {tokens.admin}", "Content-Type": "application/json"}
    before = client.get("/v1/tokens", headers=auth).json()
    for body, where in (
        (b'{"role": "operator", "name": "ok", "k\\ud800": 1}', "key"),
        (b'{"role": "operator", "name": "x\\udfff"}', "$.name"),
    ):
        r = client.post("/v1/tokens", content=body, headers=auth)
        problem = _assert_problem(r, 400)
        assert where in str(problem["detail"])
        r.content.decode("utf-8")  # the response is UTF-8 text
    assert client.get("/v1/tokens", headers=auth).json() == before  # nothing stored
    # a surrogate pair (an escaped emoji) and an escaped backslash are text
    for name in (b"smile \\ud83d\\ude00", b"back\\\\ud800slash"):
        r = client.post(
            "/v1/tokens", content=b'{"role": "operator", "name": "' + name + b'"}', headers=auth
        )
        assert r.status_code == 201, r.text


def test_the_text_guard_never_holds_more_than_the_body_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A JSON body past the node's limit is passed on as it streams (the route's body
    reader refuses it with 413), not buffered whole and checked."""
    import asyncio

    from node.api import text_guard

    monkeypatch.setattr(text_guard, "MAX_BODY_BYTES", 100)
    chunk = b'["\\ud800", ' + b"0, " * 20 + b"0]"  # a lone surrogate escape, 72 bytes
    messages = [{"type": "http.request", "body": chunk, "more_body": n < 3} for n in range(4)]
    seen: list[bytes] = []
    sent: list[dict[str, object]] = []

    async def inner(scope: object, receive: object, send: object) -> None:
        assert callable(receive)
        while True:
            message = await receive()
            seen.append(message["body"])
            if not message["more_body"]:
                return

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/x", "headers": [(b"content-type", b"application/json")]}
    asyncio.run(text_guard.JsonTextGuard(inner)(scope, receive, send))  # type: ignore[arg-type]
    assert b"".join(seen) == chunk * 4  # every byte reached the app, in order
    assert sent == []  # the guard answered nothing itself
