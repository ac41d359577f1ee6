"""Profiles: approvals with provenance, value maps, units, round trip through Turtle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from rdflib.namespace import PROV, SKOS

from semantic_mapping import (
    SCN,
    MappingProfile,
    ProfileError,
    Vocabulary,
    load_vocabulary,
    new_profile,
    profile_from_turtle,
    profile_to_turtle,
)

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


@cache
def vocabulary() -> Vocabulary:
    return load_vocabulary()


def sample_profile() -> MappingProfile:
    v = vocabulary()
    profile = new_profile("kingdee-plant-1", base_unit="EA", timezone="+08:00")
    profile = profile.approve_field(
        v, source_field="FMaterialId", concept="sku", approved_by="alice", now=NOW
    )
    profile = profile.approve_field(
        v,
        source_field="库存量(箱)",
        concept="on_hand",
        approved_by="bob",
        now=NOW + timedelta(minutes=5),
        unit="箱",
        relation="closeMatch",
    )
    profile = profile.approve_field(
        v, source_field="税码", concept="none", approved_by="alice", now=NOW
    )
    profile = profile.approve_value(
        v,
        source_field="库存状态",
        source_value="ZP",
        concept="available",
        approved_by="alice",
        now=NOW,
    )
    return profile.set_unit(unit="箱", factor=Decimal(24), now=NOW)


def test_versions_increase_with_each_approval() -> None:
    profile = sample_profile()
    assert profile.version == 5
    assert [m.version for m in profile.fields] == [1, 2, 3]
    mapping = profile.mapping_for("库存量(箱)")
    assert mapping is not None
    assert mapping.concept == "on_hand"
    assert (mapping.relation, mapping.approved_by) == ("closeMatch", "bob")


def test_round_trip_through_turtle() -> None:
    profile = sample_profile()
    text = profile_to_turtle(profile)
    assert profile_from_turtle(text) == profile
    assert profile_from_turtle(text.encode()) == profile


def test_turtle_uses_skos_mapping_properties_with_provenance() -> None:
    graph = Graph()
    graph.parse(data=profile_to_turtle(sample_profile()), format="turtle")
    assert len(list(graph.subject_objects(SKOS.exactMatch))) == 3  # 2 fields + 1 value
    assert (None, SKOS.closeMatch, URIRef(SCN.on_hand)) in graph
    assert {str(o) for o in graph.objects(None, PROV.wasAttributedTo)} == {"alice", "bob"}
    assert len(list(graph.objects(None, PROV.generatedAtTime))) == 4


def test_reapproval_replaces_the_mapping() -> None:
    profile = sample_profile().approve_field(
        vocabulary(), source_field="FMaterialId", concept="item_name", approved_by="carol", now=NOW
    )
    mapping = profile.mapping_for("FMaterialId")
    assert mapping is not None
    assert (mapping.concept, mapping.approved_by, mapping.version) == ("item_name", "carol", 6)
    assert len(profile.fields) == 3


def test_units() -> None:
    profile = sample_profile()
    assert profile.unit_factor("EA") == 1
    assert profile.unit_factor("箱") == 24
    assert profile.unit_factor("kg") is None


def _field(**changes: object) -> None:
    args: dict[str, object] = {
        "source_field": "x",
        "concept": "sku",
        "approved_by": "a",
        "now": NOW,
    }
    args.update(changes)
    sample_profile().approve_field(vocabulary(), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"concept": "nope"}, "unknown concept"),
        ({"approved_by": ""}, "approver"),
        ({"now": datetime(2026, 1, 1)}, "time zone"),
        ({"relation": "sameAs"}, "relation"),
    ],
)
def test_bad_field_approvals_are_rejected(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        _field(**changes)


def test_bad_value_maps_and_units_are_rejected() -> None:
    profile = sample_profile()
    with pytest.raises(ProfileError, match="bucket"):
        profile.approve_value(
            vocabulary(),
            source_field="s",
            source_value="v",
            concept="sku",
            approved_by="a",
            now=NOW,
        )
    for factor in (Decimal(0), Decimal(-2), Decimal("NaN")):
        with pytest.raises(ProfileError, match="positive"):
            profile.set_unit(unit="DZN", factor=factor, now=NOW)


@pytest.mark.parametrize(
    ("source", "tz"), [("bad name!", "Z"), ("", "Z"), ("ok", "+8"), ("ok", "UTC")]
)
def test_bad_profile_headers(source: str, tz: str) -> None:
    with pytest.raises(ProfileError):
        new_profile(source, timezone=tz)


def _tampered(old: str, new: str) -> str:
    text = profile_to_turtle(sample_profile())
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not turtle <<<", "not valid Turtle"),
        ("", "expected one"),
        (b"\xff\xfe\x00", "not UTF-8"),
        ("x" * (16 * 1024 * 1024 + 1), "16 MiB"),
    ],
)
def test_unparseable_profiles(text: str | bytes, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        profile_from_turtle(text)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("skos:closeMatch", "skos:related", "exactly one SKOS mapping relation"),
        ("scn:on_hand", "<https://example.org/on_hand>", "not a scnode concept"),
        ('"bob"', '"bob", "mallory"', "exactly one literal"),
        ("2026-11-22T04:05:00+00:00", "2026-11-22T04:05:00", "time zone"),
        ("2026-11-22T04:05:00+00:00", "yesterday", "malformed"),
        ("scn:factor 24.0", "scn:factor -1.0", "positive"),
        ("scn:factor 24.0", 'scn:factor "lots"', "malformed"),
    ],
)
def test_tampered_profiles_are_rejected(old: str, new: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        profile_from_turtle(_tampered(old, new))


def test_time_zone_offsets_survive() -> None:
    later = datetime(2026, 11, 22, 12, 0, tzinfo=timezone(timedelta(hours=8)))
    profile = new_profile("s").approve_field(
        vocabulary(), source_field="a", concept="sku", approved_by="a", now=later
    )
    again = profile_from_turtle(profile_to_turtle(profile))
    assert again.fields[0].approved_at == later
    assert again.fields[0].approved_at.utcoffset() == timedelta(hours=8)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_profiles_parse_or_raise_the_domain_error(data: st.DataObject) -> None:
    text = profile_to_turtle(sample_profile())
    start = data.draw(st.integers(0, len(text) - 1))
    length = data.draw(st.integers(0, 40))
    insert = data.draw(st.text(max_size=10))
    mutated = text[:start] + insert + text[start + length :]
    try:
        profile = profile_from_turtle(mutated)
    except ProfileError:
        return
    assert isinstance(profile, MappingProfile)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_is_not_a_profile(text: str) -> None:
    with pytest.raises(ProfileError):
        profile_from_turtle(text)
