"""Document effects consumed by a snapshot, and the sum statements proving them.

Before a snapshot is written, :func:`plan_sums` reads the despatch advices and
goods receipts this node has recorded on its ledger and not yet consumed,
computes their effects on this node's stock (:func:`node.documents.inventory_effects`),
attributes each (sku, lot) to the snapshot's position of that sku and lot (the
only one: documents name no site), and, for every bucket of that position that
documents moved, commits to each document's quantity and proves with
``zk.prove_balance`` that

    old + Σ documents in + adjustment in = new + Σ documents out + adjustment out

where ``old`` is the item's bucket in its latest published snapshot (absent for
a new item) and ``new`` the snapshot's own commitment. An adjustment term
(stock counts, consumption, production, bookings the ERP made earlier or later
than the documents) appears only when the documents do not explain the change,
and is range-proven like every term; it names no partner. See docs/publishing.md.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, select

import zk
from node.inventory._prove import Committed
from node.inventory._sums import ADJUSTMENT, DOCUMENT, IN, OUT, sum_context
from node.inventory._tables import inventory_movements, inventory_positions, inventory_snapshots

__all__ = ["MAX_DOCUMENTS", "Planned", "Term", "plan_sums", "still_valid"]

#: documents per statement (a balance aggregates at most 16 values: old, new, two
#: adjustments and the documents); later documents wait for the next snapshot
MAX_DOCUMENTS: Final = 12
_MOVING: Final = ("despatch_advice", "goods_receipt")
_Effect = tuple[str, int, str, str | None, str, int]  # hash, seq, sku, lot, bucket, delta


@dataclass(frozen=True)
class Term:
    role: str
    direction: str
    quantity: int
    opening: zk.Opening
    document: str | None = None
    document_index: int | None = None
    sku: str | None = None
    lot: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "direction": self.direction}
        if self.role == DOCUMENT:
            out["document"] = self.document
            out["document_index"] = self.document_index
        out["commitment"] = self.opening.commitment().to_bytes().hex()
        return out


@dataclass(frozen=True)
class Planned:
    """One statement: its ledger JSON, its terms (private), and what it assumed."""

    subject: str
    bucket: str
    old: tuple[str, int] | None  # (snapshot id, ledger index) it starts from
    terms: tuple[Term, ...]
    statement: dict[str, Any]


def _documents(conn: Connection) -> list[Any]:
    from node.documents import metadata

    documents = metadata.tables["documents"]
    return list(
        conn.execute(
            select(
                documents.c.hash,
                documents.c.ledger_seq,
                documents.c.type,
                documents.c.chain_id,
                documents.c.body,
            )
            .where(documents.c.type.in_(_MOVING), documents.c.ledger_seq.is_not(None))
            .order_by(documents.c.ledger_seq)
        )
    )


def pending_effects(conn: Connection, party: str) -> list[_Effect]:
    """Effects on ``party``'s stock of recorded despatches and receipts, per
    (document, sku, lot, bucket), in ledger order (consumed ones included)."""
    from node.documents import DespatchAdvice, SignedDocument, inventory_effects

    rows = _documents(conn)
    parsed = {r[0]: SignedDocument.from_json(json.loads(r[4])).document for r in rows}
    despatches = {
        (r[3], d.despatch_number): d for r in rows if isinstance(d := parsed[r[0]], DespatchAdvice)
    }
    out: list[_Effect] = []
    for digest, seq, _type, chain, _body in rows:
        document = parsed[digest]
        answered = None
        if not isinstance(document, DespatchAdvice):
            answered = despatches.get((chain, getattr(document, "despatch_number", "")))
            if answered is None:
                continue  # its despatch is not held here: no effects to compute
        net: dict[tuple[str, str | None, str], int] = defaultdict(int)
        for delta in inventory_effects(document, answered):
            if delta.party == party:
                net[(delta.sku, delta.lot, delta.bucket)] += delta.delta
        out += [(digest, int(seq), k[0], k[1], k[2], v) for k, v in net.items() if v]
    return out


def _consumed(conn: Connection) -> set[tuple[str, str, str]]:
    m = inventory_movements
    return {
        (r[0], r[1], r[2])
        for r in conn.execute(
            select(m.c.document, m.c.subject, m.c.bucket).where(m.c.document.is_not(None))
        )
    }


def _latest(
    conn: Connection, subject: str
) -> tuple[str, int, dict[str, int], dict[str, str]] | None:
    p, s = inventory_positions, inventory_snapshots
    row = conn.execute(
        select(p.c.snapshot_id, s.c.seq, p.c.quantities, p.c.openings)
        .join(s, s.c.id == p.c.snapshot_id)
        .where(p.c.subject == subject, s.c.state == "published")
        .order_by(s.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return str(row[0]), int(row[1]), json.loads(row[2]), json.loads(row[3])


def _target(committed: Sequence[Committed], sku: str, lot: str | None) -> Committed | None:
    exact = [c for c in committed if c.position.sku == sku and c.position.lot == lot]
    if len(exact) == 1:
        return exact[0]
    loose = [c for c in committed if c.position.sku == sku and c.position.lot is None]
    return loose[0] if not exact and len(loose) == 1 else None


def plan_sums(
    conn: Connection,
    committed: Sequence[Committed],
    *,
    party: str,
    origin: str,
    snapshot: str,
    rng: zk.Rng,
) -> list[Planned]:
    """The sum statements of a snapshot (commitments and balance proofs made here)."""
    consumed = _consumed(conn)
    moved: dict[tuple[str, str], list[tuple[_Effect, Committed]]] = defaultdict(list)
    for effect in pending_effects(conn, party):
        digest, _seq, sku, lot, bucket, _delta = effect
        target = _target(committed, sku, lot)
        if target is None or bucket not in target.position.quantities:
            continue
        key = (target.body.subject, bucket)
        if (digest, key[0], bucket) in consumed or len(moved[key]) >= MAX_DOCUMENTS:
            continue
        moved[key].append((effect, target))
    return [
        _plan_one(conn, subject, bucket, effects, origin=origin, snapshot=snapshot, rng=rng)
        for (subject, bucket), effects in sorted(moved.items())
    ]


def _plan_one(
    conn: Connection,
    subject: str,
    bucket: str,
    effects: Sequence[tuple[_Effect, Committed]],
    *,
    origin: str,
    snapshot: str,
    rng: zk.Rng,
) -> Planned:
    new = effects[0][1]
    new_opening = new.openings[bucket]
    latest = _latest(conn, subject)
    old: tuple[str, int] | None = None
    old_opening: zk.Opening | None = None
    if latest is not None and bucket in latest[3]:
        old = (latest[0], latest[1])
        old_opening = zk.Opening.from_bytes(bytes.fromhex(latest[3][bucket]))
    terms: list[Term] = []
    for (digest, seq, sku, lot, _bucket, delta), _c in effects:
        opening = zk.commit(abs(delta), rng=rng)[1]
        direction = IN if delta > 0 else OUT
        terms.append(Term(DOCUMENT, direction, abs(delta), opening, digest, seq, sku, lot))
    ins = (0 if old_opening is None else int(old_opening.value)) + sum(
        t.quantity for t in terms if t.direction == IN
    )
    outs = int(new_opening.value) + sum(t.quantity for t in terms if t.direction == OUT)
    if outs > ins:  # the documents do not explain an increase
        terms.append(Term(ADJUSTMENT, IN, outs - ins, zk.commit(outs - ins, rng=rng)[1]))
    elif outs < ins:  # ... or a decrease
        terms.append(Term(ADJUSTMENT, OUT, ins - outs, zk.commit(ins - outs, rng=rng)[1]))
    if old is None and not any(t.direction == IN for t in terms):
        # a balance needs an input: a zero adjustment (hidden, so it claims nothing)
        terms.append(Term(ADJUSTMENT, IN, 0, zk.commit(0, rng=rng)[1]))
    in_open = ([] if old_opening is None else [old_opening]) + [
        t.opening for t in terms if t.direction == IN
    ]
    out_open = [new_opening] + [t.opening for t in terms if t.direction == OUT]
    bits = 32 if max(o.value for o in (*in_open, *out_open)) < (1 << 32) else 64
    old_json = None if old is None else {"snapshot": old[0], "index": old[1]}
    term_json = [t.to_json() for t in terms]
    context = sum_context(
        origin=origin,
        snapshot=snapshot,
        subject=subject,
        bucket=bucket,
        old=old_json,
        terms=term_json,
    )
    proof = zk.prove_balance(in_open, out_open, bits=bits, context=context, rng=rng)
    statement = {
        "subject": subject,
        "bucket": bucket,
        "old": old_json,
        "terms": term_json,
        "bits": bits,
        "proof": base64.b64encode(proof.to_bytes()).decode("ascii"),
    }
    return Planned(subject, bucket, old, tuple(terms), statement)


def still_valid(conn: Connection, planned: Sequence[Planned]) -> bool:
    """Whether the plan still holds in this (write-locked) transaction: no other
    snapshot consumed its documents or became the items' latest meanwhile."""
    if not planned:
        return True
    consumed = _consumed(conn)
    for p in planned:
        for t in p.terms:
            if t.document is not None and (t.document, p.subject, p.bucket) in consumed:
                return False
        latest = _latest(conn, p.subject)
        now_old = None if latest is None or p.bucket not in latest[3] else (latest[0], latest[1])
        if now_old != p.old:
            return False
    return True


def movement_rows(snapshot: str, planned: Sequence[Planned]) -> list[dict[str, Any]]:
    """The private rows of every term (quantities and openings)."""
    return [
        {
            "snapshot_id": snapshot,
            "subject": p.subject,
            "bucket": p.bucket,
            "n": n,
            "document": t.document,
            "document_seq": t.document_index,
            "direction": t.direction,
            "quantity": str(t.quantity),
            "commitment": t.opening.commitment().to_bytes().hex(),
            "opening": t.opening.to_bytes().hex(),
        }
        for p in planned
        for n, t in enumerate(p.terms)
    ]


def statements_json(planned: Sequence[Planned]) -> list[Mapping[str, Any]]:
    return [p.statement for p in planned]
