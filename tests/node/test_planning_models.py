"""Demand forecasts, capacity reports and gap detection (pure)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance import ExceptionType, RuleId, Severity, compare_capacity, default_rule_set
from node.planning import (
    CapacityReport,
    DemandForecast,
    GapKind,
    PlanningFormatError,
    Week,
    detect_gaps,
    gap_findings,
    parse_week,
    week_range,
)


def _forecast(lines: list[tuple[str, str, int]]) -> DemandForecast:
    return DemandForecast.from_json(
        {
            "forecast_id": "F-1",
            "customer": "phone.example",
            "supplier": "module.example",
            "issued_at": "2026-11-20T08:00:00Z",
            "uom": "pcs",
            "lines": [{"sku": s, "week": w, "forecast_qty": q} for s, w, q in lines],
        }
    )


def _capacity(
    weeks: list[tuple[str, int, int]], skus: tuple[str, ...] = ("M-1", "M-2")
) -> CapacityReport:
    return CapacityReport.from_json(
        {
            "capacity_id": "C-1",
            "supplier": "module.example",
            "customer": "phone.example",
            "issued_at": "2026-11-20T09:00:00Z",
            "uom": "pcs",
            "groups": [
                {
                    "group_id": "line-a",
                    "name": "SMT line A",
                    "skus": list(skus),
                    "weeks": [{"week": w, "actual": a, "maximum": m} for w, a, m in weeks],
                }
            ],
        }
    )


def test_weeks() -> None:
    assert parse_week("2026-W53") == "2026-W53"  # 2026 has 53 ISO weeks
    for bad in ("2027-W53", "2026-W00", "2026-10", "26-W10", 202610, None):
        with pytest.raises(PlanningFormatError):
            parse_week(bad)
    assert week_range(Week("2026-W52"), Week("2027-W02")) == [
        "2026-W52",
        "2026-W53",
        "2027-W01",
        "2027-W02",
    ]


def test_group_demand_is_summed_and_compared_with_actual_and_maximum() -> None:
    forecast = _forecast(
        [
            ("M-1", "2026-W10", 600),
            ("M-2", "2026-W10", 500),  # 1100 > maximum 1000
            ("M-1", "2026-W11", 900),  # 900 > actual 800, <= maximum 1000
            ("M-1", "2026-W12", 800),  # exactly the actual capacity: no gap
        ]
    )
    capacity = _capacity(
        [("2026-W10", 800, 1000), ("2026-W11", 800, 1000), ("2026-W12", 800, 1000)]
    )
    gaps = detect_gaps(forecast, capacity)
    assert [(g.kind, g.week, g.demand, g.shortfall) for g in gaps] == [
        (GapKind.DEMAND_ABOVE_MAXIMUM, "2026-W10", 1100, 300),
        (GapKind.DEMAND_ABOVE_ACTUAL, "2026-W11", 900, 100),
    ]
    assert gaps[0].skus == ("M-1", "M-2")


def test_capacity_below_committed_orders() -> None:
    forecast = _forecast([("M-1", "2026-W10", 100)])
    capacity = _capacity([("2026-W10", 300, 400)])
    committed = {("M-1", Week("2026-W10")): 250, ("M-2", Week("2026-W10")): 100}
    gaps = detect_gaps(forecast, capacity, committed)
    assert [(g.kind, g.committed, g.shortfall) for g in gaps] == [
        (GapKind.BELOW_COMMITTED, 350, 50)
    ]
    assert detect_gaps(forecast, capacity, {("M-1", Week("2026-W10")): 300}) == ()


def test_demand_without_capacity() -> None:
    forecast = _forecast([("M-9", "2026-W10", 5), ("M-1", "2026-W20", 7), ("M-1", "2026-W21", 0)])
    gaps = detect_gaps(forecast, _capacity([("2026-W10", 10, 10)]))
    assert [(g.kind, g.skus, g.week) for g in gaps] == [
        (GapKind.NO_CAPACITY, ("M-9",), "2026-W10"),
        (GapKind.NO_CAPACITY, ("M-1",), "2026-W20"),
    ]


def test_findings_open_capacity_gap_exceptions() -> None:
    rules = default_rule_set()
    forecast = _forecast([("M-1", "2026-W10", 1200)])
    capacity = _capacity([("2026-W10", 800, 1000)])
    findings = gap_findings(detect_gaps(forecast, capacity), rules)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.rule_id == RuleId.CAPACITY_GAP
    assert finding.exception_type is ExceptionType.CAPACITY_GAP
    assert finding.severity is Severity.ERROR
    assert finding.subject == "capacity:line-a/2026-W10"
    assert "1200" in finding.message
    assert "1000" in finding.message
    # governance's own per-sku comparison agrees on the documents we produce
    theirs = compare_capacity(forecast.to_json(), capacity.governance_document(), rules)
    assert [f.exception_type for f in theirs] == [ExceptionType.CAPACITY_GAP]


def _slow_gaps(forecast: DemandForecast, capacity: CapacityReport) -> set[tuple[str, str, str]]:
    """Reference: for each group and week, add up demand line by line."""
    out: set[tuple[str, str, str]] = set()
    for group in capacity.groups:
        for slot in group.weeks:
            need = 0
            for line in forecast.lines:
                if line.sku in group.skus and line.week == slot.week:
                    need += line.quantity
            if need > slot.maximum:
                out.add(("max", group.group_id, slot.week))
            elif need > slot.actual:
                out.add(("actual", group.group_id, slot.week))
    return out


@settings(max_examples=60, deadline=None)
@given(
    demand=st.lists(
        st.tuples(st.sampled_from(["M-1", "M-2"]), st.integers(10, 13), st.integers(0, 2000)),
        max_size=8,
        unique_by=lambda t: (t[0], t[1]),
    ),
    caps=st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 1500)), min_size=4, max_size=4),
)
def test_gaps_match_reference(
    demand: list[tuple[str, int, int]], caps: list[tuple[int, int]]
) -> None:
    forecast = _forecast([(s, f"2026-W{w}", q) for s, w, q in demand])
    weeks = [(f"2026-W{10 + i}", min(a, m), max(a, m)) for i, (a, m) in enumerate(caps)]
    capacity = _capacity(weeks)
    found = {
        ("max" if g.kind is GapKind.DEMAND_ABOVE_MAXIMUM else "actual", g.group_id or "", g.week)
        for g in detect_gaps(forecast, capacity)
    }
    assert found == _slow_gaps(forecast, capacity)


BAD: list[tuple[str, Any]] = [
    ("not-object", []),
    ("lines-not-list", {"lines": {}}),
    ("negative", {"lines": [{"sku": "A", "week": "2026-W10", "forecast_qty": -1}]}),
    ("fraction", {"lines": [{"sku": "A", "week": "2026-W10", "forecast_qty": 1.5}]}),
    ("bool", {"lines": [{"sku": "A", "week": "2026-W10", "forecast_qty": True}]}),
    ("too-big", {"lines": [{"sku": "A", "week": "2026-W10", "forecast_qty": 2**32}]}),
    ("bad-week", {"lines": [{"sku": "A", "week": "2026-W99", "forecast_qty": 1}]}),
    ("no-sku", {"lines": [{"week": "2026-W10", "forecast_qty": 1}]}),
    ("twice", {"lines": [{"sku": "A", "week": "2026-W10", "forecast_qty": 1}] * 2}),
    ("wrong-format", {"format": "x", "lines": []}),
]


@pytest.mark.parametrize(("name", "patch"), BAD, ids=[b[0] for b in BAD])
def test_bad_forecasts_are_refused(name: str, patch: Any) -> None:
    base: dict[str, Any] = {
        "forecast_id": "F",
        "customer": "c",
        "supplier": "s",
        "issued_at": "2026-11-20T08:00:00Z",
        "uom": "pcs",
        "lines": [],
    }
    doc = patch if not isinstance(patch, dict) else base | patch
    with pytest.raises(PlanningFormatError):
        DemandForecast.from_json(doc)


def test_bad_capacity_is_refused() -> None:
    good = _capacity([("2026-W10", 1, 2)]).to_json()
    assert CapacityReport.from_json(good) == _capacity([("2026-W10", 1, 2)])
    actual_above_max = good | {
        "groups": [good["groups"][0] | {"weeks": [{"week": "2026-W10", "actual": 3, "maximum": 2}]}]
    }
    shared_sku = good | {"groups": [good["groups"][0], good["groups"][0] | {"group_id": "b"}]}
    no_skus = good | {"groups": [good["groups"][0] | {"skus": []}]}
    for doc in (actual_above_max, shared_sku, no_skus, {"groups": "x"}):
        with pytest.raises(PlanningFormatError):
            CapacityReport.from_json(doc)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["lines", "sku", "week", "forecast_qty", "groups", "weeks", "actual"]
                ),
                c,
                max_size=4,
            )
        ),
    )
)
def test_parsers_raise_only_the_domain_error(value: Any) -> None:
    for parse in (DemandForecast.from_json, CapacityReport.from_json):
        with contextlib.suppress(PlanningFormatError):
            parse(value)
