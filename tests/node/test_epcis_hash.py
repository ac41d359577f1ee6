"""The CBV 2.0 event hash against the expected pre-hash strings and hash ids shipped
with the reference examples (shared/interop/epcis/epcis-event-hash-generator), plus
invariances the algorithm promises and tamperings it must notice."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.epcis import EpcisError, check_digit, event_hash, prehash, to_digital_link
from tests.conftest import shared_path

EXAMPLES = ("interop", "epcis", "epcis-event-hash-generator", "examples")


def _examples() -> list[tuple[Path, int, dict[str, Any], object, str, str]]:
    out = []
    for path in sorted(shared_path(*EXAMPLES).glob("*.jsonld")):
        document = json.loads(path.read_bytes())
        hashes = path.with_suffix(".hashes").read_text().split()
        prehashes = [x for x in path.with_suffix(".prehashes").read_text().split("\n") if x]
        events = document["epcisBody"]["eventList"]
        assert len(events) == len(hashes) == len(prehashes), path.name
        for i, event in enumerate(events):
            out.append((path, i, event, document["@context"], prehashes[i], hashes[i]))
    return out


def test_every_expected_hash_is_reproduced() -> None:
    cases = _examples()
    assert len(cases) == 19
    for path, i, event, context, expected_pre, expected in cases:
        assert prehash(event, context) == expected_pre, (path.name, i)
        assert event_hash(event, context) == expected, (path.name, i)


def _one() -> tuple[dict[str, Any], object]:
    path = shared_path(*EXAMPLES, "epcisDocWithVariousEventTypes.jsonld")
    document = json.loads(path.read_bytes())
    return document["epcisBody"]["eventList"][0], document["@context"]


def test_representation_does_not_matter() -> None:
    event, context = _one()
    expected = event_hash(event, context)
    shuffled = dict(random.Random(3).sample(list(event.items()), len(event)))
    shuffled["bizTransactionList"] = list(reversed(event["bizTransactionList"]))
    shuffled["bizStep"] = "urn:epcglobal:cbv:bizstep:departing"
    shuffled["eventID"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
    shuffled["recordTime"] = "2030-01-01T00:00:00Z"
    shuffled["eventTime"] = "2019-10-21T10:00:30Z"  # same instant, other offset spelling
    assert event_hash(shuffled, context) == expected
    web = dict(event, bizStep="https://ref.gs1.org/cbv/BizStep-departing")
    assert event_hash(web, context) == expected


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("epcList", 0), "urn:epc:id:sscc:5200001.0111111147"),
        (("eventTime",), "2019-10-21T11:00:30.001+01:00"),
        (("action",), "ADD"),
        (("bizStep",), "arriving"),
        (("readPoint", "id"), "urn:epc:id:sgln:5200001.99901.1"),
        (("bizTransactionList", 0, "type"), "po"),
        (("destinationList", 0, "destination"), "urn:epc:id:sgln:4012345.00012.1"),
    ],
)
def test_any_change_changes_the_hash(path: tuple[Any, ...], value: str) -> None:
    event, context = _one()
    tampered = copy.deepcopy(event)
    target: Any = tampered
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert event_hash(tampered, context) != event_hash(event, context)


def _reference_check_digit(digits: str) -> str:
    """GS1 General Specifications 7.9.1, written out: pad to 17, weights 3,1,3,… from the left."""
    padded = digits.rjust(17, "0")
    weights = [3 if i % 2 == 0 else 1 for i in range(17)]
    total = sum(int(d) * w for d, w in zip(padded, weights, strict=True))
    return str((10 - total % 10) % 10)


@given(st.text(alphabet="0123456789", min_size=7, max_size=17))
def test_check_digit_matches_the_reference(digits: str) -> None:
    assert check_digit(digits) == _reference_check_digit(digits)


def test_digital_link_conversions() -> None:
    # GTIN 10614141073464 and SSCC 106141411234567897 are GS1's own examples
    assert to_digital_link("urn:epc:id:sgtin:0614141.107346.2017") == (
        "https://id.gs1.org/01/10614141073464/21/2017"
    )
    assert to_digital_link("urn:epc:id:sscc:0614141.1234567890") == (
        "https://id.gs1.org/00/106141412345678908"
    )
    assert (
        to_digital_link("urn:epc:id:sgln:0614141.07346.0") == "https://id.gs1.org/414/0614141073467"
    )
    assert to_digital_link("urn:epc:class:lgtin:4012345.012345.998877") == (
        "https://id.gs1.org/01/04012345123456/10/998877"
    )
    assert to_digital_link("urn:epc:idpat:sgtin:4012345.012345.*") == (
        "https://id.gs1.org/01/04012345123456"
    )
    assert (
        to_digital_link("urn:epc:id:pgln:4012345.00000") == "https://id.gs1.org/417/4012345000009"
    )
    assert to_digital_link("https://example.com/shop/01/09506000134352/21/7?x=1") == (
        "https://id.gs1.org/01/09506000134352/21/7"
    )
    assert to_digital_link("urn:scnode:sku:A") == "urn:scnode:sku:A"
    assert to_digital_link("urn:epc:id:sgtin:abc.def.1") == "urn:epc:id:sgtin:abc.def.1"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "ObjectEvent"},
        {"type": "ObjectEvent", "eventTime": "yesterday"},
        {"type": "ObjectEvent", "eventTime": "2020-01-01T00:00:00"},
        {"type": "ObjectEvent", "eventTime": "2020-01-01T00:00:00Z", "epcList": "x"},
        {"type": "ObjectEvent", "eventTime": "2020-01-01T00:00:00Z", "quantityList": [{}]},
        {
            "type": "ObjectEvent",
            "eventTime": "2020-01-01T00:00:00Z",
            "quantityList": [{"epcClass": "urn:x:1", "quantity": "ten"}],
        },
    ],
)
def test_unhashable_events_raise_the_domain_error(event: dict[str, Any]) -> None:
    with pytest.raises(EpcisError):
        event_hash(event)
