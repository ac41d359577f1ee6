"""semantic_mapping's parsers, fed structured mutations of valid input.

A partner's CSV export (Chinese headers, GB18030 or UTF-8, full-width digits)
read and transformed with its approved profile; one JSON record of an export;
a mapping profile and a vocabulary extension in Turtle; EPCIS events mapped
without the schema in front. Each returns a value or raises ``MappingError``
(one of its subclasses) with a message.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semantic_mapping import (
    MappingError,
    StatusMatcher,
    Transformer,
    add_label,
    extension_from_turtle,
    load_vocabulary,
    profile_from_turtle,
    profile_to_turtle,
    read_csv_records,
    transform_epcis,
)
from tests.conftest import shared_path
from tests.fuzz.domain import DERANDOMIZE, examples, parses_or_refuses
from tests.fuzz.mutations import HOSTILE_VALUES, mutated_bytes, mutated_csv, mutated_json
from tests.semantic_mapping.test_transform import ROW, kingdee_profile, vocabulary

EXAMPLES = examples(80)
NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)

PROFILE = kingdee_profile()
TRANSFORMER = Transformer(vocabulary(), PROFILE)
ROWS = [ROW, {**ROW, "物料编码": "M-101", "可用量": "2,400.5", "更新时间": "2026/11/21 09:30"}]


def _csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


CSV = _csv_text(ROWS)
TURTLE = profile_to_turtle(PROFILE)
EXTENSION = add_label(
    extension_from_turtle(""),
    vocabulary(),
    concept="available",
    label="可销售库存",
    added_by="alice",
    source="kingdee-a",
    now=NOW,
).serialize(format="turtle")


def _read_and_transform(data: bytes) -> None:
    export = read_csv_records(data)
    TRANSFORMER.transform_all(export.rows)


def test_the_valid_inputs_are_valid() -> None:
    assert len(TRANSFORMER.transform_all(read_csv_records(CSV.encode("gb18030")).rows)) == 2
    assert profile_from_turtle(TURTLE).source == PROFILE.source
    assert len(load_vocabulary([extension_from_turtle(EXTENSION)]).concepts) > 0


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_csv(CSV))
def test_csv_export(data: bytes) -> None:
    parses_or_refuses(lambda: _read_and_transform(data), MappingError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_json(ROW, max_edits=3) | st.sampled_from(HOSTILE_VALUES))
def test_json_record(record: Any) -> None:
    parses_or_refuses(lambda: TRANSFORMER.transform(record), MappingError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_bytes(TURTLE.encode()))
def test_profile_turtle(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    parses_or_refuses(lambda: profile_from_turtle(text), MappingError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES // 2)
@given(mutated_bytes(EXTENSION.encode()))
def test_vocabulary_extension(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    parses_or_refuses(lambda: load_vocabulary([extension_from_turtle(text)]), MappingError)


@settings(
    derandomize=DERANDOMIZE, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.data())
def test_epcis_events_without_the_schema(data: st.DataObject) -> None:
    path = shared_path(
        "interop", "epcis", "openepcis-test-resources", "JSON", "Capture", "Documents"
    )
    original = json.loads((path / "Combination_of_different_event.json").read_bytes())
    document = data.draw(mutated_json(original, max_edits=3))
    status = StatusMatcher(vocabulary())
    parses_or_refuses(lambda: transform_epcis(document, status), MappingError)


def test_found_a_record_that_is_not_an_object() -> None:
    """Found by test_json_record: a JSON export's record that is not an object."""
    records: list[Any] = [None, [], "M-100", 7]
    for record in records:
        assert parses_or_refuses(partial(TRANSFORMER.transform, record), MappingError)


def test_found_an_event_type_that_is_not_a_string() -> None:
    """Found by test_epcis_events_without_the_schema: ``"type": [...]`` was a TypeError."""
    status = StatusMatcher(vocabulary())
    kinds: list[Any] = [["ObjectEvent"], {"a": 1}, None]
    for kind in kinds:
        document = {"type": "EPCISDocument", "epcisBody": {"eventList": [{"type": kind}]}}
        assert parses_or_refuses(partial(transform_epcis, document, status), MappingError)
