"""The governance service of a node: rules in force, metrics, exception cases.

The pure rules live in :mod:`governance`; this class supplies the clock, the
database and the ledger. Observations (``record_*``) update the stored metrics
and open the cases their findings call for; :meth:`GovernanceService.sweep`
(run by the background loop, or by a test with a controlled clock) opens cases
from the metrics and verified facts, resolves cases whose condition cleared and
flags SLA breaches. Every case transition is appended to the node's ledger
before the case row is written.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, literal, select

from governance import (
    ExceptionCase,
    Finding,
    GovernanceError,
    PartnerProfile,
    PeerFacts,
    RuleSet,
    check_document,
    cleared_cases,
    compare_capacity,
    compare_receipt,
    flag_breaches,
    open_case,
    plan_openings,
)
from node.api.node_log import NodeLog
from node.auth.roles import Role
from node.governance._case_store import load_case, load_cases, load_facts, save_case, save_event
from node.governance._db import write_transaction
from node.governance._intake import record_inbound
from node.governance._lease import SWEEP_LEASE, take_lease
from node.governance._ledger import append_events
from node.governance._metrics_store import check_partner_id
from node.governance._shared import shared
from node.governance._tables import (
    governance_cases,
    governance_facts,
    governance_metric_state,
)
from node.peers.registry import PeerRegistry

__all__ = ["CLEARED", "Clock", "GovernanceService", "SweepResult", "wall_clock_ms"]

Clock = Callable[[], int]
#: Resolution text of cases the sweep closes because their condition went away.
CLEARED = "condition cleared (re-evaluated by the node)"
ACTIONS = ("ack", "comment", "resolve")


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class SweepResult:
    opened: tuple[str, ...] = ()
    cleared: tuple[str, ...] = ()
    breached: tuple[str, ...] = ()


@dataclass
class _Batch:
    """Case changes and their events, written together."""

    changes: list[tuple[ExceptionCase, dict[str, Any]]] = field(default_factory=list)

    def add(self, case: ExceptionCase, event: dict[str, Any]) -> ExceptionCase:
        self.changes.append((case, event))
        return case


class GovernanceService:
    """One per app (``app.state``) or CLI invocation; thread-safe."""

    def __init__(self, engine: Engine, node_log: NodeLog, *, clock: Clock = wall_clock_ms) -> None:
        self.engine = engine
        self.node_log = node_log
        self.clock = clock
        self.metrics, self.rules = shared(engine)
        self._cases_lock = threading.RLock()
        #: This service's name as a lease holder (one per process and service).
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._started = False

    # -- set-up ----------------------------------------------------------------

    def start(self) -> None:
        """Store the default rule set on first start and publish pending rule sets."""
        now = self.clock()
        self.rules.ensure_default(now=now)
        self.rules.publish_pending(self.node_log, now=now)
        with self.engine.connect() as conn:
            self.metrics.refresh(conn)
        self._started = True

    def ensure_started(self) -> None:
        if not self._started:
            self.start()

    def has_data(self) -> bool:
        """Whether anything has been observed yet (metrics, facts or cases)."""
        with self.engine.connect() as conn:
            for table in (governance_metric_state, governance_facts, governance_cases):
                if conn.execute(select(literal(1)).select_from(table).limit(1)).first():
                    return True
        return False

    def tick(self) -> SweepResult:
        """One turn of the background loop: nothing until governance has data (so a
        node that does not use it gets no entries), then start (publishing the rule
        sets in force before anything is judged under them) and sweep."""
        if not self._started and not self.has_data():
            return SweepResult()
        self.ensure_started()
        return self.sweep()

    @property
    def origin(self) -> str:
        return self.node_log.origin

    def rule_set(self, now: int | None = None) -> RuleSet:
        return self.rules.in_force(at=self.clock() if now is None else now)

    # -- observations ----------------------------------------------------------

    def record_inbound(
        self,
        partner: str | PartnerProfile,
        record: Mapping[str, Any],
        *,
        received_at: int | None = None,
        conn: Connection | None = None,
        record_ref: str | None = None,
        ledger_index: int | None = None,
        mapping_profile: str | None = None,
        source_fields: Mapping[str, str] | None = None,
    ) -> tuple[Finding, ...]:
        """:func:`node.governance.record_inbound` at this service's clock."""
        return record_inbound(
            self.engine,
            partner,
            record,
            received_at=self.clock() if received_at is None else received_at,
            conn=conn,
            record_ref=record_ref,
            ledger_index=ledger_index,
            mapping_profile=mapping_profile,
            source_fields=source_fields,
        )

    def _observe(self, partner: str, at: int, change: Callable[[Any], Any]) -> None:
        check_partner_id(partner)
        with write_transaction(self.engine) as conn:
            self.metrics.observe(conn, partner, at, change)

    def record_mapping(
        self, partner: str, *, mapped: int, total: int, mapping_profile: str | None = None
    ) -> None:
        """One inbound export of ``partner``: ``mapped`` of ``total`` source fields mapped."""
        at = self.clock()
        self._observe(
            partner,
            at,
            lambda m: m.observe_mapping(
                at=at, mapped=mapped, total=total, mapping_profile=mapping_profile
            ),
        )

    def record_checkpoint(self, partner: str, *, witnesses: int) -> None:
        """A checkpoint of ``partner`` verified now, cosigned by ``witnesses`` witnesses."""
        at = self.clock()
        self._observe(partner, at, lambda m: m.observe_checkpoint(at=at, witnesses=witnesses))

    def record_feed(self, partner: str, *, as_of: int) -> None:
        """Facts of ``partner`` as of ``as_of`` verified now (read from its node): its
        feed's freshness moves (no record is counted)."""
        at = self.clock()
        self._observe(partner, at, lambda m: m.observe_feed(at=at, as_of=as_of))

    def stored_facts(self, partner: str) -> PeerFacts | None:
        """What :meth:`record_facts` last stored for ``partner``."""
        with self.engine.connect() as conn:
            return next((f for f in load_facts(conn) if f.partner == partner), None)

    def last_as_of(self, partner: str) -> int | None:
        """The newest as-of of ``partner``'s feed this node knows (records or facts)."""
        with self.engine.connect() as conn:
            self.metrics.refresh(conn)
        with self.metrics.lock:
            if partner not in self.metrics.network:
                return None
            return self.metrics.network.partner(partner).last_as_of

    def record_verification_failure(self, partner: str) -> None:
        at = self.clock()
        self._observe(partner, at, lambda m: m.observe_verification_failure(at=at))

    def record_facts(self, facts: PeerFacts, *, sweep: bool = True) -> SweepResult:
        """Replace what this node verified about ``facts.partner``'s log; opens and
        clears the cases the facts call for (``sweep=False``: stored only, for the
        next sweep of the SLA loop)."""
        from node.governance._case_store import save_facts

        check_partner_id(facts.partner)
        with write_transaction(self.engine) as conn:
            save_facts(conn, facts, now=self.clock())
        return self.sweep() if sweep else SweepResult()

    def record_document(
        self,
        partner: str | PartnerProfile,
        document: Mapping[str, Any],
        *,
        document_type: str | None = None,
    ) -> tuple[Finding, ...]:
        """Check a partner document; opens the cases its findings call for."""
        profile = partner if isinstance(partner, PartnerProfile) else PartnerProfile(partner)
        now = self.clock()
        rules = self.rule_set(now)
        found = check_document(
            document, rules, now=now, partner=profile, document_type=document_type
        )
        self._open_for_documents(profile.node_id, found, rules, now)
        return found

    def record_receipt(
        self,
        partner: str | PartnerProfile,
        despatch: Mapping[str, Any],
        receipt: Mapping[str, Any],
    ) -> tuple[Finding, ...]:
        """Compare a goods receipt with ``partner``'s despatch advice."""
        profile = partner if isinstance(partner, PartnerProfile) else PartnerProfile(partner)
        now = self.clock()
        rules = self.rule_set(now)
        found = compare_receipt(despatch, receipt, rules, partner=profile)
        self._open_for_documents(profile.node_id, found, rules, now)
        return found

    def record_capacity(
        self, partner: str, forecast: Mapping[str, Any], capacity: Mapping[str, Any]
    ) -> tuple[Finding, ...]:
        """Compare this node's demand forecast with ``partner``'s capacity."""
        now = self.clock()
        rules = self.rule_set(now)
        found = compare_capacity(forecast, capacity, rules)
        self._open_for_documents(partner, found, rules, now)
        return found

    def record_findings(
        self, partner: str, findings: Callable[[RuleSet], Sequence[Finding]]
    ) -> tuple[Finding, ...]:
        """Open the cases for findings another service made about ``partner`` under
        the rule set in force (``findings(rules)``): e.g. the planning service's
        capacity gaps per capacity group and against committed orders."""
        now = self.clock()
        rules = self.rule_set(now)
        found = tuple(findings(rules))
        self._open_for_documents(partner, found, rules, now)
        return found

    def _open_for_documents(
        self, partner: str, found: Sequence[Finding], rules: RuleSet, now: int
    ) -> None:
        check_partner_id(partner)
        with self._cases_lock:
            with self.engine.connect() as conn:
                current = load_cases(conn, unresolved_only=True, party=partner)
            batch = _Batch()
            for opening in plan_openings(
                rules=rules, document_findings={partner: found}, open_cases=current
            ):
                batch.add(*open_case(opening, rules, now=now, raised_by=self.origin))
            self._commit(batch, now)

    # -- cases -------------------------------------------------------------------

    def _commit(self, batch: _Batch, now: int) -> None:
        if not batch.changes:
            return
        indexes = append_events(self.node_log, [e for _, e in batch.changes], now=now)
        with write_transaction(self.engine) as conn:
            for (case, event), index in zip(batch.changes, indexes, strict=True):
                save_case(conn, case)
                save_event(conn, event, index, at=now)

    def partners(self, conn: Connection, *, with_cases: bool = False) -> list[str]:
        """Every partner the node watches: metrics, facts and registered partner peers
        (``with_cases``: also the other parties of its exception cases)."""
        self.metrics.refresh(conn)
        known = set(self.metrics.network.partners())
        if with_cases:
            found = conn.execute(select(governance_cases.c.assignee).distinct())
            known.update(str(a) for (a,) in found if a != self.origin)
        known.update(f.partner for f in load_facts(conn))
        for peer in PeerRegistry(conn).list():
            if peer.role is Role.PARTNER:
                known.add(peer.key.name)
        return sorted(known)

    def sweep(self, now: int | None = None) -> SweepResult:
        """Open cases from metrics and facts, clear gone conditions, flag breaches.

        Runs only in the process holding the sweep lease (another process sweeps
        meanwhile); returns an empty result otherwise."""
        if not take_lease(self.engine, SWEEP_LEASE, self.holder):
            return SweepResult()
        now = self.clock() if now is None else now
        rules = self.rule_set(now)
        with self._cases_lock:
            with self.engine.connect() as conn:
                partners = self.partners(conn)
                current = load_cases(conn, unresolved_only=True)
                facts = load_facts(conn)
            with self.metrics.lock:
                health = self.metrics.network.health(now=now, rules=rules, partners=partners)
            batch = _Batch()
            opened = [
                batch.add(*open_case(o, rules, now=now, raised_by=self.origin))
                for o in plan_openings(rules=rules, health=health, facts=facts, open_cases=current)
            ]
            gone = cleared_cases(current, rules=rules, health=health, facts=facts)
            cleared = []
            for case in gone:
                if case.raised_by == self.origin:
                    done, event = case.resolve(by=case.raised_by, at=now, resolution=CLEARED)
                    cleared.append(batch.add(done, event))
            cleared_ids = {c.id for c in cleared}
            still = [c for c in current if c.id not in cleared_ids] + [
                c for c in cleared if c.breached_at is None
            ]
            breached = [batch.add(c, e) for c, e in flag_breaches(still, now=now)]
            self._commit(batch, now)
        return SweepResult(
            tuple(c.id for c in opened), tuple(cleared_ids), tuple(c.id for c in breached)
        )

    def flag_breaches(self, now: int | None = None) -> tuple[str, ...]:
        """Flag (once, with a ledger entry) every unresolved case past a deadline at
        ``now``; the ids flagged. The sweep does this too; tests call it directly."""
        now = self.clock() if now is None else now
        with self._cases_lock:
            with self.engine.connect() as conn:
                current = load_cases(conn, unresolved_only=True)
            batch = _Batch()
            flagged = [batch.add(c, e) for c, e in flag_breaches(current, now=now)]
            self._commit(batch, now)
        return tuple(c.id for c in flagged)

    def act(self, case_id: str, action: str, *, by: str, text: str | None = None) -> ExceptionCase:
        """``ack`` / ``comment`` / ``resolve`` a case as ``by``; records a missed deadline."""
        if action not in ACTIONS:
            raise GovernanceError(f"unknown action {action!r}; use {', '.join(ACTIONS)}")
        now = self.clock()
        with self._cases_lock:
            with self.engine.connect() as conn:
                case = load_case(conn, case_id)
            if case is None:
                raise LookupError(case_id)
            batch = _Batch()
            if action == "ack":
                case = batch.add(*case.acknowledge(by=by, at=now, note=text))
            elif action == "comment":
                case = batch.add(*case.comment(by=by, at=now, text=text or ""))
            else:
                case = batch.add(*case.resolve(by=by, at=now, resolution=text or ""))
            flagged = case.flag_breach(at=now)
            if flagged is not None:
                case = batch.add(*flagged)
            self._commit(batch, now)
        return case

    def visible_case(self, case_id: str, party: str | None) -> ExceptionCase:
        """The case if ``party`` (None: this node's own staff) may see it, else LookupError."""
        with self.engine.connect() as conn:
            case = load_case(conn, case_id)
        if case is None or (party is not None and party not in {case.assignee, case.raised_by}):
            raise LookupError(case_id)
        return case


def all_cases(service: GovernanceService, **filters: Any) -> list[ExceptionCase]:
    with service.engine.connect() as conn:
        return load_cases(conn, **filters)
