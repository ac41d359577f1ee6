"""Publishing one snapshot: intake → mapping → rules → zk → ledger → private tables.

:meth:`Publisher.publish` does the whole path for one request body. Everything
that can refuse the input runs before anything is written. Then, in order:

1. the items' salts (new items only; one short transaction);
2. commitments and proofs (no transaction open: this is the slow part);
3. ONE transaction with every private row: the snapshot (``pending``), all its
   positions with plaintext and openings, findings and exception cases;
4. ONE ledger append of ONE ``inventory.snapshot`` entry (the ledger store's own
   transaction), then a signed checkpoint;
5. the snapshot marked ``published`` with its entry index.

A crash between 3 and 5 leaves a ``pending`` snapshot that no read route shows;
it never leaves a ledger entry whose openings are lost.
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
from ledger.storage import LedgerStore, NewEntry
from node.api.transactions import write_transaction
from node.disclosure import active_policy
from node.inventory._checks import Checked, Position, check_intake
from node.inventory._entry import BELOW, ENTRY_KIND, Lineage, snapshot_body, subject_of
from node.inventory._intake import Intake, MappingContext, read_upload
from node.inventory._prove import Committed, commit_positions
from node.inventory._tables import (
    inventory_exceptions,
    inventory_findings,
    inventory_items,
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

    def _salts(self, positions: Sequence[Position]) -> list[str]:
        """The public subject of every position (new items get a fresh salt)."""
        keys = list(dict.fromkeys(p.key for p in positions))
        found = self._known_subjects(keys)
        new = [k for k in keys if k not in found]
        if new:
            rows = []
            for sku, location, lot in new:
                salt = self.rng.randbytes(32).hex()
                subject = subject_of(sku, location or None, lot or None, salt)
                rows.append(
                    {"subject": subject, "sku": sku, "location": location, "lot": lot, "salt": salt}
                )
            with write_transaction(self.engine) as conn:
                # another publish may add some of the same items first: keep its salts
                conn.execute(_insert_ignoring_conflicts(conn, inventory_items), rows)
            found = self._known_subjects(keys)
        return [found[p.key] for p in positions]

    def _known_subjects(self, keys: Sequence[_Key]) -> dict[_Key, str]:
        out: dict[_Key, str] = {}
        skus = sorted({k[0] for k in keys})
        with self.engine.connect() as conn:
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

    def _exceptions(
        self, committed: Sequence[Committed], now_ms: int, snapshot: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Governance cases for positions below safety stock, and cases that cleared.

        Returns (ledger events, case rows)."""
        below = {c.body.subject for c in committed if any(f.fact == BELOW for f in c.body.facts)}
        proven = {c.body.subject for c in committed if c.body.facts and c.body.subject not in below}
        subjects = sorted(below | proven)
        with self.engine.connect() as conn:
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
        """Commit, prove, store and append what :meth:`prepare` returned."""
        positions = checked.positions
        snapshot = self.rng.randbytes(16).hex()
        subjects = self._salts(positions)
        committed = commit_positions(
            positions,
            subjects,
            origin=self.origin,
            snapshot=snapshot,
            rng=self.rng,
            advance=advance,
            jobs=self.jobs,
        )
        now_ms = self.clock()
        signers = list(self.signers(now_ms))  # before writing: a node without keys stores nothing
        with self.engine.connect() as conn:
            policy_version = active_policy(conn).version
        events, case_rows = self._exceptions(committed, now_ms, snapshot)
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
        )
        digest = "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()
        findings = [{"n": n, **f.to_dict()} for n, f in checked.findings]
        self._store_private(
            snapshot=snapshot,
            intake=intake,
            lineage=lineage,
            committed=committed,
            findings=findings,
            case_rows=case_rows,
            now_ms=now_ms,
            digest=digest,
            published_by=published_by,
        )
        appended = self.store.append_many([NewEntry(ENTRY_KIND, body, now_ms)])[0]
        checkpoint = self.store.sign_checkpoint(signers, now_ms)
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(inventory_snapshots)
                .where(inventory_snapshots.c.id == snapshot)
                .values(
                    state="published",
                    seq=appended.seq,
                    leaf_hash=appended.leaf_hash.hex(),
                    checkpoint_size=checkpoint.size,
                )
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
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(inventory_snapshots).values(
                    id=snapshot,
                    state="pending",
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
            self._observe(
                conn, snapshot=snapshot, intake=intake, committed=committed, now_ms=now_ms
            )
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
