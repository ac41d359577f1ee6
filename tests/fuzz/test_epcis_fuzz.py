"""EPCIS 2.0 import, fed structured mutations of valid GS1 documents.

The documents are the shared OpenEPCIS capture examples (valid under the official
JSON schema); each is mutated at the byte level (``parse_epcis_bytes``) and at the
JSON level (``import_epcis``: schema validation, mapping by
``semantic_mapping.transform_epcis``, CBV 2.0 event hashes). The import returns
or raises ``EpcisError`` with a message. Over HTTP (``POST /v1/epcis/import``)
every answer is 200 or a 4xx problem, and no table changes.
"""

from __future__ import annotations

import json
from functools import cache, partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.auth.roles import Role
from node.epcis import (
    EpcisError,
    EpcisSchema,
    event_hash,
    import_epcis,
    load_schema,
    parse_epcis_bytes,
)
from semantic_mapping import StatusMatcher, load_vocabulary
from tests.conftest import shared_path
from tests.fuzz.conftest import FuzzNode
from tests.fuzz.domain import DERANDOMIZE, examples, parses_or_refuses
from tests.fuzz.http import assert_clean_refusal
from tests.fuzz.mutations import json_bytes, mutated_bytes, mutated_json

EXAMPLES = examples(40)
EPCIS = ("interop", "epcis")
SCHEMA = (*EPCIS, "openepcis-document-validation-service", "json-schema", "epcis-json-schema.json")
DOCUMENTS = (*EPCIS, "openepcis-test-resources", "JSON", "Capture", "Documents")
NAMES = (
    "Combination_of_different_event.json",
    "AggregationEvent_with_persistentDisposition.json",
    "TransactionEvent_all_possible_fields.json",
)


@cache
def _schema(path: Path) -> EpcisSchema:
    return load_schema(path)


@cache
def _status() -> StatusMatcher:
    return StatusMatcher(load_vocabulary())


@pytest.fixture(scope="module")
def schema() -> EpcisSchema:
    return _schema(shared_path(*SCHEMA))


@pytest.fixture(scope="module")
def documents() -> list[bytes]:
    return [shared_path(*DOCUMENTS, name).read_bytes() for name in NAMES]


def _import(data: bytes, schema: EpcisSchema) -> None:
    import_epcis(parse_epcis_bytes(data), schema, _status())


def test_the_documents_import(schema: EpcisSchema, documents: list[bytes]) -> None:
    for data in documents:
        assert import_epcis(parse_epcis_bytes(data), schema, _status()).events


@settings(
    derandomize=DERANDOMIZE,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_document_bytes(schema: EpcisSchema, documents: list[bytes], data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(documents))
    mutated = data.draw(mutated_bytes(original))
    parses_or_refuses(lambda: _import(mutated, schema), EpcisError)


@settings(
    derandomize=DERANDOMIZE,
    max_examples=EXAMPLES * 2,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_document_structure(
    schema: EpcisSchema, documents: list[bytes], data: st.DataObject
) -> None:
    original = json.loads(data.draw(st.sampled_from(documents)))
    mutated: Any = data.draw(mutated_json(original, max_edits=3))
    parses_or_refuses(lambda: import_epcis(mutated, schema, _status()), EpcisError)


@settings(
    derandomize=DERANDOMIZE,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_import_over_http(
    fuzz_node: FuzzNode, schema: EpcisSchema, documents: list[bytes], data: st.DataObject
) -> None:
    del schema  # loaded (or the test skipped) before the app is pointed at it
    original = data.draw(st.sampled_from(documents))
    body = data.draw(mutated_bytes(original) | mutated_json(json.loads(original)).map(json_bytes))
    app = fuzz_node.app
    app.state.epcis_schema_path = shared_path(*SCHEMA)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            before = fuzz_node.row_counts()
            response = client.post(
                "/v1/epcis/import",
                content=body,
                headers={**fuzz_node.auth(Role.OPERATOR), "Content-Type": "application/json"},
            )
            assert_clean_refusal(response, before, fuzz_node.row_counts(), accepted=(200,))
    finally:
        app.state.epcis_schema_path = None


def test_found_a_persistent_disposition_that_is_not_a_string() -> None:
    """Found by test_document_structure: the event hash raised AttributeError (and the
    import route answered 500) on a persistentDisposition ``set`` item that is a list."""
    for item in (["in_progress"], None, 7):
        event = {
            "type": "ObjectEvent",
            "eventTime": "2026-11-20T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "persistentDisposition": {"set": [item]},
        }
        assert parses_or_refuses(partial(event_hash, event), EpcisError)
