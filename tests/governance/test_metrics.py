"""Data-quality metrics against hand-computed figures and a brute-force reference."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance import (
    MetricsStateError,
    NetworkMetrics,
    PartnerMetrics,
    PartnerProfile,
    check_record,
    default_rule_set,
    parse_timestamp,
    partner_health,
)
from governance._histogram import EXACT_BELOW, RELATIVE_ERROR, bin_bounds, bin_of, quantile

RULES = default_rule_set()
PARTNER = PartnerProfile("fab-1")
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
# Midnight in UTC+8, the start of a day bucket.
T = parse_timestamp("2026-02-01T00:00:00.000+08:00")
BOUND = RELATIVE_ERROR


def record(as_of: int, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    r: dict[str, Any] = {
        "sku": "WAFER-1",
        "location": "HSINCHU",
        "as_of": as_of,
        "quantities": {"available": 10, "in_transit": 0, "in_inspection": 1},
    }
    for name in drop:
        if name.startswith("quantities."):
            del r["quantities"][name.split(".")[1]]
        else:
            del r[name]
    return r


def feed(m: PartnerMetrics, received_at: int, latency: int, **kw: Any) -> None:
    r = record(received_at - latency, **kw)
    findings = check_record(r, RULES, now=received_at, partner=PARTNER)
    m.observe_record(
        received_at=received_at,
        as_of=r["as_of"],
        findings=findings,
        rules=RULES,
        ledger_index=received_at // 1000 % 100_000,
        mapping_profile="fab-1-erp@3",
    )


LATENCIES = [10 * i for i in range(1, 19)] + [1_200_000, 1_800_000]  # 20 records


def scenario() -> PartnerMetrics:
    m = PartnerMetrics("fab-1")
    at = T + 10 * MIN
    for i, latency in enumerate(LATENCIES):
        drop: tuple[str, ...] = ()
        if i < 4:
            drop = ("quantities.in_transit",)
        if i == 0:
            drop += ("location",)
        feed(m, at + i, latency, drop=drop)
    m.observe_mapping(at=at, mapped=9, total=10, mapping_profile="fab-1-erp@3")
    m.observe_mapping(at=at + 5, mapped=6, total=10)
    m.observe_checkpoint(at=T + 5 * MIN, witnesses=3)
    m.observe_checkpoint(at=T + 8 * MIN, witnesses=2)
    m.observe_verification_failure(at=T + 9 * MIN)
    return m


def test_hand_computed_figures() -> None:
    m = scenario()
    now = T + 30 * MIN
    for name in ("hour", "day", "30d"):
        w = m.window(name, now=now)
        assert w.records == 20
        assert w.latency_samples == 20
        # p50: rank ceil(20 × 0.5) = 10 → the 10th smallest, 100 ms (exact below 256 ms).
        assert w.latency_p50_ms == 100
        # p95: rank ceil(20 × 0.95) = 19 → 1 200 000 ms. It has 21 bits, so its bin is
        # 2**13 = 8192 wide: [146 × 8192, 147 × 8192 − 1] = [1 196 032, 1 204 223], whose
        # midpoint 1 200 127 is reported (error 127 ≤ 1 200 000 / 256).
        assert w.latency_p95_ms == 1_200_127
        assert w.latency_max_ms == 1_800_000
        # mean = (10 + 20 + … + 180 + 1 200 000 + 1 800 000) / 20 = 3 001 710 / 20
        assert w.latency_mean_ms == 150_085.5
        # two records later than the 15-minute threshold: 2 / 20
        assert w.late_records == 2
        assert w.latency_rate == 0.1
        # 6 required fields × 20 records = 120 checked; 5 missing.
        assert w.missing_field_rate == 5 / 120
        assert dict(w.missing_by_field) == {"location": 0.05, "quantities.in_transit": 0.2}
        # 4 records with an error finding (record 0 misses two fields).
        assert w.violations == 4
        assert w.rule_violation_rate == 0.2
        assert w.mapping_coverage == 15 / 20
        assert w.verification_failures == 1
        assert w.checkpoints == 2
        assert w.lineage.mapping_profiles == ("fab-1-erp@3",)
        assert w.lineage.fields == ("location", "quantities.in_transit")
        assert w.lineage.end == now
    assert m.window("hour", now=now).start == T + 30 * MIN - 59 * MIN
    assert m.window("day", now=now).start == T - 23 * HOUR
    assert m.window("30d", now=now).start == T - 29 * DAY
    h = partner_health(m, now=now, rules=RULES)
    assert h.witnesses == 2
    assert h.last_checkpoint_at == T + 8 * MIN
    assert h.checkpoint_age_ms == 22 * MIN
    # Record i arrives at T + 10 min + i ms with latency 10 (i + 1) ms for i < 18:
    # its as-of is T + 10 min − 9 i − 10, newest for i = 0.
    assert h.last_as_of == T + 10 * MIN - 10
    assert h.feed_age_ms == now - h.last_as_of
    assert not h.stale
    json.dumps(h.to_dict())


def test_windows_expire() -> None:
    m = scenario()
    last = T + 10 * MIN + 19
    # The minute of the records stays in the hour window for 59 more minute starts.
    assert m.window("hour", now=T + 69 * MIN + 59_999).records == 20
    assert m.window("hour", now=T + 70 * MIN).records == 0
    assert m.window("hour", now=T + 70 * MIN).latency_p50_ms is None
    assert m.window("hour", now=T + 70 * MIN).latency_rate is None
    assert m.window("day", now=T + 23 * HOUR + 59 * MIN).records == 20
    assert m.window("day", now=T + 24 * HOUR).records == 0
    assert m.window("30d", now=T + 29 * DAY + 1).records == 20
    w = m.window("30d", now=T + 30 * DAY)
    assert (w.records, w.checkpoints, w.mapping_coverage) == (0, 0, None)
    h = partner_health(m, now=T + 30 * DAY, rules=RULES)
    assert h.stale
    assert h.witnesses == 2  # the last checkpoint stays known beyond the windows
    assert h.last_received_at == last


def test_query_in_the_past_answers_as_of_watermark() -> None:
    m = scenario()
    w = m.window("hour", now=T)
    assert w.end == T + 10 * MIN + 19
    assert w.records == 20


def test_series_per_bucket() -> None:
    m = scenario()
    feed(m, T + 2 * HOUR + 1, 50)
    series = m.series("hour", now=T + 2 * HOUR + 5)
    assert len(series) == 24
    assert [s.records for s in series[-3:]] == [20, 0, 1]
    assert series[-1].latency_p50_ms == 50
    assert series[-2].latency_p50_ms is None
    assert series[-3].start == T
    assert series[-1].end == T + 2 * HOUR + 5
    assert len(m.series("minute", now=T + 2 * HOUR + 5)) == 60
    with pytest.raises(MetricsStateError, match="unknown bucket"):
        m.series("week", now=T)
    with pytest.raises(MetricsStateError, match="unknown window"):
        m.window("minute", now=T)


def test_round_trip_storage() -> None:
    m = scenario()
    now = T + 40 * MIN
    again = PartnerMetrics.from_dict(json.loads(json.dumps(m.to_dict())))
    for name in ("hour", "day", "30d"):
        assert again.window(name, now=now) == m.window(name, now=now)
    assert [b.to_dict() for _, b in again.buckets()] == [b.to_dict() for _, b in m.buckets()]
    net = NetworkMetrics([m, PartnerMetrics("module-1")])
    restored = NetworkMetrics.from_dict(json.loads(json.dumps(net.to_dict())))
    assert restored.partners() == ("fab-1", "module-1")
    assert restored.health(now=now, rules=RULES) == net.health(now=now, rules=RULES)


def tamper(path: list[Any], value: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(scenario().to_dict()))
    target = data
    busy = next(i for i, b in enumerate(data["buckets"]) if b["records"])
    path = [busy if p == "R" else p for p in path]
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["format"], "x", "expected format"),
        (["watermark"], -1, "at least 0"),
        (["buckets", 0, "records"], "many", "expected an integer"),
        (["buckets", 0, "records"], -3, "at least 0"),
        (["buckets", "R", "latency_count"], 99, "does not add up"),
        (["buckets", "R", "missing_total"], 0, "do not add up"),
        (["buckets", 0, "latency_bins"], {"x1": 1}, "bad bin"),
        (["buckets", 0, "start"], T + 1, "not aligned"),
        (["buckets", 0, "level"], "week", "unknown bucket"),
        (["buckets", 0, "format"], "v0", "expected format"),
        (["buckets", 0, "surprise"], 1, "unknown key"),
        (["buckets", 1], None, "expected an object"),
        (["state"], [], "expected an object"),
    ],
)
def test_tampered_state_raises_domain_error(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(MetricsStateError, match=message):
        PartnerMetrics.from_dict(tamper(path, value))


def test_duplicate_and_future_buckets_refused() -> None:
    data = json.loads(json.dumps(scenario().to_dict()))
    data["buckets"].append(data["buckets"][0])
    with pytest.raises(MetricsStateError, match="stored twice"):
        PartnerMetrics.from_dict(data)
    data = json.loads(json.dumps(scenario().to_dict()))
    data["watermark"] = T
    with pytest.raises(MetricsStateError, match="after the watermark"):
        PartnerMetrics.from_dict(data)


def test_bad_observations() -> None:
    m = PartnerMetrics("p")
    with pytest.raises(MetricsStateError):
        m.observe_mapping(at=T, mapped=3, total=2)
    with pytest.raises(MetricsStateError):
        m.observe_checkpoint(at=T, witnesses=-1)
    with pytest.raises(MetricsStateError):
        m.observe_verification_failure(at=-5)
    with pytest.raises(MetricsStateError):
        PartnerMetrics("")
    with pytest.raises(MetricsStateError, match="twice"):
        NetworkMetrics([PartnerMetrics("p"), PartnerMetrics("p")])


# -- the histogram and a brute-force reference ---------------------------------


def nearest_rank(values: list[int], num: int, den: int) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(values) * num / den)) - 1]


@given(st.integers(min_value=0, max_value=10**13))
def test_bins_contain_their_values(v: int) -> None:
    low, high = bin_bounds(bin_of(v))
    assert low <= v <= high
    assert high - low <= max(0, v) * 2 * BOUND
    assert bin_of(low) == bin_of(high) == bin_of(v)


@given(st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=300))
def test_quantiles_within_documented_bound(values: list[int]) -> None:
    bins: dict[int, int] = {}
    for v in values:
        bins[bin_of(v)] = bins.get(bin_of(v), 0) + 1
    for num in (1, 50, 95, 99, 100):
        true = nearest_rank(values, num, 100)
        est = quantile(bins, len(values), num, 100, low=min(values), high=max(values))
        assert est is not None
        assert abs(est - true) <= true * BOUND
        if true < EXACT_BELOW:
            assert est == true


def window_start(name: str, now: int) -> int:
    size, slots = {"hour": (MIN, 60), "day": (HOUR, 24), "30d": (DAY, 30)}[name]
    shift = 8 * HOUR
    return (now + shift) // size * size - shift - (slots - 1) * size


observation = st.tuples(
    st.integers(min_value=0, max_value=40 * DAY),  # receipt time after T
    st.integers(min_value=-10 * MIN, max_value=3 * HOUR),  # latency
    st.booleans(),  # missing in_transit
)


@settings(max_examples=60, deadline=None)
@given(st.lists(observation, max_size=60), st.integers(min_value=0, max_value=45 * DAY))
def test_windows_match_brute_force(obs: list[tuple[int, int, bool]], query: int) -> None:
    m = PartnerMetrics("fab-1")
    for offset, latency, missing in obs:  # in any order: late arrivals included
        drop = ("quantities.in_transit",) if missing else ()
        feed(m, T + offset, latency, drop=drop)
    now = max([T + query] + [T + o for o, _, _ in obs])
    for name in ("hour", "day", "30d"):
        start = window_start(name, now)
        inside = [(T + o, lat, miss) for o, lat, miss in obs if T + o >= start]
        w = m.window(name, now=now)
        assert w.start == start
        assert w.records == len(inside)
        lat = [max(0, la) for _, la, _ in inside]
        assert w.late_records == sum(1 for x in lat if x > RULES.thresholds.latency_ms)
        assert w.missing_by_field.get("quantities.in_transit", 0) * max(1, len(inside)) == (
            pytest.approx(sum(1 for *_, miss in inside if miss))
        )
        if not lat:
            assert w.latency_p95_ms is None
            continue
        assert w.latency_max_ms == max(lat)
        for num, got in ((50, w.latency_p50_ms), (95, w.latency_p95_ms)):
            true = nearest_rank(lat, num, 100)
            assert got is not None
            assert abs(got - true) <= true * BOUND
    restored = PartnerMetrics.from_dict(json.loads(json.dumps(m.to_dict())))
    for name in ("hour", "day", "30d"):
        assert restored.window(name, now=now) == m.window(name, now=now)
    for tier in (*m._tiers, *restored._tiers):  # the sorted bin index stays in step
        assert tier.keys == sorted(tier.total.latency_bins)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(observation, st.integers(min_value=0, max_value=5)), max_size=40),
    st.integers(min_value=0, max_value=45 * DAY),
)
def test_cached_json_figures_equal_the_reference(
    steps: list[tuple[tuple[int, int, bool], int]], query: int
) -> None:
    """The health API's path (cached JSON forms, rebuilt only after a change) gives
    exactly ``partner_health(...).to_dict()`` after every observation and query."""
    m = PartnerMetrics("fab-1")
    network = NetworkMetrics([m])
    now = T
    for (offset, latency, missing), kind in steps:
        at = T + offset
        if kind == 0:
            m.observe_mapping(at=at, mapped=offset % 7, total=7, mapping_profile="p@1")
        elif kind == 1:
            m.observe_checkpoint(at=at, witnesses=offset % 4)
        elif kind == 2:
            m.observe_verification_failure(at=at)
        else:
            feed(m, at, latency, drop=("quantities.in_transit",) if missing else ())
        now = max(now, at) + offset % 3
        fast = network.health_dicts(now=now, rules=RULES)
        assert fast == [partner_health(m, now=now, rules=RULES).to_dict()]
        again = network.health_dicts(now=now + 1, rules=RULES, windows=("day",))[0]
        reference = partner_health(m, now=now + 1, rules=RULES).to_dict()
        assert again["windows"] == {"day": reference["windows"]["day"]}
        assert {k: v for k, v in again.items() if k != "windows"} == {
            k: v for k, v in reference.items() if k != "windows"
        }
    later = now + query
    assert network.health_dicts(now=later, rules=RULES) == [
        partner_health(m, now=later, rules=RULES).to_dict()
    ]


def test_cached_json_figures_are_fresh_copies() -> None:
    m = scenario()
    now = T + HOUR
    first = m.window_dict("hour", now=now)
    first["end"] = -1
    first["lineage"]["end"] = -1
    assert m.window_dict("hour", now=now) == m.window("hour", now=now).to_dict()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30),
            st.booleans(),  # take a previous batch back out
        ),
        max_size=12,
    ),
    st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=4),
)
def test_block_index_quantiles_equal_the_full_walk(
    batches: list[tuple[list[int], bool]], percents: list[int]
) -> None:
    """The block index (kept in step through adds and subtractions) answers exactly
    the quantiles of a walk over every bin."""
    from governance._histogram import BlockIndex, add_bins, quantiles

    bins: dict[int, int] = {}
    keys: list[int] = []
    index = BlockIndex()
    added: list[dict[int, int]] = []
    values: list[int] = []
    for batch, undo in batches:
        if undo and added:
            gone = added.pop(0)
            add_bins(bins, gone, -1, keys)
            index.add(gone, -1)
            continue
        delta: dict[int, int] = {}
        for v in batch:
            delta[bin_of(v)] = delta.get(bin_of(v), 0) + 1
        values += batch
        add_bins(bins, delta, 1, keys)
        index.add(delta)
        added.append(delta)
    assert keys == sorted(bins)
    assert sorted(index.order) == sorted({k >> 5 for k in bins})
    count = sum(bins.values())
    fractions = [(p, 100) for p in percents]
    low, high = (min(values), max(values)) if values else (0, 0)
    assert index.quantiles(bins, keys, count, fractions, low=low, high=high) == quantiles(
        bins, count, fractions, low=low, high=high, keys=keys
    )
