"""Publishing one snapshot: intake → mapping → rules → zk → ledger + private tables.

:meth:`Publisher.publish` does the whole path for one request body. Everything
that can refuse the input runs before anything is written. Then:

1. new items get fresh salts (kept in memory for now) and every position its
   commitments and proofs (no transaction open: this is the slow part);
2. ONE database transaction (:meth:`LedgerStore.transaction`, holding the log's
   write lock) registers the new items, appends ONE ``inventory.snapshot``
   entry, signs a checkpoint covering it and writes every private row (the
   snapshot, all its positions with plaintext and openings, findings, cases,
   data-quality lineage), then commits.

A crash or an error anywhere before that commit leaves nothing: no entry
without its openings, no rows without their entry. If another publish
registered one of this snapshot's new items first (its salt wins), the
transaction rolls back, the positions of those items are committed and proven
again under the stored salt, and the transaction runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlalchemy import Connection, Engine, Insert, Table, insert, select, update

import zk
from governance import (
    PartnerProfile,
    PeerFacts,
    RuleSet,
    case_from_dict,
    case_to_dict,
    open_case,
    plan_openings,
    rule_set_digest,
)
from ledger import NoteSigner
from ledger.storage import LedgerStore, LedgerWriter
from node.disclosure import active_policy
from node.inventory._checks import Checked, Position, check_intake
from node.inventory._entry import BELOW, ENTRY_KIND, Lineage, snapshot_body, subject_of
from node.inventory._errors import ConflictError
from node.inventory._intake import Intake, MappingContext, read_upload
from node.inventory._movements import Planned, movement_rows, plan_sums, still_valid
from node.inventory._prove import Committed, commit_positions
from node.inventory._tables import (
    inventory_exceptions,
    inventory_findings,
    inventory_items,
    inventory_movements,
    inventory_positions,
    inventory_snapshots,
)

__all__ = ["Published", "Publisher"]

_GOV_BELOW = "below"
_Key = tuple[str, str, str]


def _insert_ignoring_conflicts(conn: Connection, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table).on_conflict_do_nothing()


_CHUNK = 500
#: transactions tried before a publish that keeps losing item races gives up
_ATTEMPTS = 4


class _StaleSums(Exception):
    """Another snapshot consumed these documents or moved these items meanwhile."""


class _StaleSalts(Exception):
    """Another publish stored some of this snapshot's new items first."""

    def __init__(self, subjects: dict[_Key, str]) -> None:
        super().__init__("items registered concurrently")
        self.subjects = subjects


@dataclass(frozen=True)
class Published:
    snapshot: str
    seq: int
    leaf_hash: str
    checkpoint: str
    checkpoint_size: int
    source: str | None
    profile_version: int | None
    rule_set: str
    policy_version: int
    positions: tuple[Committed, ...]
    findings: tuple[dict[str, Any], ...]
    exceptions: tuple[str, ...]
    movements: tuple[dict[str, Any], ...] = ()  # the entry's sum statements


@dataclass
class Publisher:
    """Everything one publish needs, passed in (no ambient clock or randomness)."""

    engine: Engine
    store: LedgerStore
    signers: Callable[[int], Sequence[NoteSigner]]
    origin: str
    mapping: Callable[[], MappingContext]
    rules: RuleSet
    clock: Callable[[], int]
    rng: zk.Rng
    jobs: int = 1  # worker processes for the range proofs (1: in this process)
    party: str | None = None  # this node's name in documents (default: the origin)

    def prepare(self, data: bytes, media_type: str, source: str | None) -> tuple[Intake, Checked]:
        """Parse, map and check; raises an InventoryError subclass, stores nothing."""
        intake = read_upload(data, media_type, source, self.mapping())
        return intake, check_intake(intake, self.rules, now_ms=self.clock(), node_id=self.origin)

    def publish(
        self,
        data: bytes,
        media_type: str,
        source: str | None,
        *,
        published_by: str,
        on_total: Callable[[int], None] = lambda _n: None,
        advance: Callable[[int], None] = lambda _n: None,
    ) -> Published:
        intake, checked = self.prepare(data, media_type, source)
        on_total(len(checked.positions))
        return self.publish_checked(intake, checked, published_by=published_by, advance=advance)

    # -- steps -------------------------------------------------------------------------

    def _salts(self, positions: Sequence[Position]) -> tuple[list[str], list[dict[str, str]]]:
        """The public subject of every position, and the rows of new items (each
        with a fresh salt; stored in the publish transaction)."""
        keys = list(dict.fromkeys(p.key for p in positions))
        found = self._known_subjects(keys, None)
        rows = []
        for key in keys:
            if key not in found:
                sku, location, lot = key
                salt = self.rng.randbytes(32).hex()
                found[key] = subject_of(sku, location or None, lot or None, salt)
                rows.append(
                    {
                        "subject": found[key],
                        "sku": sku,
                        "location": location,
                        "lot": lot,
                        "salt": salt,
                    }
                )
        return [found[p.key] for p in positions], rows

    def _known_subjects(self, keys: Sequence[_Key], conn: Connection | None) -> dict[_Key, str]:
        if conn is None:
            with self.engine.connect() as own:
                return self._known_subjects(keys, own)
        out: dict[_Key, str] = {}
        skus = sorted({k[0] for k in keys})
        for start in range(0, len(skus), _CHUNK):
            rows = conn.execute(
                select(
                    inventory_items.c.sku,
                    inventory_items.c.location,
                    inventory_items.c.lot,
                    inventory_items.c.subject,
                ).where(inventory_items.c.sku.in_(skus[start : start + _CHUNK]))
            )
            for r in rows:
                out[(r[0], r[1], r[2])] = r[3]
        return out

    def _register_items(self, conn: Connection, rows: Sequence[dict[str, str]]) -> None:
        """Store the new items; _StaleSalts if another publish stored one first."""
        if not rows:
            return
        for start in range(0, len(rows), _CHUNK):
            conn.execute(
                _insert_ignoring_conflicts(conn, inventory_items), rows[start : start + _CHUNK]
            )
        keys = [(r["sku"], r["location"], r["lot"]) for r in rows]
        stored = self._known_subjects(keys, conn)
        lost = {k: stored[k] for k, r in zip(keys, rows, strict=True) if stored[k] != r["subject"]}
        if lost:
            raise _StaleSalts(lost)

    def _exceptions(
        self, conn: Connection, committed: Sequence[Committed], now_ms: int, snapshot: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Governance cases for positions below safety stock, and cases that cleared.

        Returns (ledger events, case rows)."""
        below = {c.body.subject for c in committed if any(f.fact == BELOW for f in c.body.facts)}
        proven = {c.body.subject for c in committed if c.body.facts and c.body.subject not in below}
        subjects = sorted(below | proven)
        stored = (
            [
                case_from_dict(json.loads(r[0]))
                for r in conn.execute(
                    select(inventory_exceptions.c.document).where(
                        inventory_exceptions.c.state != "resolved",
                        inventory_exceptions.c.subject.in_(subjects),
                    )
                )
            ]
            if subjects
            else []
        )
        events: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        facts = PeerFacts(partner=self.origin, safety_stock=dict.fromkeys(below, _GOV_BELOW))
        for opening in plan_openings(rules=self.rules, facts=[facts], open_cases=stored):
            case, event = open_case(opening, self.rules, now=now_ms, raised_by=self.origin)
            events.append(event)
            rows.append(self._case_row(case, snapshot, now_ms))
        for case in stored:
            if case.subject in proven and case.is_open:
                done, event = case.resolve(
                    by=self.origin, at=now_ms, resolution="condition cleared"
                )
                events.append(event)
                rows.append(self._case_row(done, snapshot, now_ms))
        return events, rows

    @staticmethod
    def _case_row(case: Any, snapshot: str, now_ms: int) -> dict[str, Any]:
        return {
            "case_id": case.id,
            "snapshot_id": snapshot,
            "subject": case.subject,
            "type": case.type.value,
            "state": case.state.value,
            "document": json.dumps(case_to_dict(case), sort_keys=True),
            "opened_ms": case.opened_at,
        }

    def publish_checked(
        self,
        intake: Intake,
        checked: Checked,
        *,
        published_by: str,
        advance: Callable[[int], None] = lambda _n: None,
    ) -> Published:
        """Commit, prove, append and store what :meth:`prepare` returned (one transaction)."""
        positions = checked.positions
        snapshot = self.rng.randbytes(16).hex()
        subjects, new_items = self._salts(positions)
        committed = self._commit(positions, subjects, snapshot, advance)
        planned = self._plan(committed, snapshot)
        now_ms = self.clock()
        signers = list(self.signers(now_ms))  # before writing: a node without keys stores nothing
        for _attempt in range(_ATTEMPTS):
            try:
                with self.store.transaction() as writer:
                    return self._write(
                        writer,
                        snapshot=snapshot,
                        intake=intake,
                        checked=checked,
                        committed=committed,
                        new_items=new_items,
                        planned=planned,
                        signers=signers,
                        now_ms=now_ms,
                        published_by=published_by,
                    )
            except _StaleSalts as stale:
                # another publish stored some of these items first: its salts stand
                subjects = [
                    stale.subjects.get(p.key, s) for p, s in zip(positions, subjects, strict=True)
                ]
                new_items = [
                    r
                    for r in new_items
                    if (r["sku"], r["location"], r["lot"]) not in stale.subjects
                ]
                redo = [n for n, p in enumerate(positions) if p.key in stale.subjects]
                again = self._commit(
                    [positions[n] for n in redo],
                    [subjects[n] for n in redo],
                    snapshot,
                    lambda _n: None,
                )
                for n, c in zip(redo, again, strict=True):
                    committed[n] = c
                planned = self._plan(committed, snapshot)
            except _StaleSums:
                planned = self._plan(committed, snapshot)
        raise ConflictError(
            "concurrent publishes kept changing the items or documents of this snapshot "
            f"({_ATTEMPTS} attempts)"
        )

    def _plan(self, committed: Sequence[Committed], snapshot: str) -> list[Planned]:
        """The sum statements over the documents not consumed yet (proofs made here)."""
        with self.engine.connect() as conn:
            return plan_sums(
                conn,
                committed,
                party=self.party or self.origin,
                origin=self.origin,
                snapshot=snapshot,
                rng=self.rng,
            )

    def _commit(
        self,
        positions: Sequence[Position],
        subjects: Sequence[str],
        snapshot: str,
        advance: Callable[[int], None],
    ) -> list[Committed]:
        return commit_positions(
            positions,
            subjects,
            origin=self.origin,
            snapshot=snapshot,
            rng=self.rng,
            advance=advance,
            jobs=self.jobs,
        )

    def _write(
        self,
        writer: LedgerWriter,
        *,
        snapshot: str,
        intake: Intake,
        checked: Checked,
        committed: Sequence[Committed],
        new_items: Sequence[dict[str, str]],
        planned: Sequence[Planned],
        signers: Sequence[NoteSigner],
        now_ms: int,
        published_by: str,
    ) -> Published:
        """Everything the snapshot writes, on the writer's one transaction."""
        conn = writer.conn
        self._register_items(conn, new_items)
        if not still_valid(conn, planned):
            raise _StaleSums("documents or items changed under this snapshot")
        policy_version = active_policy(conn).version
        events, case_rows = self._exceptions(conn, committed, now_ms, snapshot)
        lineage = Lineage(
            intake.source,
            intake.profile_version,
            self.rules.ref,
            rule_set_digest(self.rules),
            policy_version,
        )
        body = snapshot_body(
            snapshot=snapshot,
            received_ms=now_ms,
            lineage=lineage,
            generators=zk.DEFAULT_GENERATORS.digest,
            positions=[c.body for c in committed],
            exceptions=events,
            movements=[p.statement for p in planned],
        )
        digest = "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()
        findings = [{"n": n, **f.to_dict()} for n, f in checked.findings]
        appended = writer.append(ENTRY_KIND, body, now_ms)
        checkpoint = writer.sign_checkpoint(signers, now_ms)
        rows = movement_rows(snapshot, planned)
        if rows:
            conn.execute(insert(inventory_movements), rows)
        self._store_private(
            conn,
            snapshot=snapshot,
            intake=intake,
            lineage=lineage,
            committed=committed,
            findings=findings,
            case_rows=case_rows,
            now_ms=now_ms,
            digest=digest,
            published_by=published_by,
            published={
                "state": "published",
                "seq": appended.seq,
                "leaf_hash": appended.leaf_hash.hex(),
                "checkpoint_size": checkpoint.size,
            },
        )
        return Published(
            snapshot=snapshot,
            seq=appended.seq,
            leaf_hash=appended.leaf_hash.hex(),
            checkpoint=checkpoint.text,
            checkpoint_size=checkpoint.size,
            source=intake.source,
            profile_version=intake.profile_version,
            rule_set=self.rules.ref,
            policy_version=policy_version,
            positions=tuple(committed),
            findings=tuple(findings),
            exceptions=tuple(r["case_id"] for r in case_rows),
            movements=tuple(p.statement for p in planned),
        )

    def _observe(
        self,
        conn: Connection,
        *,
        snapshot: str,
        intake: Intake,
        committed: Sequence[Committed],
        now_ms: int,
    ) -> None:
        """Count every position in the node's data-quality metrics, with lineage rows
        (governance's inbound batch, written in this transaction)."""
        from node.governance import inbound_batch

        partner = PartnerProfile(self.origin, intake.zone)
        profile = None if intake.source is None else f"{intake.source}@{intake.profile_version}"
        with inbound_batch(self.engine, conn) as batch:
            for n, c in enumerate(committed):
                p = c.position
                record: dict[str, Any] = {
                    "sku": p.sku,
                    "location": p.location,
                    "lot": p.lot,
                    "as_of": p.as_of_ms,
                    "quantities": dict(p.quantities),
                }
                batch.record_inbound(
                    partner,
                    {k: v for k, v in record.items() if v is not None},
                    received_at=now_ms,
                    record_ref=f"{snapshot}/{n}",
                    mapping_profile=profile,
                    source_fields=intake.source_fields,
                )

    def _store_private(
        self,
        conn: Connection,
        *,
        snapshot: str,
        intake: Intake,
        lineage: Lineage,
        committed: Sequence[Committed],
        findings: Sequence[dict[str, Any]],
        case_rows: Sequence[dict[str, Any]],
        now_ms: int,
        digest: str,
        published_by: str,
        published: dict[str, Any],
    ) -> None:
        position_rows = [
            {
                "snapshot_id": snapshot,
                "n": n,
                "subject": c.body.subject,
                "sku": c.position.sku,
                "location": c.position.location,
                "lot": c.position.lot,
                "as_of_ms": c.position.as_of_ms,
                "uom": c.position.uom,
                "quantities": json.dumps(dict(c.position.quantities)),
                "safety_stock": None
                if c.position.safety_stock is None
                else str(c.position.safety_stock),
                "extras": json.dumps(dict(c.position.extras), ensure_ascii=False),
                "commitments": json.dumps({k: v.hex() for k, v in c.body.commitments.items()}),
                "openings": json.dumps({k: o.to_bytes().hex() for k, o in c.openings.items()}),
                "facts": json.dumps([f.to_json() for f in c.body.facts]),
            }
            for n, c in enumerate(committed)
        ]
        finding_rows = [
            {
                "snapshot_id": snapshot,
                "n": f["n"],
                "rule_id": f["rule_id"],
                "rule_set": f["rule_set"],
                "rule_version": f["rule_version"],
                "severity": f["severity"],
                "field": f["field"],
                "message": f["message"],
            }
            for f in findings
        ]
        conn.execute(
            insert(inventory_snapshots).values(
                id=snapshot,
                **published,
                source=intake.source,
                profile_version=intake.profile_version,
                rule_set=lineage.rule_set,
                rule_set_digest=lineage.rule_set_digest,
                policy_version=lineage.policy_version,
                received_ms=now_ms,
                position_count=len(committed),
                body_digest=digest,
                published_by=published_by,
            )
        )
        for start in range(0, len(position_rows), _CHUNK):
            conn.execute(insert(inventory_positions), position_rows[start : start + _CHUNK])
        self._observe(conn, snapshot=snapshot, intake=intake, committed=committed, now_ms=now_ms)
        if finding_rows:
            conn.execute(insert(inventory_findings), finding_rows)
        for row in case_rows:
            existing = conn.execute(
                select(inventory_exceptions.c.case_id).where(
                    inventory_exceptions.c.case_id == row["case_id"]
                )
            ).first()
            if existing is None:
                conn.execute(insert(inventory_exceptions).values(**row))
            else:
                conn.execute(
                    update(inventory_exceptions)
                    .where(inventory_exceptions.c.case_id == row["case_id"])
                    .values(state=row["state"], document=row["document"])
                )
