"""GS1 EPCIS 2.0 examples (../shared/interop/epcis) → canonical records by disposition."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semantic_mapping import (
    StatusMatcher,
    TransformError,
    epcis_events,
    load_vocabulary,
    transform_epcis,
)
from tests.conftest import shared_path

#: Restated from the alignment table of the vocabulary document (not read from the code).
EXPECTED_BUCKET = {"in_transit": "in_transit", "in_progress": "on_hand"}


@cache
def status() -> StatusMatcher:
    return StatusMatcher(load_vocabulary())


def load(*parts: str) -> object:
    return json.loads(shared_path("interop", "epcis", *parts).read_text("utf-8"))


def valid_documents() -> list[Path]:
    base = shared_path("interop", "epcis")
    files = sorted(base.glob("openepcis-test-resources/JSON/Capture/**/*.json"))
    files += sorted(base.glob("epcis-event-hash-generator/examples/*.jsonld"))
    return [f for f in files if "Invalid" not in f.parts]


def test_every_valid_example_maps_dispositions_to_buckets() -> None:
    documents = valid_documents()
    assert len(documents) >= 12
    records = 0
    for path in documents:
        document = json.loads(path.read_text("utf-8"))
        result = transform_epcis(document, status())
        events = epcis_events(document)
        skipped = {index for index, _ in result.skipped}
        stated = {EXPECTED_BUCKET[e["disposition"]] for e in events if "disposition" in e}
        for index, event in enumerate(events):
            if "disposition" not in event:
                assert index in skipped, (path.name, index)
        for record in result.records:
            assert record.as_of is not None
            assert record.as_of.tzinfo is not None
            (bucket,) = record.quantities
            assert bucket in stated | {"blocked"}, path.name
            assert record.quantities[bucket] > 0
            records += 1
        assert all(reason for _, reason in result.skipped)
    assert records >= 15


def test_object_event_with_epcs_and_quantities() -> None:
    document = load(
        "openepcis-test-resources",
        "JSON",
        "Capture",
        "Documents",
        "ObjectEvent_with_userExtensions.json",
    )
    result = transform_epcis(document, status())
    assert result.skipped == ()
    first, second = result.records
    assert first.sku == "urn:epc:idpat:sgtin:0614141.107346.*"
    assert first.quantities == {EXPECTED_BUCKET["in_transit"]: Decimal(2)}
    assert first.location == "urn:epc:id:sgln:0614141.07346.1234"
    assert first.uom == "EA"
    assert second.sku == "urn:epc:idpat:sgtin:4023333.002000.*"
    assert second.lot == "2019-10-07"
    assert second.quantities == {"in_transit": Decimal(150)}
    assert second.uom == "KGM"
    assert "example:userElement" in first.unmapped
    lineage = {x.source_field: x.concept for x in first.lineage}
    assert lineage == {
        "disposition": "in_transit",
        "eventTime": "timestamp",
        "readPoint": "location",
    }


def test_in_progress_lands_in_on_hand_at_the_business_location() -> None:
    document = load(
        "openepcis-test-resources",
        "JSON",
        "Capture",
        "Documents",
        "AggregationEvent_with_persistentDisposition.json",
    )
    result = transform_epcis(document, status())
    record = result.records[0]
    assert record.quantities == {EXPECTED_BUCKET["in_progress"]: Decimal(10)}
    assert record.location == "urn:epc:id:sgln:9529999.99999.0"
    assert record.attributes["po_number"] == "urn:epcglobal:cbv:bt:9529999999991:XYZ567"


def test_persistent_recalled_blocks_stock_in_transit() -> None:
    document = load("epcis-event-hash-generator", "examples", "persistentDisposition.jsonld")
    result = transform_epcis(document, status())
    (record,) = result.records
    assert record.quantities == {"blocked": Decimal(2)}
    assert "recalled" in record.lineage[0].note
    assert [i for i, _ in result.skipped] == [1]  # the unset event states no disposition


def test_invalid_quantity_is_an_error() -> None:
    document = load(
        "openepcis-test-resources",
        "JSON",
        "Capture",
        "Invalid",
        "ObjectEvent_with_quantity_as_text.json",
    )
    with pytest.raises(TransformError, match="not a number"):
        transform_epcis(document, status())


def test_non_standard_disposition_is_skipped_with_a_reason() -> None:
    document = load(
        "openepcis-test-resources",
        "JSON",
        "Capture",
        "Invalid",
        "ObjectEvent_with_non_standard_disposition.json",
    )
    result = transform_epcis(document, status())
    assert result.records == ()
    assert result.skipped
    assert all(reason for _, reason in result.skipped)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "JSON object"),
        ({"type": "EPCISDocument"}, "epcisBody"),
        ({"epcisBody": {"eventList": [1]}}, "eventList"),
        (
            {"type": "ObjectEvent", "disposition": "in_transit", "epcList": ["x"]},
            "eventTime is missing",
        ),
        (
            {
                "type": "ObjectEvent",
                "disposition": "in_transit",
                "eventTime": "soon",
                "epcList": [],
            },
            "not ISO 8601",
        ),
        (
            {
                "type": "ObjectEvent",
                "disposition": "in_transit",
                "eventTime": "2026-01-01T00:00:00Z",
                "epcList": "urn:x",
            },
            "list of strings",
        ),
    ],
)
def test_malformed_documents(document: object, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        transform_epcis(document, status())


def test_urn_and_web_uri_dispositions_and_digital_link() -> None:
    event = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-01-01T00:00:00+08:00",
        "disposition": "https://ref.gs1.org/cbv/Disp-damaged",
        "epcList": ["https://id.gs1.org/01/09521234543213/21/abc"],
        "quantityList": [
            {"epcClass": "https://id.gs1.org/01/09521234543213/10/LOT7", "quantity": 3}
        ],
    }
    records = transform_epcis(event, status()).records
    assert {(r.sku, r.lot, r.quantities["damaged"]) for r in records} == {
        ("https://id.gs1.org/01/09521234543213", None, Decimal(1)),
        ("https://id.gs1.org/01/09521234543213", "LOT7", Decimal(3)),
    }
    event["disposition"] = "urn:epcglobal:cbv:disp:retail_sold"
    result = transform_epcis(event, status())
    assert result.records == ()
    assert "movement" in result.skipped[0][1]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
_EVENT_KEYS = st.sampled_from(
    ["type", "eventTime", "disposition", "epcList", "quantityList", "bizLocation", "readPoint",
     "action", "persistentDisposition", "bizTransactionList", "childEPCs", "childQuantityList"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(_EVENT_KEYS, _JSON, max_size=8),
    st.sampled_from(["ObjectEvent", "AggregationEvent", "TransformationEvent", "Nope"]),
)
def test_fuzzed_events_give_records_or_the_domain_error(
    event: dict[str, object], kind: str
) -> None:
    event["type"] = kind
    document = {"type": "EPCISDocument", "epcisBody": {"eventList": [event]}}
    try:
        result = transform_epcis(document, status())
    except TransformError:
        return
    for record in result.records:
        assert record.as_of is not None
        assert len(record.quantities) == 1


def test_dispositions_spelled_in_the_xml_examples_map_like_their_bare_words() -> None:
    """The XML documents spell dispositions as URNs (and CURIEs); each lands in the
    bucket of its bare word. Values are picked out of the text; no XML parser needed."""
    import re

    base = shared_path("interop", "epcis")
    seen: set[str] = set()
    for path in sorted(base.rglob("*.xml")):
        if "Invalid" in path.parts:
            continue
        for value in re.findall(
            r"<disposition>\s*([^<\s]+)\s*</disposition>", path.read_text("utf-8")
        ):
            bare = value.rsplit(":", 1)[-1].removeprefix("Disp-")
            assert status().match(value).bucket == status().match(bare).bucket, value
            assert status().match(value).bucket == EXPECTED_BUCKET[bare]
            seen.add(value)
    assert any(v.startswith("urn:epcglobal:cbv:disp:") for v in seen)
