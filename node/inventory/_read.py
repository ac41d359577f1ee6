"""Reading published positions from the owner's tables (the routes decide what to show).

Only snapshots marked ``published`` are read. Rows come newest snapshot first, in
position order; :func:`iter_positions` streams them in chunks so a route can apply
the disclosure decision to each and stop once it has a page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, select

from node.inventory._tables import inventory_items, inventory_positions, inventory_snapshots

__all__ = ["PositionRow", "iter_positions"]

_CHUNK: Final = 500


@dataclass(frozen=True)
class PositionRow:
    """Everything the owner holds about one published position (private)."""

    snapshot: str
    seq: int
    leaf_hash: str
    checkpoint_size: int | None
    received_ms: int
    n: int
    subject: str
    salt: str
    sku: str
    location: str | None
    lot: str | None
    as_of_ms: int
    uom: str | None
    quantities: Mapping[str, int]
    safety_stock: int | None
    extras: Mapping[str, str]
    commitments: Mapping[str, str]
    openings: Mapping[str, str]
    facts: tuple[Mapping[str, Any], ...]


def _row(r: Any) -> PositionRow:
    m = r._mapping
    return PositionRow(
        snapshot=m["snapshot_id"],
        seq=int(m["seq"]),
        leaf_hash=m["leaf_hash"],
        checkpoint_size=None if m["checkpoint_size"] is None else int(m["checkpoint_size"]),
        received_ms=int(m["received_ms"]),
        n=int(m["n"]),
        subject=m["subject"],
        salt=m["salt"],
        sku=m["sku"],
        location=m["location"],
        lot=m["lot"],
        as_of_ms=int(m["as_of_ms"]),
        uom=m["uom"],
        quantities=json.loads(m["quantities"]),
        safety_stock=None if m["safety_stock"] is None else int(m["safety_stock"]),
        extras=json.loads(m["extras"]),
        commitments=json.loads(m["commitments"]),
        openings=json.loads(m["openings"]),
        facts=tuple(json.loads(m["facts"])),
    )


def iter_positions(
    conn: Connection,
    *,
    sku: str | None = None,
    snapshot: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> Iterator[PositionRow]:
    """Published positions matching the filters, newest snapshot first."""
    p, s, i = inventory_positions, inventory_snapshots, inventory_items
    query = (
        select(
            p.c.snapshot_id,
            s.c.seq,
            s.c.leaf_hash,
            s.c.checkpoint_size,
            s.c.received_ms,
            p.c.n,
            p.c.subject,
            i.c.salt,
            p.c.sku,
            p.c.location,
            p.c.lot,
            p.c.as_of_ms,
            p.c.uom,
            p.c.quantities,
            p.c.safety_stock,
            p.c.extras,
            p.c.commitments,
            p.c.openings,
            p.c.facts,
        )
        .join(s, s.c.id == p.c.snapshot_id)
        .join(i, i.c.subject == p.c.subject)
        .where(s.c.state == "published")
    )
    if sku is not None:
        query = query.where(p.c.sku == sku)
    if snapshot is not None:
        query = query.where(p.c.snapshot_id == snapshot)
    if since_ms is not None:
        query = query.where(p.c.as_of_ms >= since_ms)
    if until_ms is not None:
        query = query.where(p.c.as_of_ms <= until_ms)
    query = query.order_by(s.c.seq.desc(), p.c.n)
    offset = 0
    while True:
        rows = conn.execute(query.limit(_CHUNK).offset(offset)).all()
        for r in rows:
            yield _row(r)
        if len(rows) < _CHUNK:
            return
        offset += _CHUNK
