"""Exceptions: every type opens, breaches and resolves under a controlled clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785

from governance import (
    EVENT_ACKNOWLEDGED,
    EVENT_BREACHED,
    EVENT_COMMENTED,
    EVENT_OPENED,
    EVENT_RESOLVED,
    CaseFormatError,
    CaseState,
    ExceptionCase,
    ExceptionTransitionError,
    ExceptionType,
    GovernanceError,
    NetworkMetrics,
    Opening,
    PartnerProfile,
    PeerFacts,
    breach_counts,
    case_digest,
    case_from_dict,
    case_to_dict,
    check_document,
    check_record,
    compare_capacity,
    compare_receipt,
    default_rule_set,
    flag_breaches,
    open_case,
    plan_openings,
)
from tests.plaintext import assert_no_plaintext

RULES = default_rule_set()
T = 1_769_909_400_123  # 2026-02-01T09:30:00.123+08:00
MIN, HOUR = 60_000, 3_600_000
ME = "phone-maker"
SUP = "module-maker"
PARTNER = PartnerProfile(SUP, "Asia/Shanghai")


def openings_for(kind: ExceptionType) -> tuple[Opening, ...]:
    """Drive each exception type from its natural source: findings, metrics or facts."""
    net = NetworkMetrics()
    m = net.partner(SUP)
    record = {
        "sku": "MOD-1",
        "location": "SZ",
        "as_of": T - MIN,
        "quantities": {"available": 5, "in_transit": 0, "in_inspection": 0},
    }
    record_findings: dict[str, Any] = {}
    document_findings: dict[str, Any] = {}
    facts: list[PeerFacts] = []
    if kind is ExceptionType.STALE_FEED:
        m.observe_record(received_at=T - 2 * HOUR, as_of=T - 2 * HOUR, findings=(), rules=RULES)
    else:
        m.observe_record(received_at=T, as_of=T - MIN, findings=(), rules=RULES)
    m.observe_checkpoint(at=T, witnesses=3)
    if kind is ExceptionType.MISSING_FIELDS:
        broken = dict(record, location="")
        m.observe_record(
            received_at=T,
            as_of=T - MIN,
            findings=check_record(broken, RULES, now=T, partner=PARTNER),
            rules=RULES,
        )
    elif kind is ExceptionType.RULE_VIOLATION:
        bad = dict(record, quantities={"available": -5, "in_transit": 0, "in_inspection": 0})
        m.observe_record(
            received_at=T,
            as_of=T - MIN,
            findings=check_record(bad, RULES, now=T, partner=PARTNER),
            rules=RULES,
        )
    elif kind is ExceptionType.CLOCK_SKEW:
        skewed = dict(record, as_of=T + HOUR)
        record_findings[SUP] = check_record(skewed, RULES, now=T, partner=PARTNER)
    elif kind is ExceptionType.RECEIPT_MISMATCH or kind is ExceptionType.LATE_DELIVERY:
        despatch = {
            "despatch_number": "D-1",
            "expected_arrival": "2026-02-01T08:00:00",
            "lines": [{"sku": "MOD-1", "quantity_shipped": 10}],
        }
        receipt = {
            "despatch_number": "D-1",
            "received_at": "2026-02-01T08:30:00"
            if kind is ExceptionType.RECEIPT_MISMATCH
            else "2026-02-01T09:30:00",
            "lines": [
                {
                    "sku": "MOD-1",
                    "quantity_received": 9 if kind is ExceptionType.RECEIPT_MISMATCH else 10,
                }
            ],
        }
        document_findings[SUP] = compare_receipt(despatch, receipt, RULES, partner=PARTNER)
    elif kind is ExceptionType.CAPACITY_GAP:
        forecast = {"lines": [{"sku": "MOD-1", "week": "2026-W10", "forecast_qty": 10}]}
        capacity = {"lines": [{"sku": "MOD-1", "week": "2026-W10", "capacity_qty": 5}]}
        document_findings[SUP] = compare_capacity(forecast, capacity, RULES)
    elif kind is ExceptionType.BELOW_SAFETY_STOCK:
        facts.append(PeerFacts(SUP, {"MOD-1@SZ": "below", "MOD-2@SZ": "at_or_above"}))
    elif kind is ExceptionType.FAILED_PROOF:
        facts.append(PeerFacts(SUP, failed_proofs=("entry-17",)))
    elif kind is ExceptionType.SPLIT_VIEW:
        facts.append(PeerFacts(SUP, split_views=("cp-9-vs-cp-9b",)))
    elif kind is ExceptionType.STALE_CHECKPOINT:
        m.observe_checkpoint(at=T - 2 * HOUR, witnesses=3)
        net = NetworkMetrics([_only_old_checkpoint()])
    elif kind is ExceptionType.LOW_WITNESSES:
        m.observe_checkpoint(at=T + 1, witnesses=1)
    health = net.health(now=T + 1, rules=RULES)
    return plan_openings(
        rules=RULES,
        record_findings=record_findings,
        document_findings=document_findings,
        health=health,
        facts=facts,
    )


def _only_old_checkpoint() -> Any:
    net = NetworkMetrics()
    m = net.partner(SUP)
    m.observe_checkpoint(at=T - 2 * HOUR, witnesses=3)
    m.observe_record(received_at=T, as_of=T - MIN, findings=(), rules=RULES)
    return m


@pytest.mark.parametrize("kind", list(ExceptionType))
def test_every_type_opens_breaches_and_resolves(kind: ExceptionType) -> None:
    openings = openings_for(kind)
    assert [o.type for o in openings] == [kind], openings
    (opening,) = openings
    assert opening.assignee == SUP
    case, event = open_case(opening, RULES, now=T, raised_by=ME)
    sla = RULES.sla_for(kind)
    assert case.respond_by == T + sla.respond_within_ms
    assert case.state is CaseState.OPEN
    assert event["kind"] == EVENT_OPENED
    assert event["body"]["respond_by"] == case.respond_by
    rfc8785.dumps(event)
    # Deduplicated while the case is unresolved.
    again = openings_for(kind)
    assert plan_openings(rules=RULES, open_cases=[case]) == ()
    assert [o.key for o in again] == [case.key]
    assert not case.breached(case.respond_by)
    assert case.breached(case.respond_by + 1)
    assert case.sla_state(case.respond_by) == "running"
    assert case.sla_state(case.respond_by + 1) == "breached"
    assert case.flag_breach(at=case.respond_by) is None
    flagged = case.flag_breach(at=case.respond_by + 1)
    assert flagged is not None
    breached, breach_event = flagged
    assert breach_event["kind"] == EVENT_BREACHED
    assert breach_event["body"]["deadline_kind"] == "response"
    assert breached.flag_breach(at=case.respond_by + 2) is None
    resolved, resolve_event = breached.resolve(by=SUP, at=case.respond_by + 5, resolution="fixed")
    assert resolved.state is CaseState.RESOLVED
    assert resolve_event["kind"] == EVENT_RESOLVED
    assert resolve_event["body"]["response_breached"] is True
    assert breach_counts([resolved], now=T + 100 * HOUR) == {SUP: 1}
    # The same case acknowledged in time never breaches its response SLA.
    acked, ack_event = case.acknowledge(by=SUP, at=case.respond_by)
    assert ack_event["kind"] == EVENT_ACKNOWLEDGED
    assert ack_event["body"]["response_breached"] is False
    assert not acked.response_breached(T + 1000 * HOUR)
    done, _ = acked.resolve(by=ME, at=case.respond_by + 1, resolution="ok now")
    if sla.resolve_within_ms is None:
        assert done.sla_state(T + 1000 * HOUR) == "met"
    assert plan_openings(rules=RULES, open_cases=[done], facts=()) == ()
    assert [o.key for o in openings_for(kind)] == [done.key]  # a resolved case may reopen


def opened() -> ExceptionCase:
    opening = Opening(ExceptionType.BELOW_SAFETY_STOCK, SUP, "MOD-1@SZ", "below")
    return open_case(opening, RULES, now=T, raised_by=ME)[0]


def test_resolution_deadline() -> None:
    case = opened()
    assert case.resolve_by == T + 72 * HOUR
    acked, _ = case.acknowledge(by=SUP, at=T + MIN)
    assert acked.next_deadline() == case.resolve_by
    assert not acked.breached(case.resolve_by)
    assert acked.breached(case.resolve_by + 1)
    flagged = acked.flag_breach(at=case.resolve_by + 1)
    assert flagged is not None
    assert flagged[1]["body"]["deadline_kind"] == "resolution"
    late, event = acked.resolve(by=SUP, at=case.resolve_by + 10, resolution="restocked")
    assert event["body"]["resolution_breached"] is True
    assert late.sla_state(case.resolve_by + 20) == "breached"
    on_time, _ = acked.resolve(by=SUP, at=case.resolve_by, resolution="restocked")
    assert on_time.sla_state(T + 10_000 * HOUR) == "met"
    assert on_time.next_deadline() is None


def test_impossible_transitions_are_refused() -> None:
    case = opened()
    acked, _ = case.acknowledge(by=SUP, at=T + 1)
    resolved, _ = acked.resolve(by=SUP, at=T + 2, resolution="done")
    with pytest.raises(ExceptionTransitionError, match="already acknowledged") as info:
        acked.acknowledge(by=SUP, at=T + 3)
    assert (info.value.case_id, info.value.state) == (case.id, "acknowledged")
    with pytest.raises(ExceptionTransitionError, match="already resolved"):
        resolved.resolve(by=SUP, at=T + 3, resolution="again")
    with pytest.raises(ExceptionTransitionError, match="already resolved"):
        resolved.acknowledge(by=SUP, at=T + 3)
    with pytest.raises(ExceptionTransitionError, match="it is resolved"):
        resolved.comment(by=SUP, at=T + 3, text="hello")
    with pytest.raises(ExceptionTransitionError, match="only the assignee"):
        case.acknowledge(by=ME, at=T + 1)
    with pytest.raises(ExceptionTransitionError, match="neither"):
        case.resolve(by="bank-1", at=T + 1, resolution="x")
    with pytest.raises(ExceptionTransitionError, match="before the case's last event"):
        case.acknowledge(by=SUP, at=T - 1)
    with pytest.raises(ExceptionTransitionError, match="before the case's last event"):
        acked.resolve(by=SUP, at=T, resolution="x")
    with pytest.raises(GovernanceError, match="non-empty"):
        case.comment(by=SUP, at=T + 1, text="  ")
    with pytest.raises(GovernanceError, match="longer than"):
        case.comment(by=SUP, at=T + 1, text="x" * 5000)


def test_comments_and_events_keep_text_off_the_ledger() -> None:
    case = opened()
    commented, event = case.comment(by=ME, at=T + 5, text="we need 480 units by Friday")
    assert event["kind"] == EVENT_COMMENTED
    assert commented.comments[-1].text == "we need 480 units by Friday"
    assert "480" not in json.dumps(event)
    assert event["body"]["text_digest"].startswith("sha256:")
    acked, ack_event = commented.acknowledge(by=SUP, at=T + 6, note="on it, 500 ship today")
    assert acked.comments[-1].author == SUP
    assert "500" not in json.dumps(ack_event)


def test_case_ids_are_deterministic() -> None:
    opening = Opening(ExceptionType.STALE_FEED, SUP, "feed", "stale")
    a, _ = open_case(opening, RULES, now=T, raised_by=ME)
    b, _ = open_case(opening, RULES, now=T, raised_by=ME)
    c, _ = open_case(opening, RULES, now=T + 1, raised_by=ME)
    assert a.id == b.id != c.id
    with pytest.raises(GovernanceError):
        open_case(opening, RULES, now=-1, raised_by=ME)


def test_flag_breaches_and_counts_per_partner() -> None:
    a = opened()
    b = open_case(
        Opening(ExceptionType.STALE_FEED, "fab-1", "feed", "x"), RULES, now=T, raised_by=ME
    )[0]
    c = open_case(
        Opening(ExceptionType.SPLIT_VIEW, "fab-1", "checkpoint", "x"), RULES, now=T, raised_by=ME
    )[0]
    now = T + HOUR + 1  # past the 1 h (safety stock) and 30 min (split view) SLAs, not 2 h
    flagged = flag_breaches([a, b, c], now=now)
    assert sorted(f[0].id for f in flagged) == sorted([a.id, c.id])
    assert breach_counts([a, b, c], now=now) == {SUP: 1, "fab-1": 1}
    assert breach_counts([a, b, c], now=T + 2 * HOUR + 1) == {SUP: 1, "fab-1": 2}


def test_dedup_within_one_plan() -> None:
    findings = check_record(
        {
            "sku": "A",
            "location": "L",
            "as_of": T + HOUR,
            "quantities": {"available": 1, "in_transit": 0, "in_inspection": 0},
        },
        RULES,
        now=T,
        partner=PARTNER,
    )
    plan = plan_openings(rules=RULES, record_findings={SUP: findings * 3})
    assert [(o.type, o.subject) for o in plan] == [(ExceptionType.CLOCK_SKEW, "clock")]
    doc = check_document({"type": "order_ack", "po_number": "PO-1"}, RULES, now=T, partner=PARTNER)
    (missing,) = plan_openings(rules=RULES, document_findings={SUP: doc})
    assert (missing.type, missing.subject) == (ExceptionType.MISSING_FIELDS, "order_ack:PO-1")
    assert "issued_at" in missing.summary
    assert "status" in missing.summary


def test_case_storage_round_trip_and_tampering() -> None:
    case = opened()
    case, _ = case.comment(by=ME, at=T + 1, text="hi")
    case, _ = case.acknowledge(by=SUP, at=T + 2)
    data = json.loads(json.dumps(case_to_dict(case)))
    assert case_from_dict(data) == case
    for key, value, message in [
        ("state", "closed", "closed"),
        ("state", "resolved", "contradicts"),
        ("type", "meteor", "meteor"),
        ("opened_at", -1, "at least 0"),
        ("respond_by", T - 1, "before opening"),
        ("acknowledged_by", None, "by nobody"),
        ("comments", [{"at": 1}], "missing key"),
        ("extra", 1, "unknown key"),
        ("format", "v0", "expected format"),
    ]:
        bad = dict(data, **{key: value})
        with pytest.raises(CaseFormatError, match=message):
            case_from_dict(bad)
    with pytest.raises(CaseFormatError):
        case_from_dict([])


def test_peer_facts_validate() -> None:
    with pytest.raises(GovernanceError, match="below"):
        PeerFacts(SUP, {"A@L": "low"})


def test_constructors_refuse_nonsense() -> None:
    with pytest.raises(GovernanceError, match="unknown exception type"):
        Opening("stale_feed", SUP, "feed", "x")  # type: ignore[arg-type]
    with pytest.raises(GovernanceError, match="assignee and a subject"):
        Opening(ExceptionType.STALE_FEED, "", "feed", "x")
    case = opened()
    with pytest.raises(GovernanceError, match="deadline before opening"):
        ExceptionCase(**{**case.__dict__, "respond_by": case.opened_at - 1})


def test_events_cite_the_subject_and_every_text_by_digest_only() -> None:
    subject = "despatch_advice:D-PO-M/SKU-A"
    summary = "SKU-A: received 480, despatched 500"
    opening = Opening(ExceptionType.RECEIPT_MISMATCH, SUP, subject, summary)
    case, opened = open_case(opening, RULES, now=T, raised_by=ME)
    assert case.subject == subject  # the plaintext stays in the case
    body = opened["body"]
    assert "subject" not in body
    assert body["subject_digest"] == case_digest(subject)
    assert body["summary_digest"] == case_digest(summary)
    # the same opening on the other party's node: the same subject digest
    _, theirs = open_case(opening, RULES, now=T + 5, raised_by=SUP)
    assert theirs["body"]["subject_digest"] == body["subject_digest"]
    # tampered: another SKU, another digest
    other = Opening(ExceptionType.RECEIPT_MISMATCH, SUP, "despatch_advice:D-PO-M/SKU-B", summary)
    assert (
        open_case(other, RULES, now=T, raised_by=ME)[1]["body"]["subject_digest"]
        != (body["subject_digest"])
    )
    acked, ack = case.acknowledge(by=SUP, at=T + 1, note="short by 20")
    commented, said = acked.comment(by=ME, at=T + 2, text="480 of 500 on PO-M")
    _, done = commented.resolve(by=SUP, at=T + 3, resolution="credit note for 20")
    events = [opened, ack, said, done]
    assert said["body"]["text_digest"] == case_digest("480 of 500 on PO-M")
    assert_no_plaintext(
        events,
        words=("D-PO-M", "SKU-A", "short by", "credit note"),
        numbers=(480, 500, 20),
    )
    # a subject that is already a salted hash is public by design and kept
    hashed = "ab" * 32
    facts = Opening(ExceptionType.BELOW_SAFETY_STOCK, SUP, hashed, "below")
    kept = open_case(facts, RULES, now=T, raised_by=ME)[1]["body"]
    assert (kept["subject"], kept["subject_digest"]) == (hashed, case_digest(hashed))
