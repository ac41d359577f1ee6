"""The one-call path of an inbound record, and cases that clear by themselves."""

from __future__ import annotations

from governance import (
    CLEARABLE_TYPES,
    ExceptionType,
    NetworkMetrics,
    Opening,
    PartnerProfile,
    PeerFacts,
    RuleId,
    cleared_cases,
    default_rule_set,
    ingest_record,
    open_case,
    plan_openings,
    record_as_of,
)

RULES = default_rule_set()
T = 1_769_909_400_123  # 2026-02-01T09:30:00.123+08:00
MIN, HOUR = 60_000, 3_600_000
SHANGHAI = PartnerProfile("fab-1", "Asia/Shanghai")


def test_ingest_checks_and_counts() -> None:
    net = NetworkMetrics()
    m = net.partner("fab-1")
    good = {
        "sku": "W",
        "location": "HS",
        "as_of": "2026-02-01T09:29:00.123",  # naive, read in the declared zone
        "quantities": {"available": 1, "in_transit": 0, "in_inspection": 0},
    }
    assert ingest_record(m, good, RULES, now=T, partner=SHANGHAI, ledger_index=7) == ()
    bad = dict(good, as_of="not a time")
    (finding,) = ingest_record(m, bad, RULES, now=T + 1, partner=SHANGHAI)
    assert finding.rule_id == RuleId.TIMESTAMP_FORMAT
    w = m.window("hour", now=T + 1)
    assert (w.records, w.latency_samples, w.violations) == (2, 1, 1)
    assert w.latency_max_ms == MIN
    assert w.lineage.ledger_first == 7
    assert record_as_of(good, SHANGHAI) == T - MIN
    assert record_as_of(good, PartnerProfile("fab-1")) is None
    assert record_as_of({}, SHANGHAI) is None


def test_metric_cases_clear_when_the_condition_goes() -> None:
    net = NetworkMetrics()
    m = net.partner("fab-1")
    m.observe_record(received_at=T, as_of=T - 2 * HOUR, findings=(), rules=RULES)
    m.observe_checkpoint(at=T, witnesses=3)
    (stale,) = plan_openings(rules=RULES, health=net.health(now=T, rules=RULES))
    assert stale.type is ExceptionType.STALE_FEED
    case, _ = open_case(stale, RULES, now=T, raised_by="me")
    assert cleared_cases([case], rules=RULES, health=net.health(now=T, rules=RULES)) == ()
    m.observe_record(received_at=T + MIN, as_of=T + MIN - 1000, findings=(), rules=RULES)
    health = net.health(now=T + MIN, rules=RULES)
    assert cleared_cases([case], rules=RULES, health=health) == (case,)
    assert cleared_cases([case], rules=RULES, health=()) == ()  # partner not judged
    resolved, _ = case.resolve(by="me", at=T + MIN, resolution="condition cleared")
    assert cleared_cases([resolved], rules=RULES, health=health) == ()


def test_documents_and_proof_cases_need_a_party() -> None:
    assert ExceptionType.RECEIPT_MISMATCH not in CLEARABLE_TYPES
    assert ExceptionType.SPLIT_VIEW not in CLEARABLE_TYPES
    net = NetworkMetrics()
    net.partner("fab-1").observe_record(received_at=T, as_of=T, findings=(), rules=RULES)
    mismatch, _ = open_case(
        Opening(ExceptionType.RECEIPT_MISMATCH, "fab-1", "despatch_advice:D-1/W", "x"),
        RULES,
        now=T,
        raised_by="me",
    )
    assert cleared_cases([mismatch], rules=RULES, health=net.health(now=T, rules=RULES)) == ()


def test_safety_stock_clears_on_a_new_fact() -> None:
    below, _ = open_case(
        Opening(ExceptionType.BELOW_SAFETY_STOCK, "fab-1", "W@HS", "below"),
        RULES,
        now=T,
        raised_by="me",
    )
    still = [PeerFacts("fab-1", {"W@HS": "below"})]
    assert cleared_cases([below], rules=RULES, health=(), facts=still) == ()
    back = [PeerFacts("fab-1", {"W@HS": "at_or_above"})]
    assert cleared_cases([below], rules=RULES, health=(), facts=back) == (below,)
    assert cleared_cases([below], rules=RULES, health=(), facts=()) == ()
