"""The borrower's financing service: grants, pledges, coverage proofs, exports.

Everything is passed in (engine, ledger store, signing keys, clock, randomness).
The pure rules live in the ``_``-modules next to this one; this module fetches
rows and ledger entries, calls them, and appends what they return.

Pledge life cycle: :meth:`Finance.request_pledge` (borrower commits to the
quantity, range-proves it and signs; the row is ``requested``) → the bank signs
the same pledge text (:meth:`Pledge.sign`, on the bank's own node) →
:meth:`Finance.complete_pledge` checks both signatures, then proves coverage of
every snapshot of the subject in the period with ALL active pledges plus this
one. If any snapshot cannot cover them, the pledge is ``refused``
(:class:`PledgeRefusedError`) and nothing is logged; otherwise the pledge entry
and the coverage entries are appended and a checkpoint is signed.

Completion and proving are serialised by a lock within one process. Several
worker processes on one database would need a database-level lock (not done): two
pledges completing at the same instant in two processes could both pass the check.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, insert, select, update

import zk
from ledger import Entry, JSONValue, NoteSigner, canonical_json
from ledger.storage import LedgerStore, NewEntry
from node.disclosure import Grant, add_grant
from node.finance._bundle import FinancingHeader, build_financing_bundle
from node.finance._collateral import Collateral
from node.finance._coverage import COVERAGE_KIND, Coverage, PledgeRef, prove_coverage_at
from node.finance._errors import (
    FinanceError,
    FinanceFormatError,
    FinanceNotFoundError,
    PledgeRefusedError,
)
from node.finance._grant import GRANT_KIND, GrantRecord, grant_digest
from node.finance._pledge import (
    PLEDGE_BITS,
    PLEDGE_KIND,
    Pledge,
    SignedPledge,
    pledge_context,
)
from node.finance._registry import RegistryHit, period_keys, registry_lookup
from node.finance._tables import finance_grants, finance_pledges
from node.inventory import inventory_items, inventory_positions, inventory_snapshots

__all__ = ["CoverResult", "Finance", "Shortfall", "SnapshotOpening"]

#: Serialises pledge completion and coverage proving within one node process.
_PLEDGE_LOCK = threading.RLock()


@dataclass(frozen=True)
class SnapshotOpening:
    """One published position of a subject: its entry, as-of time, available opening."""

    seq: int
    snapshot: str
    subject: str
    as_of_ms: int
    available: zk.Opening


@dataclass(frozen=True)
class Shortfall:
    """A snapshot under pledge whose committed available stock cannot cover its pledges."""

    seq: int
    snapshot: str
    subject: str
    as_of_ms: int
    pledges: int


@dataclass(frozen=True)
class CoverResult:
    """What a coverage round did: the entries it logged, the snapshots it could not prove."""

    logged: tuple[int, ...]
    shortfalls: tuple[Shortfall, ...]


@dataclass
class Finance:
    engine: Engine
    store: LedgerStore
    signers: Callable[[int], Sequence[NoteSigner]]
    clock: Callable[[], int]
    rng: zk.Rng

    @property
    def origin(self) -> str:
        return self.store.origin

    def _signer(self, now: int) -> NoteSigner:
        return self.signers(now)[0]

    def _append(self, items: Sequence[tuple[str, dict[str, JSONValue]]]) -> list[int]:
        now = self.clock()
        done = self.store.append_many([NewEntry(kind, body, now) for kind, body in items])
        self.store.sign_checkpoint(self.signers(now), now)
        return [a.seq for a in done]

    # -- grants --------------------------------------------------------------------

    def subject_of(self, sku: str, site: str, lot: str | None = None) -> str:
        """The inventory subject of (sku, site) or of one lot of it; FinanceFormatError if the
        borrower never published that item (a lot its snapshots do not carry)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(inventory_items.c.subject).where(
                    inventory_items.c.sku == sku,
                    inventory_items.c.location == site,
                    inventory_items.c.lot == (lot or ""),
                )
            ).first()
            lots = []
            if row is None and lot:
                lots = sorted(
                    str(x)
                    for x in conn.execute(
                        select(inventory_items.c.lot).where(
                            inventory_items.c.sku == sku,
                            inventory_items.c.location == site,
                            inventory_items.c.lot != "",
                        )
                    ).scalars()
                )
        if row is None and lot:
            carried = ", ".join(repr(x) for x in lots[:10]) if lots else "no lots"
            raise FinanceFormatError(
                f"no published stock of lot {lot!r} of SKU {sku!r} at site {site!r}: "
                f"the borrower's snapshots carry {carried} there"
            )
        if row is None:
            raise FinanceFormatError(f"no published stock of SKU {sku!r} at site {site!r}")
        return str(row[0])

    def grant(
        self, *, bank: str, skus: Sequence[str], sites: Sequence[str], from_ms: int, to_ms: int
    ) -> tuple[Grant, GrantRecord, int]:
        """Grant ``bank`` the openings of available stock of these SKUs and sites."""
        now = self.clock()
        with self.engine.begin() as conn:
            grant = add_grant(
                conn,
                now_ms=now,
                grantee=bank,
                role="bank",
                skus=list(skus),
                locations=list(sites),
                from_ms=from_ms,
                to_ms=to_ms,
                buckets=["available"],
            )
        with self.engine.connect() as conn:
            items = conn.execute(
                select(inventory_items.c.subject, inventory_items.c.sku, inventory_items.c.location)
            ).all()
        subjects = sorted(
            str(r[0]) for r in items if grant.covers(str(r[1]), str(r[2]) or None, from_ms)
        )
        record = GrantRecord(
            grant.id, bank, from_ms, to_ms, tuple(subjects), grant_digest(grant.to_json())
        )
        seq = self._append([(GRANT_KIND, record.to_body())])[0]
        with self.engine.begin() as conn:
            conn.execute(
                insert(finance_grants).values(
                    grant_id=grant.id,
                    bank=bank,
                    seq=seq,
                    subjects=json.dumps(subjects),
                    from_ms=from_ms,
                    to_ms=to_ms,
                )
            )
        return grant, record, seq

    def _grant_row(self, grant_id: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(finance_grants).where(finance_grants.c.grant_id == grant_id)
            ).first()
        if row is None:
            raise FinanceNotFoundError(f"no logged grant {grant_id!r}")
        return row

    # -- pledges -------------------------------------------------------------------

    def request_pledge(
        self,
        *,
        grant_id: str,
        bank_vkey: str,
        sku: str,
        site: str,
        quantity: int,
        from_ms: int,
        to_ms: int,
        lot: str | None = None,
    ) -> SignedPledge:
        """A pledge signed by the borrower, for the bank to countersign; ``lot`` pledges
        one lot of (sku, site), covered by that lot's positions only."""
        grant = self._grant_row(grant_id)
        subject = self.subject_of(sku, site, lot)
        if subject not in json.loads(grant.subjects):
            what = f"lot {lot!r} of {sku!r}" if lot else repr(sku)
            raise FinanceFormatError(f"grant {grant_id} does not cover {what} at {site!r}")
        if not grant.from_ms <= from_ms <= to_ms <= grant.to_ms:
            raise FinanceFormatError("the pledge period must lie inside the grant period")
        if isinstance(quantity, bool) or not 0 < quantity < 2**PLEDGE_BITS:
            raise FinanceFormatError(f"a pledged quantity is an integer in (0, 2^{PLEDGE_BITS})")
        now = self.clock()
        signer = self._signer(now)
        pledge_id = self.rng.randbytes(16).hex()
        commitment, opening = zk.commit(quantity, rng=self.rng)
        proof = zk.prove_range(
            [opening],
            bits=PLEDGE_BITS,
            context=pledge_context(pledge_id, self.origin, subject),
            rng=self.rng,
        )
        pledge = Pledge(
            id=pledge_id,
            borrower=self.origin,
            borrower_vkey=signer.vkey,
            bank=str(grant.bank),
            bank_vkey=bank_vkey,
            subject=subject,
            registry=period_keys(self.origin, sku, site, from_ms, to_ms, lot=lot),
            commitment=commitment.to_bytes(),
            range_proof=proof.to_bytes(),
            from_ms=from_ms,
            to_ms=to_ms,
            grant=grant_id,
            created_ms=now,
            prior=tuple(
                (ref.id, ref.seq)
                for ref, _o, f, t in self._active(subject)
                if f <= to_ms and t >= from_ms
            ),
        )
        signed = SignedPledge(pledge, (pledge.sign(signer).rstrip("\n"),))
        with self.engine.begin() as conn:
            conn.execute(
                insert(finance_pledges).values(
                    id=pledge_id,
                    state="requested",
                    grant_id=grant_id,
                    bank=pledge.bank,
                    subject=subject,
                    sku=sku,
                    site=site,
                    quantity=quantity,
                    opening=opening.to_bytes().hex(),
                    from_ms=from_ms,
                    to_ms=to_ms,
                    pledge=canonical_json(pledge.to_json()).decode("utf-8"),
                    signatures=json.dumps(list(signed.signatures)),
                    created_ms=now,
                )
            )
        return signed

    def pledge(self, pledge_id: str) -> tuple[SignedPledge, str, int | None]:
        """A pledge this node made (signed pledge, state, entry index once logged)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(finance_pledges).where(finance_pledges.c.id == pledge_id)
            ).first()
        if row is None:
            raise FinanceNotFoundError(f"no pledge {pledge_id!r}")
        signed = SignedPledge.from_body(
            {"pledge": json.loads(row.pledge), "signatures": json.loads(row.signatures)}
        )
        return signed, str(row.state), None if row.seq is None else int(row.seq)

    def collateral_of(self, pledge_id: str) -> Collateral:
        """The (sku, site, lot) a pledge of this node is on, for its bank (point to point)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(finance_pledges.c.sku, finance_pledges.c.site, inventory_items.c.lot)
                .join(inventory_items, inventory_items.c.subject == finance_pledges.c.subject)
                .where(finance_pledges.c.id == pledge_id)
            ).first()
        if row is None:
            raise FinanceNotFoundError(f"no pledge {pledge_id!r}")
        return Collateral(str(row[0]), str(row[1]), str(row[2]) or None)

    def complete_pledge(self, pledge_id: str, bank_signature: str) -> tuple[SignedPledge, int]:
        """Add the bank's signature, check coverage with every active pledge, log it.

        One pledge at a time per process: the check and the append must not
        interleave with another pledge's (two banks co-signing at once)."""
        with _PLEDGE_LOCK:
            return self._complete(pledge_id, bank_signature)

    def _complete(self, pledge_id: str, bank_signature: str) -> tuple[SignedPledge, int]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(finance_pledges).where(finance_pledges.c.id == pledge_id)
            ).first()
        if row is None:
            raise FinanceNotFoundError(f"no pledge {pledge_id!r}")
        if row.state != "requested":
            raise FinanceFormatError(f"pledge {pledge_id} is {row.state}, not awaiting the bank")
        pledge = SignedPledge.from_body(
            {"pledge": json.loads(row.pledge), "signatures": json.loads(row.signatures)}
        ).pledge
        signed = SignedPledge(
            pledge, (*json.loads(row.signatures), bank_signature.strip().rstrip("\n"))
        )
        signed.verify_signatures()
        try:
            self._check_prior(pledge)
            self._check_covered(pledge, int(row.quantity))
        except PledgeRefusedError as exc:
            self._set(pledge_id, state="refused", reason=str(exc))
            raise
        seq = self._append([(PLEDGE_KIND, signed.to_body())])[0]
        self._set(
            pledge_id, state="active", seq=seq, signatures=json.dumps(list(signed.signatures))
        )
        self.cover(pledge.subject)
        return signed, seq

    def _check_prior(self, pledge: Pledge) -> None:
        """Refuse a pledge whose list of earlier pledges (what the bank signed) is stale."""
        now = {
            (ref.id, ref.seq)
            for ref, _o, f, t in self._active(pledge.subject)
            if f <= pledge.to_ms and t >= pledge.from_ms
        }
        if now != set(pledge.prior):
            raise PledgeRefusedError(
                "the pledges on this stock changed since the request; make a new request "
                "for the bank to sign"
            )

    def _check_covered(self, pledge: Pledge, quantity: int) -> None:
        """Refuse a pledge that a snapshot of its period cannot cover with the active ones."""
        active = self._active(pledge.subject)
        for snap in self.snapshots(pledge.subject, pledge.from_ms, pledge.to_ms):
            on = [o for _, o, f, t in active if f <= snap.as_of_ms <= t]
            if int(snap.available.value) < quantity + sum(int(o.value) for o in on):
                raise PledgeRefusedError(
                    f"the stock of snapshot {snap.snapshot} (entry {snap.seq}) cannot cover "
                    f"this pledge and the {len(on)} pledge(s) already active on it"
                )

    def _set(self, pledge_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(finance_pledges).where(finance_pledges.c.id == pledge_id).values(**values)
            )

    def _active(self, subject: str) -> list[tuple[PledgeRef, zk.Opening, int, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(finance_pledges)
                .where(
                    and_(finance_pledges.c.subject == subject, finance_pledges.c.state == "active")
                )
                .order_by(finance_pledges.c.seq)
            ).all()
        return [
            (
                PledgeRef(str(r.id), int(r.seq)),
                zk.Opening.from_bytes(bytes.fromhex(r.opening)),
                int(r.from_ms),
                int(r.to_ms),
            )
            for r in rows
        ]

    def snapshots(self, subject: str, from_ms: int, to_ms: int) -> list[SnapshotOpening]:
        """Published positions of ``subject`` with an as-of time in the period, in log order."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    inventory_snapshots.c.seq,
                    inventory_snapshots.c.id,
                    inventory_positions.c.as_of_ms,
                    inventory_positions.c.openings,
                )
                .join(
                    inventory_positions,
                    inventory_positions.c.snapshot_id == inventory_snapshots.c.id,
                )
                .where(
                    inventory_snapshots.c.state == "published",
                    inventory_positions.c.subject == subject,
                    inventory_positions.c.as_of_ms >= from_ms,
                    inventory_positions.c.as_of_ms <= to_ms,
                )
                .order_by(inventory_snapshots.c.seq)
            ).all()
        out = []
        for seq, snap, as_of, openings in rows:
            available = json.loads(openings).get("available")
            if available is None:
                continue
            out.append(
                SnapshotOpening(
                    int(seq),
                    str(snap),
                    subject,
                    int(as_of),
                    zk.Opening.from_bytes(bytes.fromhex(available)),
                )
            )
        return out

    def _prove_all(
        self, subject: str, current: dict[tuple[int, str], tuple[PledgeRef, ...]]
    ) -> tuple[list[Coverage], list[Shortfall]]:
        """Coverage proofs of the snapshots of ``subject`` whose latest proof is out of date,
        and the snapshots whose stock cannot cover their pledges (no proof exists)."""
        active = self._active(subject)
        if not active:
            return [], []
        start = min(a[2] for a in active)
        end = max(a[3] for a in active)
        out: list[Coverage] = []
        short: list[Shortfall] = []
        for snap in self.snapshots(subject, start, end):
            on = [(ref, o) for ref, o, f, t in active if f <= snap.as_of_ms <= t]
            if not on:
                continue
            wanted = tuple(ref for ref, _ in on)
            if current.get((snap.seq, subject)) == wanted:
                continue
            cov = prove_coverage_at(
                origin=self.origin,
                snapshot=snap.snapshot,
                snapshot_seq=snap.seq,
                subject=subject,
                as_of_ms=snap.as_of_ms,
                available=snap.available,
                pledges=on,
                rng=self.rng,
            )
            if cov is None:
                short.append(Shortfall(snap.seq, snap.snapshot, subject, snap.as_of_ms, len(on)))
            else:
                out.append(cov)
        return out, short

    def _latest_coverage(self) -> dict[tuple[int, str], tuple[PledgeRef, ...]]:
        found: dict[tuple[int, str], tuple[PledgeRef, ...]] = {}
        for stored in self.store.entries_of_kind(COVERAGE_KIND):
            if stored.leaf is None:
                continue
            cov = Coverage.from_body(Entry.from_leaf(stored.leaf).body)
            found[(cov.snapshot_seq, cov.subject)] = cov.pledges
        return found

    def cover(self, subject: str) -> list[int]:
        """Prove coverage for every snapshot whose latest coverage entry is out of date.

        Raises PledgeRefusedError (after logging the proofs that do exist) when a
        snapshot's stock cannot cover its pledges."""
        result = self.cover_subjects([subject])
        if result.shortfalls:
            s = result.shortfalls[0]
            raise PledgeRefusedError(
                f"the stock of snapshot {s.snapshot} (entry {s.seq}) cannot cover "
                f"all {s.pledges} active pledge(s) on it"
            )
        return list(result.logged)

    def cover_subjects(self, subjects: Sequence[str]) -> CoverResult:
        """Prove every out-of-date snapshot of ``subjects``; idempotent (a snapshot whose
        latest coverage entry lists exactly its active pledges is not proven again)."""
        with _PLEDGE_LOCK:
            current = self._latest_coverage()
            proofs: list[Coverage] = []
            short: list[Shortfall] = []
            for subject in sorted(set(subjects)):
                got, missing = self._prove_all(subject, current)
                proofs.extend(got)
                short.extend(missing)
            logged = self._append([(COVERAGE_KIND, c.to_body()) for c in proofs]) if proofs else []
        return CoverResult(tuple(logged), tuple(short))

    def pledged_subjects(self) -> list[str]:
        """Subjects with at least one active pledge."""
        with self.engine.connect() as conn:
            subjects = (
                conn.execute(
                    select(finance_pledges.c.subject)
                    .where(finance_pledges.c.state == "active")
                    .distinct()
                )
                .scalars()
                .all()
            )
        return sorted(str(s) for s in subjects)

    def catch_up(self) -> CoverResult:
        """Coverage for every snapshot under an active pledge that lacks an up-to-date proof."""
        return self.cover_subjects(self.pledged_subjects())

    def cover_all(self) -> list[int]:
        return list(self.catch_up().logged)

    # -- registry ------------------------------------------------------------------

    def logged_pledges(self) -> list[tuple[int, SignedPledge]]:
        out = []
        for stored in self.store.entries_of_kind(PLEDGE_KIND):
            if stored.leaf is not None:
                out.append((stored.seq, SignedPledge.from_body(Entry.from_leaf(stored.leaf).body)))
        return out

    def registry(self, keys: Sequence[str]) -> list[RegistryHit]:
        return registry_lookup(self.logged_pledges(), keys)

    # -- export --------------------------------------------------------------------

    def export(self, *, bank: str, from_ms: int, to_ms: int, vkeys: Sequence[str]) -> bytes:
        """The financing bundle for ``bank`` over the period (see docs/financing.md)."""
        return self.export_entries(self.select_entries(bank, from_ms, to_ms), vkeys=vkeys)

    def select_entries(self, bank: str, from_ms: int, to_ms: int) -> FinancingHeader:
        """Which entries a financing bundle for ``bank`` over the period holds."""
        pledges = [
            (seq, sp)
            for seq, sp in self.logged_pledges()
            if sp.pledge.from_ms <= to_ms and sp.pledge.to_ms >= from_ms
        ]
        subjects = sorted({sp.pledge.subject for _, sp in pledges if sp.pledge.bank == bank})
        if not subjects:
            raise FinanceError(f"no pledge to {bank} in the period")
        logged = dict(self.logged_pledges())
        pledges = [(seq, sp) for seq, sp in pledges if sp.pledge.subject in subjects]
        seqs = {seq for seq, _ in pledges}
        for _seq, sp in list(pledges):  # the pledges each bank knew of when it signed
            for _pid, prior in sp.pledge.prior:
                if prior not in seqs and prior in logged:
                    seqs.add(prior)
                    pledges.append((prior, logged[prior]))
        grant_ids = {sp.pledge.grant for _, sp in pledges}
        grants = [
            s.seq
            for s in self.store.entries_of_kind(GRANT_KIND)
            if s.leaf is not None
            and GrantRecord.from_body(Entry.from_leaf(s.leaf).body).grant in grant_ids
        ]
        snaps = sorted(
            {s.seq for subject in subjects for s in self.snapshots(subject, from_ms, to_ms)}
        )
        coverage = [
            s.seq
            for s in self.store.entries_of_kind(COVERAGE_KIND)
            if s.leaf is not None
            and (c := Coverage.from_body(Entry.from_leaf(s.leaf).body)).subject in subjects
            and c.snapshot_seq in snaps
        ]
        roles: dict[str, tuple[int, ...]] = {
            "grants": tuple(grants),
            "pledges": tuple(sorted(seq for seq, _ in pledges)),
            "snapshots": tuple(snaps),
            "coverage": tuple(coverage),
        }
        return FinancingHeader(bank, from_ms, to_ms, tuple(subjects), roles)

    def export_entries(self, header: FinancingHeader, *, vkeys: Sequence[str]) -> bytes:
        """The signed financing bundle of the entries ``header`` lists."""
        wanted = sorted({i for items in header.roles.values() for i in items})
        cp = self._checkpoint_for(max(wanted))
        entries = []
        for index in wanted:
            leaf = self.store.entry(index).leaf
            if leaf is None:
                raise FinanceError(f"entry {index}'s payload was deleted; cannot export it")
            entries.append((index, leaf, self.store.inclusion_proof(index, cp.size)))
        return build_financing_bundle(
            origin=self.origin,
            vkeys=vkeys,
            header=header,
            entries=entries,
            size=cp.size,
            checkpoint_note=cp.text,
            signer=self._signer(self.clock()),
        )

    def _checkpoint_for(self, index: int) -> Any:
        """The newest cosigned checkpoint covering ``index``, else a fresh signed one."""
        for cp in reversed(self.store.checkpoints()):
            if cp.size > index and cp.cosignatures:
                return cp
        latest = self.store.checkpoint()
        if latest is not None and latest.size > index:
            return latest
        now = self.clock()
        return self.store.sign_checkpoint(self.signers(now), now)
