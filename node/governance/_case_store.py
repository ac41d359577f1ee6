"""Exception cases and their transition events in the database."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select

from governance import CaseState, ExceptionCase, PeerFacts, case_from_dict, case_to_dict
from node.governance._metrics_store import upsert
from node.governance._tables import governance_case_events, governance_cases, governance_facts

__all__ = [
    "load_case",
    "load_cases",
    "load_events",
    "load_facts",
    "save_case",
    "save_event",
    "save_facts",
]


def save_case(conn: Connection, case: ExceptionCase) -> None:
    upsert(
        conn,
        governance_cases,
        {
            "id": case.id,
            "type": case.type.value,
            "assignee": case.assignee,
            "raised_by": case.raised_by,
            "subject": case.subject,
            "state": case.state.value,
            "opened_at": case.opened_at,
            "breached_at": case.breached_at,
            "document": json.dumps(case_to_dict(case), ensure_ascii=False, sort_keys=True),
        },
        ("id",),
    )


def save_event(
    conn: Connection, event: dict[str, Any], ledger_index: int | None, *, at: int
) -> None:
    body = event["body"]
    conn.execute(
        insert(governance_case_events).values(
            case_id=str(body["case_id"]),
            kind=str(event["kind"]),
            at=at,
            by=str(body.get("by") or body.get("raised_by") or ""),
            ledger_index=ledger_index,
        )
    )


def load_case(conn: Connection, case_id: str) -> ExceptionCase | None:
    row = conn.execute(
        select(governance_cases.c.document).where(governance_cases.c.id == case_id)
    ).first()
    return None if row is None else case_from_dict(json.loads(row[0]))


def load_cases(
    conn: Connection,
    *,
    unresolved_only: bool = False,
    party: str | None = None,
    states: Sequence[str] = (),
    types: Sequence[str] = (),
    since: int | None = None,
    limit: int | None = None,
) -> list[ExceptionCase]:
    """Cases, newest first: ``party`` limits to cases it is assignee or raiser of;
    ``since`` keeps unresolved cases and those opened at or after it."""
    c = governance_cases.c
    query = select(c.document).order_by(c.opened_at.desc(), c.id)
    if unresolved_only:
        query = query.where(c.state != CaseState.RESOLVED.value)
    if party is not None:
        query = query.where(or_(c.assignee == party, c.raised_by == party))
    if states:
        query = query.where(c.state.in_(list(states)))
    if types:
        query = query.where(c.type.in_(list(types)))
    if since is not None:
        query = query.where(or_(c.state != CaseState.RESOLVED.value, and_(c.opened_at >= since)))
    if limit is not None:
        query = query.limit(limit)
    return [case_from_dict(json.loads(r[0])) for r in conn.execute(query)]


def load_events(conn: Connection, case_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    ids = list(case_ids)
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return out
    e = governance_case_events.c
    for r in conn.execute(select(governance_case_events).where(e.case_id.in_(ids)).order_by(e.id)):
        out[str(r.case_id)].append(
            {"kind": r.kind, "at": int(r.at), "by": r.by, "ledger_index": r.ledger_index}
        )
    return out


def save_facts(conn: Connection, facts: PeerFacts, *, now: int) -> None:
    document = {
        "safety_stock": dict(facts.safety_stock),
        "failed_proofs": list(facts.failed_proofs),
        "split_views": list(facts.split_views),
    }
    upsert(
        conn,
        governance_facts,
        {
            "partner": facts.partner,
            "document": json.dumps(document, ensure_ascii=False, sort_keys=True),
            "updated_at": now,
        },
        ("partner",),
    )


def load_facts(conn: Connection) -> list[PeerFacts]:
    out = []
    for r in conn.execute(select(governance_facts)):
        doc = json.loads(r.document)
        out.append(
            PeerFacts(
                partner=str(r.partner),
                safety_stock=doc["safety_stock"],
                failed_proofs=tuple(doc["failed_proofs"]),
                split_views=tuple(doc["split_views"]),
            )
        )
    return out
