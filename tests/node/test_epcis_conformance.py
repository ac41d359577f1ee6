"""EPCIS 2.0 conformance on the shared documents: every valid example imports, every
invalid one is refused with its reason, dispositions land in the vocabulary's
buckets, and what the node exports validates against the official schema and
imports back into the same buckets."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from node.documents import parse_document
from node.epcis import (
    EpcisError,
    EpcisSchema,
    Position,
    despatch_event,
    epcis_document,
    import_epcis,
    inventory_event,
    load_schema,
    parse_epcis_bytes,
    receipt_events,
)
from semantic_mapping import StatusMatcher, load_vocabulary
from tests.conftest import shared_path

EPCIS = ("interop", "epcis")
SCHEMA = (*EPCIS, "openepcis-document-validation-service", "json-schema", "epcis-json-schema.json")
CAPTURE = (*EPCIS, "openepcis-test-resources")
HASHES = (*EPCIS, "epcis-event-hash-generator", "examples")


@pytest.fixture(scope="module")
def schema() -> EpcisSchema:
    return load_schema(shared_path(*SCHEMA))


@pytest.fixture(scope="module")
def status() -> StatusMatcher:
    return StatusMatcher(load_vocabulary())


def _valid_files() -> list[Path]:
    json_dir = shared_path(*CAPTURE, "JSON", "Capture")
    files = sorted((json_dir / "Documents").glob("*.json")) + sorted(
        (json_dir / "Events").glob("*.json")
    )
    return files + sorted(shared_path(*HASHES).glob("*.jsonld"))


def _invalid_files() -> list[Path]:
    base = shared_path(*CAPTURE)
    return sorted((base / "JSON" / "Capture" / "Invalid").glob("*.json")) + sorted(
        (base / "XML" / "Capture" / "Invalid").glob("*.xml")
    )


def test_the_shared_folder_has_the_expected_cases() -> None:
    assert len(_valid_files()) == 17
    assert len(_invalid_files()) == 22
    assert len(REASONS) == 15


def test_every_valid_example_imports(schema: EpcisSchema, status: StatusMatcher) -> None:
    for path in _valid_files():
        result = import_epcis(parse_epcis_bytes(path.read_bytes()), schema, status)
        assert result.events, path.name
        assert len(result.records) + len(result.skipped) >= 1, path.name
        for record in result.records:
            assert set(record.quantities) <= {
                "on_hand",
                "available",
                "in_transit",
                "in_inspection",
                "reserved",
                "blocked",
                "damaged",
            }


# why each JSON case is invalid, as the refusal must say (XML: not accepted at all)
REASONS = {
    "Combination_of_events_with_missing_mandatory_fields.json": "'eventTimeZoneOffset' is a",
    "Combination_of_multiple_invalid_fields.json": "eventList[4].action: 'CREATE'",
    "Combination_of_non_standard_bizStep_and_disposition.json": (
        "disposition: 'in_transport' is not a 'uri' and not a standard (CBV) value"
    ),
    "EPCISDocument_without_context.json": "$: '@context' is a required property",
    "ObjectEvent_with_ilmd_field_without_namespace.json": "ilmd: 'materialType' is not a 'uri'",
    "ObjectEvent_with_invalid_action.json": "eventList[0].action: 'CREATE'",
    "ObjectEvent_with_invalid_certificationInfo.json": "certificationInfo[0]:",
    "ObjectEvent_with_invalid_eventTime_format.json": "'22-07-2026' is not a 'date-time'",
    "ObjectEvent_with_non_standard_bizStep.json": "eventList[0].bizStep: 'transforming'",
    "ObjectEvent_with_non_standard_bizStep_in_second_event.json": "eventList[1].bizStep",
    "ObjectEvent_with_non_standard_disposition.json": "disposition: 'in_transport'",
    "ObjectEvent_with_quantity_as_text.json": "quantity: 'twenty' is not of type 'number'",
    "ObjectEvent_with_unknown_field_in_quantityList.json": "'weight' was unexpected",
    "ObjectEvent_without_action_and_eventTime.json": "'eventTime' is a required property",
    "ObjectEvent_without_identifier_list.json": "needs epcList or quantityList",
}


def test_every_invalid_example_is_refused_with_a_reason(
    schema: EpcisSchema, status: StatusMatcher
) -> None:
    for path in _invalid_files():
        with pytest.raises(EpcisError) as caught:
            import_epcis(parse_epcis_bytes(path.read_bytes()), schema, status)
        reason = str(caught.value)
        assert reason, path.name
        if path.suffix == ".xml":
            assert "XML is not accepted" in reason
        else:
            assert REASONS[path.name] in reason, (path.name, reason)


def test_dispositions_land_in_buckets(schema: EpcisSchema, status: StatusMatcher) -> None:
    path = shared_path(*HASHES, "persistentDisposition.jsonld")
    result = import_epcis(json.loads(path.read_bytes()), schema, status)
    buckets = {b for r in result.records for b in r.quantities}
    assert "blocked" in buckets  # recalled (persistent) overrides in_transit
    single = import_epcis(
        json.loads(shared_path(*HASHES, "epcisDocWithSingleEvent.jsonld").read_bytes()),
        schema,
        status,
    )
    assert [set(r.quantities) for r in single.records] == [{"in_transit"}]
    assert single.events[0].transactions == (("po", "http://transaction.acme.com/po/12345678"),)


def _cycle() -> tuple[Any, Any]:
    advice = parse_document(
        {
            "type": "despatch_advice",
            "buyer": "buyer.example/node",
            "supplier": "supplier.example/node",
            "po_number": "PO-7",
            "despatch_number": "D-7",
            "po_version": 1,
            "ack_hash": "a" * 64,
            "issued_at": "2026-03-05T08:00:00+08:00",
            "shipped_at": "2026-03-05T08:00:00+08:00",
            "expected_arrival": "2026-03-08T12:00:00Z",
            "lines": [
                {"line": 1, "sku": "SKU A/1", "lot": "L1", "quantity_shipped": 10},
                {"line": 2, "sku": "https://id.gs1.org/01/09506000134352", "quantity_shipped": 4},
            ],
        }
    )
    receipt = parse_document(
        {
            "type": "goods_receipt",
            "buyer": "buyer.example/node",
            "supplier": "supplier.example/node",
            "po_number": "PO-7",
            "despatch_number": "D-7",
            "receipt_number": "R-7",
            "despatch_hash": "b" * 64,
            "issued_at": "2026-03-08T10:00:00Z",
            "received_at": "2026-03-08T10:00:00Z",
            "lines": [
                {
                    "line": 1,
                    "sku": "SKU A/1",
                    "lot": "L1",
                    "quantity_received": 10,
                    "quantity_accepted": 6,
                    "quantity_in_inspection": 3,
                    "quantity_rejected": 1,
                    "reason": "crushed",
                },
                {
                    "line": 2,
                    "sku": "https://id.gs1.org/01/09506000134352",
                    "quantity_received": 4,
                    "quantity_accepted": 4,
                    "quantity_in_inspection": 0,
                    "quantity_rejected": 0,
                },
            ],
        }
    )
    return advice, receipt


def test_export_validates_and_imports_back(schema: EpcisSchema, status: StatusMatcher) -> None:
    advice, receipt = _cycle()
    events = [despatch_event(advice), *receipt_events(receipt)]
    events.append(
        inventory_event(Position("SKU A/1", "reserved", 5, "2026-03-09T00:00:00Z", "WH 1"))
    )
    document = epcis_document(events, created="2026-03-09T00:00:00Z", document_id="urn:uuid:1")
    schema.validate(document)
    result = import_epcis(document, schema, status)
    got = sorted((r.sku, b, int(q)) for r in result.records for b, q in r.quantities.items())
    lot = "urn:scnode:sku:SKU%20A%2F1:lot:L1"
    gtin = "https://id.gs1.org/01/09506000134352"
    assert got == sorted(
        [
            (lot, "in_transit", 10),
            (lot, "available", 6),
            (lot, "in_inspection", 3),
            (lot, "blocked", 1),
            ("urn:scnode:sku:SKU%20A%2F1", "reserved", 5),
            (gtin, "in_transit", 4),
            (gtin, "available", 4),
        ]
    )
    steps = [e["bizStep"] for e in events]
    assert steps == ["shipping", "receiving", "receiving", "receiving", "storing"]
    kinds = {
        t
        for e in events[1:4]
        for t, _ in import_epcis(
            epcis_document([e], created="2026-03-09T00:00:00Z", document_id="urn:uuid:2"),
            schema,
            status,
        )
        .events[0]
        .transactions
    }
    assert kinds == {"po", "desadv", "recadv"}


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("disposition",), "in_transport", "in_transport"),
        (("bizStep",), "transforming", "transforming"),
        (("eventTime",), "05-03-2026", "date-time"),
        (("action",), "CREATE", "CREATE"),
        (("quantityList", 0, "quantity"), "ten", "number"),
        (("quantityList", 0, "uom"), "each", "does not match"),
        (("bizTransactionList", 0, "bizTransaction"), "not a uri", "uri"),
    ],
)
def test_tampered_exports_are_refused(
    schema: EpcisSchema, status: StatusMatcher, path: tuple[Any, ...], value: str, needle: str
) -> None:
    advice, _ = _cycle()
    event = despatch_event(advice)
    tampered = copy.deepcopy(event)
    target: Any = tampered
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    document = epcis_document([tampered], created="2026-03-09T00:00:00Z", document_id="urn:x:1")
    with pytest.raises(EpcisError, match=needle):
        import_epcis(document, schema, status)


def test_bytes_parser_refuses_garbage() -> None:
    for data in (b"<epcis/>", b"\xff\xfe", b"{", b"[" * 100_000):
        with pytest.raises(EpcisError):
            parse_epcis_bytes(data)


def test_schema_path_errors(tmp_path: Path) -> None:
    with pytest.raises(EpcisError, match="cannot read"):
        load_schema(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    with pytest.raises(EpcisError, match="not a JSON object"):
        load_schema(bad)


def test_imported_events_carry_the_expected_hash_ids(
    schema: EpcisSchema, status: StatusMatcher
) -> None:
    for path in sorted(shared_path(*HASHES).glob("*.jsonld")):
        result = import_epcis(json.loads(path.read_bytes()), schema, status)
        expected = path.with_suffix(".hashes").read_text().split()
        assert [e.computed_id for e in result.events] == expected, path.name
    # a partner's hash-based eventID is compared, not trusted
    event = json.loads(shared_path(*HASHES, "epcisDocWithSingleEvent.jsonld").read_bytes())
    given = import_epcis(event, schema, status).events[0].computed_id
    event["epcisBody"]["eventList"][0]["eventID"] = given
    assert import_epcis(event, schema, status).events[0].id_matches is True
    event["epcisBody"]["eventList"][0]["eventID"] = given.replace(
        given[20], "0" if given[20] != "0" else "1", 1
    )
    assert import_epcis(event, schema, status).events[0].id_matches is False
