"""JSON views of the governance state: health, dashboard, exceptions, lineage."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from governance import (
    WINDOWS,
    ExceptionCase,
    ExceptionType,
    breach_counts,
    case_to_dict,
    dashboard_view,
    format_display,
)
from node.governance._case_store import load_case, load_cases, load_events, load_facts
from node.governance._faults import fault_view, peer_faults_by_origin
from node.governance._service import GovernanceService
from node.governance._tables import governance_case_events, governance_records

__all__ = ["case_view", "dashboard_json", "health_json", "lineage_json"]

#: Cases resolved longer ago than this no longer count on the dashboard.
_DASHBOARD_HISTORY_MS = 30 * 86_400_000
#: Hourly sparklines, as governance's view models draw them.
_SPARK_BUCKET = "hour"


def _display(service: GovernanceService, ms: int | None, now: int) -> str | None:
    if ms is None:
        return None
    offset = service.rule_set(now).timestamps.display_offset_minutes
    return format_display(ms, offset_minutes=offset)


def health_json(
    service: GovernanceService, *, window: str | None, partner: str | None = None
) -> dict[str, Any]:
    """Health of every partner (or one), all windows or just ``window``.

    The figures come from the windows' cached JSON forms (rebuilt only for the
    windows that changed since the previous query), on one connection."""
    now = service.clock()
    rules = service.rule_set(now)
    with service.engine.connect() as conn:
        partners = service.partners(conn, with_cases=True)
        cases = load_cases(conn, since=now - _DASHBOARD_HISTORY_MS)
    if partner is not None:
        if partner not in partners:
            raise LookupError(partner)
        partners = [partner]
    names = [w for w in WINDOWS if window in (None, w)]
    with service.metrics.lock:
        rows = service.metrics.network.health_dicts(
            now=now, rules=rules, partners=partners, windows=names
        )
    breaches = breach_counts(cases, now=now)
    open_by: dict[str, int] = {}
    for c in cases:
        if c.is_open:
            open_by[c.assignee] = open_by.get(c.assignee, 0) + 1
    for row in rows:
        row["open_exceptions"] = open_by.get(row["partner"], 0)
        row["sla_breaches"] = breaches.get(row["partner"], 0)
    return {
        "now": now,
        "now_display": _display(service, now, now),
        "rule_set": rules.ref,
        "windows": names,
        "partners": rows,
    }


def dashboard_json(
    service: GovernanceService, *, window: str, party: str | None = None
) -> dict[str, Any]:
    """The dashboard view model (governance ``dashboard_view``) as JSON; ``party``
    (a partner caller) sees only its own row."""
    now = service.clock()
    rules = service.rule_set(now)
    with service.engine.connect() as conn:
        partners = service.partners(conn, with_cases=True)
        cases = load_cases(conn, since=now - _DASHBOARD_HISTORY_MS)
        facts = load_facts(conn)
        faults = peer_faults_by_origin(conn)
    if party is not None:
        partners = [p for p in partners if p == party]
    with service.metrics.lock:
        network = service.metrics.network
        health = network.health(now=now, rules=rules, partners=partners)
        series = {p: network.partner(p).series(_SPARK_BUCKET, now=now) for p in partners}
    view = dashboard_view(
        health=health,
        rules=rules,
        now=now,
        cases=cases,
        facts=facts,
        series=series,
        window=window,
    )
    out = view.to_dict()
    breaches = breach_counts(cases, now=now)
    for row in out["rows"]:
        row["sla_breaches"] = breaches.get(row["partner"], 0)
        fault = faults.get(row["partner"])
        row["fault"] = (
            None if fault is None else fault_view(fault, _display(service, fault["since_ms"], now))
        )
    out["node"] = service.origin
    return out


#: Case types whose findings quote the partner documents' quantities (received vs
#: despatched, demand vs capacity).
QUANTITY_CASE_TYPES = frozenset({ExceptionType.RECEIPT_MISMATCH, ExceptionType.CAPACITY_GAP})
REDACTED = "(quantities withheld from this role)"


def case_view(
    service: GovernanceService, case: ExceptionCase, *, quantities: bool = True
) -> dict[str, Any]:
    """A case for the API: stored form, SLA state now, and its ledger events.

    ``quantities=False`` (a reader whose role may not see plaintext quantities,
    e.g. an auditor) withholds the finding messages of the case types that quote
    document quantities; everything else of the case is shown."""
    now = service.clock()
    with service.engine.connect() as conn:
        events = load_events(conn, [case.id])[case.id]
    out = case_to_dict(case)
    if not quantities and case.type in QUANTITY_CASE_TYPES:
        out["evidence"] = [
            {**e, "message": REDACTED} if "message" in e else e for e in out["evidence"]
        ]
    out.pop("format", None)
    out["sla_state"] = case.sla_state(now)
    out["next_deadline"] = case.next_deadline()
    out["next_deadline_display"] = _display(service, case.next_deadline(), now)
    out["events"] = events
    return out


def _like_json_item(value: str) -> str:
    quoted = json.dumps(value, ensure_ascii=False)
    escaped = quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def lineage_json(
    service: GovernanceService,
    *,
    partner: str,
    start: int,
    end: int,
    field: str | None,
    exception_ids: list[str],
    limit: int,
) -> dict[str, Any]:
    """The records, source fields, mapping profiles and ledger entries behind a figure."""
    r = governance_records.c
    where = [r.partner == partner, r.received_at >= start, r.received_at <= end]
    if field is not None:
        where.append(r.missing.like(_like_json_item(field), escape="\\"))
    with service.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(governance_records).where(*where))
        count = int(total.scalar_one())
        rows = conn.execute(
            select(governance_records).where(*where).order_by(r.received_at.desc(), r.id.desc())
        ).all()
        found = [load_case(conn, i) for i in dict.fromkeys(exception_ids)]
        cases = [c for c in found if c is not None and partner in {c.assignee, c.raised_by}]
        events = load_events(conn, [c.id for c in cases])
        e = governance_case_events.c
        case_entries = sorted(
            int(i)
            for (i,) in conn.execute(
                select(e.ledger_index).where(
                    e.case_id.in_([c.id for c in cases]), e.ledger_index.is_not(None)
                )
            )
        )
    now = service.clock()
    records: list[dict[str, Any]] = []
    sources: dict[str, str] = {}
    profiles: set[str] = set()
    ledger: set[int] = set()
    for row in rows:
        mapped = json.loads(row.source_fields)
        sources.update(mapped)
        if row.mapping_profile:
            profiles.add(row.mapping_profile)
        if row.ledger_index is not None:
            ledger.add(int(row.ledger_index))
        if len(records) < limit:
            records.append(
                {
                    "id": int(row.id),
                    "record_ref": row.record_ref,
                    "received_at": int(row.received_at),
                    "received_at_display": _display(service, int(row.received_at), now),
                    "as_of": None if row.as_of is None else int(row.as_of),
                    "subject": row.subject,
                    "ledger_index": row.ledger_index,
                    "mapping_profile": row.mapping_profile,
                    "source_fields": mapped,
                    "missing": json.loads(row.missing),
                    "findings": json.loads(row.findings),
                }
            )
    return {
        "partner": partner,
        "start": start,
        "end": end,
        "start_display": _display(service, start, now),
        "end_display": _display(service, end, now),
        "field": field,
        "record_count": count,
        "records": records,
        "source_fields": dict(sorted(sources.items())),
        "mapping_profiles": sorted(profiles),
        "partner_ledger_entries": sorted(ledger),
        "exceptions": [
            {"id": c.id, "type": c.type.value, "state": c.state.value, "events": events[c.id]}
            for c in cases
        ],
        "exception_ledger_entries": case_entries,
    }
