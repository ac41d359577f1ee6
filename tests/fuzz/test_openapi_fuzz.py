"""Property-based fuzzing of every operation in the node's OpenAPI document.

schemathesis reads ``/openapi.json`` from the app (built by ``create_app`` on a
fresh SQLite database, see ``conftest.py``) and, for each operation, generates
requests that follow the schema and requests that break it (both generation
modes), sends them in-process and checks every response:

- no 5xx (``not_a_server_error``);
- the status code, content type and body are the ones the document declares
  (``status_code_conformance``, ``content_type_conformance``,
  ``response_schema_conformance``);
- every error is an RFC 9457 problem (``application/problem+json`` with its
  ``status`` equal to the HTTP status) and no body carries a Python traceback.

It runs once with an admin token (everything is allowed, so the handlers see the
generated input) and once with a partner token (most operations are forbidden:
the refusal itself must be a clean 401/403 problem). After the run the package
fixture re-verifies the whole ledger with ``scnode ledger verify``.

``SCNODE_FUZZ_EXAMPLES`` sets the examples per operation and run (default 5).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from node.auth.roles import Role
from tests.fuzz.conftest import FuzzNode

EXAMPLES = int(os.environ.get("SCNODE_FUZZ_EXAMPLES", "5"))
PROBLEM = "application/problem+json"
# The document-events stream never ends while it waits for new events; the
# in-process transport keeps what the stream sent before this read deadline and
# the checks run on that (status, content type, the first events).
STREAM_READ_S = 0.3
REQUEST_READ_S = 30.0

schema = schemathesis.pytest.from_fixture("api_schema")


def problems_only(ctx: Any, response: schemathesis.Response, case: schemathesis.Case[Any]) -> None:
    """Errors are RFC 9457 problems; no response body leaks a traceback."""
    del ctx
    assert "Traceback (most recent call last)" not in response.text, case.operation.label
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM, (
        f"{case.operation.label}: {response.status_code} error as {content_type!r}"
    )
    body = json.loads(response.content)
    assert body["status"] == response.status_code, body
    assert isinstance(body["title"], str), body
    assert body["title"], body


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    problems_only,
]

# Requests the fuzzing once found answered with a clean 400 problem that the
# operation's OpenAPI responses did not list; ``test_documented_status`` replays
# each and checks the 400 is now documented (regression tests).
NOT_UTF8 = b"u\xff\n"  # "There was an error parsing the body" (400)
BAD_REQUESTS_400: dict[str, tuple[str, str, bytes | None]] = {
    "GET /v1/ledger/entries": ("GET", "/v1/ledger/entries?start=1&end=0", None),
    "GET /v1/epcis/export": ("GET", "/v1/epcis/export?chain_id=c&document=d", None),
    "GET /v1/governance/lineage": (
        "GET",
        "/v1/governance/lineage?partner=p&start=0&end=9007199254740991",
        None,
    ),
    "POST /v1/tokens": ("POST", "/v1/tokens", NOT_UTF8),
    "POST /v1/disclosure/grants": ("POST", "/v1/disclosure/grants", NOT_UTF8),
    "POST /v1/epcis/import": ("POST", "/v1/epcis/import", NOT_UTF8),
    "POST /v1/governance/exceptions/{case_id}/ack": (
        "POST",
        "/v1/governance/exceptions/x/ack",
        NOT_UTF8,
    ),
    "POST /v1/governance/exceptions/{case_id}/comment": (
        "POST",
        "/v1/governance/exceptions/x/comment",
        NOT_UTF8,
    ),
    "POST /v1/governance/exceptions/{case_id}/resolve": (
        "POST",
        "/v1/governance/exceptions/x/resolve",
        NOT_UTF8,
    ),
    "POST /v1/finance/grants": ("POST", "/v1/finance/grants", NOT_UTF8),
    "POST /v1/finance/pledges": ("POST", "/v1/finance/pledges", NOT_UTF8),
    "POST /v1/finance/pledges/{pledge_id}/cosign": (
        "POST",
        "/v1/finance/pledges/x/cosign",
        NOT_UTF8,
    ),
    "PUT /v1/connectors/erpnext/{source}/webhook": (
        "PUT",
        "/v1/connectors/erpnext/x/webhook",
        NOT_UTF8,
    ),
}


def _checks(case: schemathesis.Case[Any]) -> list[Any]:
    del case  # every operation gets every check
    return CHECKS


def _read_timeout(case: schemathesis.Case[Any]) -> float:
    streaming = case.operation.method.upper() == "GET" and case.operation.path.endswith("/events")
    return STREAM_READ_S if streaming else REQUEST_READ_S


def _call(case: schemathesis.Case[Any], node: FuzzNode, role: Role) -> None:
    """Send ``case`` with ``role``'s token, run the checks; a refused request stores nothing."""
    before = node.row_counts()
    headers = node.auth(role)
    response = case.call(headers=headers, timeout=_read_timeout(case))
    case.validate_response(response, checks=_checks(case), headers=headers)
    if response.status_code >= 400:
        after = node.row_counts()
        changed = {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n}
        assert not changed, (
            f"{case.operation.label} refused ({response.status_code}) yet wrote {changed}"
        )


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_operation_as_admin(case: schemathesis.Case[Any], fuzz_node: FuzzNode) -> None:
    _call(case, fuzz_node, Role.ADMIN)


@schema.parametrize()
@FUZZ
def test_operation_as_partner(case: schemathesis.Case[Any], fuzz_node: FuzzNode) -> None:
    _call(case, fuzz_node, Role.PARTNER)


@pytest.mark.parametrize("label", sorted(BAD_REQUESTS_400))
def test_documented_status(label: str, fuzz_node: FuzzNode) -> None:
    method, url, body = BAD_REQUESTS_400[label]
    client = TestClient(fuzz_node.app, raise_server_exceptions=False)  # no lifespan: one request
    headers = {**fuzz_node.auth(Role.ADMIN), "content-type": "application/json"}
    response = client.request(method, url, content=body, headers=headers)
    assert response.headers["content-type"] == PROBLEM, response.text
    verb, path = label.split(" ", 1)
    documented = fuzz_node.app.openapi()["paths"][path][verb.lower()]["responses"]
    assert str(response.status_code) in documented, (response.status_code, sorted(documented))


def test_every_operation_is_fuzzed(api_schema: OpenApiSchema, fuzz_node: FuzzNode) -> None:
    """The runs above cover the whole document: every operation loads (no schema error)
    and nothing is filtered out."""
    document = fuzz_node.app.openapi()
    expected = {
        f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops
    }
    loaded: set[str] = set()
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # an operation schemathesis cannot load
        loaded.add(result.ok().label)
    assert loaded == expected
    assert len(expected) >= 60  # the node's API, not an empty document
    assert set(BAD_REQUESTS_400) <= expected
