"""Dashboard view models: cells, colours from the rule set's bands, labels, lineage."""

from __future__ import annotations

import json

from governance import (
    COLUMNS,
    LABELS,
    Band,
    ExceptionType,
    NetworkMetrics,
    Opening,
    PartnerProfile,
    PeerFacts,
    check_record,
    dashboard_view,
    default_rule_set,
    network_dashboard,
    open_case,
)

RULES = default_rule_set()
T = 1_769_909_400_123  # 2026-02-01T09:30:00.123+08:00
SEC, MIN, HOUR = 1000, 60_000, 3_600_000


def network() -> NetworkMetrics:
    net = NetworkMetrics()
    good = net.partner("a-good")
    for i in range(10):
        good.observe_record(
            received_at=T - i * SEC,
            as_of=T - i * SEC - 2 * SEC,
            findings=(),
            rules=RULES,
            ledger_index=100 + i,
            mapping_profile="good@1",
        )
    good.observe_mapping(at=T, mapped=10, total=10)
    good.observe_checkpoint(at=T - MIN, witnesses=3)

    slow = net.partner("b-slow")
    # 10 records: 9 with 1 min latency, one with 20 min (late): p95 = 20 min, late rate 10 %.
    for _ in range(9):
        slow.observe_record(received_at=T - 30 * MIN, as_of=T - 31 * MIN, findings=(), rules=RULES)
    slow.observe_record(received_at=T - 30 * MIN, as_of=T - 50 * MIN, findings=(), rules=RULES)
    slow.observe_mapping(at=T - 30 * MIN, mapped=17, total=20)
    slow.observe_checkpoint(at=T - 20 * MIN, witnesses=1)

    bad = net.partner("c-bad")
    partner = PartnerProfile("c-bad")
    record = {
        "sku": "X",
        "location": "L",
        "as_of": T - 5 * MIN,
        "quantities": {"available": 1, "in_transit": 0},
    }
    findings = check_record(record, RULES, now=T, partner=partner)
    bad.observe_record(received_at=T, as_of=T - 5 * MIN, findings=findings, rules=RULES)
    bad.observe_verification_failure(at=T)
    return net


def test_rows_cells_and_colours() -> None:
    net = network()
    facts = [
        PeerFacts("c-bad", {"X@L": "below", "Y@L": "at_or_above"}),
        PeerFacts("a-good", {"Z@L": "at_or_above"}),
    ]
    late_case, _ = open_case(
        Opening(ExceptionType.STALE_FEED, "c-bad", "feed", "x"),
        RULES,
        now=T - 3 * HOUR,
        raised_by="me",
    )
    view = network_dashboard(net, rules=RULES, now=T, cases=[late_case], facts=facts)
    assert [r.partner for r in view.rows] == ["c-bad", "b-slow", "a-good"]  # worst first
    assert [r.status for r in view.rows] == ["alert", "warn", "ok"]
    assert view.generated_at_display == "2026-02-01T09:30:00.123+08:00"
    assert view.rule_set == "scnode-network-default@1"
    good, slow, bad = view.rows[2], view.rows[1], view.rows[0]

    assert [c.key for c in good.cells] == list(COLUMNS)
    assert good.cell("latency_p50_ms").value == 2000
    assert good.cell("latency_p50_ms").display == "2.0 s"
    assert good.cell("latency_rate").display == "0.00 %"
    assert good.cell("mapping_coverage").status == "ok"
    assert good.cell("witnesses").display == "3"
    assert good.cell("safety_stock").status == "ok"
    assert good.cell("safety_stock").label == ("0 低于 / 1 达标", "0 below / 1 at or above")
    assert good.cell("sla").label == ("正常", "ok")
    lin = good.cell("latency_p95_ms").lineage
    assert lin is not None
    assert (lin.ledger_first, lin.ledger_last, lin.mapping_profiles) == (100, 109, ("good@1",))

    # b-slow: p95 20 min ≥ 15 min warn, < 1 h alert; 10 % late: ≥ 5 % warn; coverage
    # 85 % ≤ 90 % warn; checkpoint 20 min ≥ 15 min warn; 1 witness ≤ 1 warn.
    # p95 of 10 values is rank 10, the maximum: exact. p50 is rank 5, 60 000 ms, in the
    # bin [234 × 256, 235 × 256 − 1] = [59 904, 60 159]; its midpoint 60 031 is reported.
    assert slow.cell("latency_p95_ms").value == 1_200_000
    assert slow.cell("latency_p50_ms").value == 60_031
    assert slow.cell("latency_p95_ms").status == "warn"
    assert slow.cell("latency_rate").value == 0.1
    assert slow.cell("latency_rate").status == "warn"
    assert slow.cell("mapping_coverage").display == "85.00 %"
    assert slow.cell("mapping_coverage").status == "warn"
    assert slow.cell("checkpoint_age_ms").status == "warn"
    assert slow.cell("witnesses").status == "warn"
    assert slow.cell("feed_age_ms").value == 31 * MIN
    assert slow.cell("feed_age_ms").status == "ok"  # 31 min of the 60 expected
    assert slow.cell("safety_stock").status == "none"

    # c-bad: one record missing in_inspection and in_transit is there: 1 of 6 fields.
    assert bad.cell("missing_field_rate").value == 1 / 6
    assert bad.cell("missing_field_rate").status == "alert"
    assert bad.cell("rule_violation_rate").value == 1.0
    assert bad.cell("verification_failures").status == "alert"
    assert bad.cell("checkpoint_age_ms").status == "none"
    assert bad.cell("witnesses").display == "—"
    assert bad.cell("safety_stock").display == "1/2"
    assert bad.cell("safety_stock").status == "alert"
    assert bad.cell("open_exceptions").value == 1
    assert bad.cell("sla").status == "alert"  # opened 3 h ago, 2 h to respond
    assert bad.cell("sla").label == ("已超时", "breached")
    sla_lineage = bad.cell("sla").lineage
    assert sla_lineage is not None
    assert sla_lineage.exception_ids == (late_case.id,)
    (case_row,) = bad.exceptions
    assert case_row["sla_state"] == "breached"
    assert case_row["label"] == {"zh": "数据断更", "en": "stale feed"}
    assert case_row["deadline_display"] == "2026-02-01T08:30:00.123+08:00"
    (field,) = bad.fields
    assert field.key == "missing:quantities.in_inspection"
    assert field.lineage is not None
    assert field.lineage.fields == ("quantities.in_inspection",)

    # Sparklines: 24 hourly points, newest last.
    spark = {s.key: s for s in good.sparklines}
    assert len(spark["records"].values) == 24
    assert spark["records"].values[-1] == 10
    assert spark["records"].values[0] == 0
    assert spark["latency_p95_ms"].values[-2] is None

    data = json.loads(json.dumps(view.to_dict(), ensure_ascii=False))
    assert [c["key"] for c in data["columns"]] == list(COLUMNS)
    assert data["rows"][0]["cells"][0]["status"] in {"ok", "warn", "alert", "none"}


def test_windows_and_empty_partner() -> None:
    net = network()
    net.partner("d-silent")
    health = net.health(now=T, rules=RULES)
    view = dashboard_view(health=health, rules=RULES, now=T, window="hour")
    silent = next(r for r in view.rows if r.partner == "d-silent")
    assert silent.cell("feed_age_ms").status == "alert"  # never delivered
    assert silent.cell("latency_p50_ms").status == "none"
    assert silent.sparklines[0].values == ()
    slow = next(r for r in view.rows if r.partner == "b-slow")
    assert slow.cell("latency_p95_ms").value == 1_200_000
    view30 = dashboard_view(health=health, rules=RULES, now=T, window="30d")
    assert view30.window == "30d"


def test_labels_cover_everything_in_both_languages() -> None:
    assert set(LABELS["exception_type"]) == {t.value for t in ExceptionType}
    for group in LABELS.values():
        for zh, en in group.values():
            assert zh
            assert en
            assert zh != en or zh.isascii() is False or zh.startswith("SLA")
    for key in COLUMNS:
        band = "sla_breaches" if key == "sla" else "feed_age_ratio" if key == "feed_age_ms" else key
        if key != "safety_stock":
            assert isinstance(RULES.band(band), Band)


def test_band_status() -> None:
    high = Band(warn=1, alert=5)
    assert [high.status(v) for v in (0, 1, 4.9, 5)] == ["ok", "warn", "warn", "alert"]
    low = Band(warn=0.9, alert=0.75, higher_is_worse=False)
    assert [low.status(v) for v in (1, 0.9, 0.8, 0.75)] == ["ok", "warn", "warn", "alert"]
