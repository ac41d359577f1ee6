"""Rules as data: the default rule set, JSON round trip, canonical bytes, versions."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from governance import (
    BUCKETS,
    DEFAULT_RESPONSE_MS,
    DOCUMENT_TYPES,
    RULE_SET_ENTRY_KIND,
    SHARED_STATES,
    ExceptionType,
    RuleSetError,
    canonical_rule_set_bytes,
    default_rule_set,
    rule_set_digest,
    rule_set_entry,
    rule_set_from_dict,
    rule_set_from_json,
    rule_set_to_dict,
    select_rule_set,
)

# 2026-01-01T00:00:00Z in UTC ms: 20454 days × 86 400 000.
JAN_2026 = 20_454 * 86_400_000


def base() -> dict[str, Any]:
    return rule_set_to_dict(default_rule_set())


def test_default_rule_set_contents() -> None:
    rules = default_rule_set()
    assert rules.ref == "scnode-network-default@1"
    assert rules.effective_from == JAN_2026 == 1_767_225_600_000
    assert {s.id for s in rules.states} == set(BUCKETS)
    names = {s.id: (s.zh, s.en) for s in rules.states}
    assert names["in_transit"] == ("在途", "in transit")
    assert names["in_inspection"] == ("在检", "in inspection")
    assert names["available"] == ("可售", "available stock")
    assert {s.id for s in rules.states if s.shared} == set(SHARED_STATES)
    assert rules.timestamps.display_offset_minutes == 480
    assert set(rules.documents) == set(DOCUMENT_TYPES)
    required = rules.records["inventory_position"].required_fields
    assert {"sku", "location", "as_of"} <= set(required)
    assert {f"quantities.{s}" for s in SHARED_STATES} <= set(required)
    # Default response SLA is two hours; overrides only where the data says so.
    assert DEFAULT_RESPONSE_MS == 7_200_000
    assert rules.sla_for(ExceptionType.STALE_FEED).respond_within_ms == 7_200_000
    assert rules.sla_for(ExceptionType.SPLIT_VIEW).respond_within_ms == 1_800_000
    assert rules.freshness.max_age_for("anyone") == rules.freshness.default_max_age_ms


def test_json_round_trip_and_canonical_bytes() -> None:
    rules = default_rule_set()
    text = json.dumps(rule_set_to_dict(rules), ensure_ascii=False, indent=3)
    again = rule_set_from_json(text.encode())
    assert again == rules
    canonical = canonical_rule_set_bytes(rules)
    assert canonical == rfc8785.dumps(json.loads(text))
    assert canonical_rule_set_bytes(again) == canonical
    assert rule_set_digest(rules) == "sha256:" + hashlib.sha256(canonical).hexdigest()
    assert rule_set_from_json(canonical) == rules


def test_ledger_entry_cites_digest() -> None:
    rules = default_rule_set()
    entry = rule_set_entry(rules)
    assert entry["kind"] == RULE_SET_ENTRY_KIND
    assert entry["body"]["digest"] == rule_set_digest(rules)
    assert rule_set_from_dict(entry["body"]["rule_set"]) == rules
    rfc8785.dumps(entry)  # the whole entry is canonical-JSON encodable


def test_any_change_changes_the_digest() -> None:
    d = base()
    d["thresholds"]["latency_ms"] += 1
    assert rule_set_digest(rule_set_from_dict(d)) != rule_set_digest(default_rule_set())
    d = base()
    d["states"][0]["zh"] = "实物库存"
    assert rule_set_digest(rule_set_from_dict(d)) != rule_set_digest(default_rule_set())


def version(v: int, effective: int, rid: str = "net") -> Any:
    d = base()
    d.update(id=rid, version=v, effective_from=effective)
    return rule_set_from_dict(d)


def test_select_rule_set_by_time_and_version() -> None:
    v1, v2, v3 = version(1, 1000), version(2, 5000), version(3, 5000)
    assert select_rule_set([v1, v2, v3], at=1000) is v1
    assert select_rule_set([v1, v2, v3], at=4999) is v1
    assert select_rule_set([v3, v2, v1], at=5000) is v3
    with pytest.raises(RuleSetError, match="no rule set is in force"):
        select_rule_set([v1, v2], at=999)
    with pytest.raises(RuleSetError, match="compete"):
        select_rule_set([version(2, 5000, "a"), version(2, 5000, "b")], at=6000)


def test_freshness_overrides_per_partner() -> None:
    d = base()
    d["freshness"]["overrides"] = {"fab-1": 86_400_000}
    rules = rule_set_from_dict(d)
    assert rules.freshness.max_age_for("fab-1") == 86_400_000
    assert rules.freshness.max_age_for("module-1") == 3_600_000


def mutate(path: str, value: Any) -> dict[str, Any]:
    d = copy.deepcopy(base())
    parts = path.split(".")
    target: Any = d
    for p in parts[:-1]:
        target = target[int(p)] if isinstance(target, list) else target[p]
    if value is KeyError:
        del target[parts[-1]]
    elif isinstance(target, list):
        target[int(parts[-1])] = value
    else:
        target[parts[-1]] = value
    return d


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("format", "scnode-governance-rules/v0", "format"),
        ("id", "", "must not be empty"),
        ("id", 7, "expected a string"),
        ("version", 0, "at least 1"),
        ("version", "1", "expected an integer"),
        ("version", True, "expected an integer"),
        ("version", 1.0, "expected an integer"),
        ("effective_from", -5, "at least 0"),
        ("effective_from", KeyError, "missing key 'effective_from'"),
        ("surprise", 1, "unknown key"),
        ("states", {}, "expected a list"),
        ("states.0.id", "stock", "not a bucket"),
        ("states.0.zh", "", "must not be empty"),
        ("states.1.shared", False, "shared states"),
        ("states.0.shared", True, "only 在途"),
        ("states.1.shared", "yes", "true or false"),
        ("timestamps.clock_skew_tolerance_ms", -1, "at least 0"),
        ("timestamps.display_offset_minutes", 24 * 60, "±14 hours"),
        ("records.inventory_position.required_fields", "sku", "list of strings"),
        ("records.inventory_position.required_fields", ["sku", "sku"], "twice"),
        ("documents.invoice", {"required_fields": []}, "unknown document type"),
        ("freshness.default_max_age_ms", 0, "at least 1"),
        ("freshness.overrides", {"p": -1}, "at least 1"),
        ("thresholds.missing_field_rate", 1.5, "rate in"),
        ("thresholds.missing_field_rate", float("nan"), "finite"),
        ("thresholds.bands.latency_rate", {"warn": 0.5, "alert": 0.1}, "warn must not exceed"),
        (
            "thresholds.bands.mapping_coverage",
            {"warn": 0.5, "alert": 0.9, "higher_is_worse": False},
            "below alert",
        ),
        ("thresholds.bands.witnesses", KeyError, "bands missing for witnesses"),
        ("thresholds.bands.colour", {"warn": 1, "alert": 2}, "unknown band"),
        ("sla.default.respond_within_ms", 0, "at least 1"),
        ("sla.overrides.meteor_strike", {"respond_within_ms": 1}, "unknown exception type"),
        ("sla.overrides.split_view", {"respond_within_ms": 10, "resolve_within_ms": 5}, "shorter"),
        ("document_tolerances.receipt_quantity", 1.0, "fraction"),
    ],
)
def test_bad_rule_sets_raise_domain_errors(path: str, value: Any, message: str) -> None:
    data = mutate(path, value)
    with pytest.raises(RuleSetError, match=message):
        rule_set_from_dict(data)
    if not (isinstance(value, float) and math.isnan(value)):
        with pytest.raises(RuleSetError, match=message):
            rule_set_from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b"[]", "expected an object"),
        (b'{"format": NaN}', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b" " * (1 << 21), "larger than"),
    ],
)
def test_unparseable_documents(raw: bytes, message: str) -> None:
    with pytest.raises(RuleSetError, match=message):
        rule_set_from_json(raw)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=20,
    )
)
def test_fuzzed_json_values_raise_only_domain_errors(value: Any) -> None:
    try:
        rule_set_from_dict(value)
    except RuleSetError:
        return
    raise AssertionError("garbage was accepted as a rule set")


@given(
    st.sampled_from(["version", "effective_from", "thresholds", "sla", "states", "records"]),
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=5)
    | st.lists(st.integers(), max_size=2),
)
def test_fuzzed_fields_raise_only_domain_errors(key: str, value: Any) -> None:
    d = base()
    d[key] = value
    try:
        rule_set_from_dict(d)
    except RuleSetError:
        return
    assert key in {"version", "effective_from"}
