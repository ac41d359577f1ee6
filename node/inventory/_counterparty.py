"""A counterparty checks its own signed document against the owner's sum statements.

The owner discloses, for ONE document, the openings of that document's effect
commitments and nothing else (:func:`document_openings`, served by ``GET
/v1/inventory/movements/{document}`` to the document's counterparty). The
counterparty, holding the signed document (and, for a receipt, the despatch it
answers), runs :func:`check_document`: every disclosed term must be a term of a
sum statement on the owner's ledger that names this document, open to exactly
the quantity the document implies for the owner's stock (computed here with
:func:`node.documents.inventory_effects`), and its statement's balance proof must
verify. Anything else raises :class:`SumError`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

import zk
from node.inventory._sums import IN, BodyAt, SumError, verify_sum
from node.inventory._tables import inventory_movements, inventory_positions, inventory_snapshots

__all__ = ["DocumentCheck", "check_document", "document_openings"]


def document_openings(conn: Connection, document: str) -> list[dict[str, Any]]:
    """The owner's disclosure for one document: where each of its effect terms is
    (snapshot entry, item, bucket, term number), the item's sku and lot (named in
    the document already), and the term's opening. Nothing about other terms."""
    m, p, s = inventory_movements, inventory_positions, inventory_snapshots
    rows = conn.execute(
        select(
            s.c.id,
            s.c.seq,
            m.c.subject,
            m.c.bucket,
            m.c.n,
            m.c.direction,
            m.c.commitment,
            m.c.opening,
            p.c.sku,
            p.c.lot,
        )
        .join(s, s.c.id == m.c.snapshot_id)
        .join(p, (p.c.snapshot_id == m.c.snapshot_id) & (p.c.subject == m.c.subject))
        .where(m.c.document == document, s.c.state == "published")
        .order_by(s.c.seq, m.c.subject, m.c.bucket, m.c.n)
    )
    return [
        {
            "snapshot": r[0],
            "index": int(r[1]),
            "subject": r[2],
            "bucket": r[3],
            "term": int(r[4]),
            "direction": r[5],
            "commitment": r[6],
            "opening": r[7],
            "sku": r[8],
            "lot": r[9],
        }
        for r in rows
    ]


@dataclass(frozen=True)
class DocumentCheck:
    """What the check established: the (sku, lot, bucket) effects found on the
    owner's ledger with their quantities, and the document's effects on the
    owner's stock not (yet) in any statement (e.g. a bucket the owner does not report)."""

    checked: tuple[tuple[str, str | None, str, int], ...]
    uncovered: tuple[tuple[str, str | None, str, int], ...]


def _expected(document: Any, despatch: Any, owner: str) -> dict[tuple[str, str | None, str], int]:
    from node.documents import inventory_effects

    net: dict[tuple[str, str | None, str], int] = defaultdict(int)
    for delta in inventory_effects(document, despatch):
        if delta.party == owner:
            net[(delta.sku, delta.lot, delta.bucket)] += delta.delta
    return {k: v for k, v in net.items() if v}


def _statement(body: Mapping[str, Any], subject: str, bucket: str) -> Mapping[str, Any]:
    found = [
        st
        for st in body.get("movements", [])
        if isinstance(st, dict) and st.get("subject") == subject and st.get("bucket") == bucket
    ]
    if len(found) != 1:
        raise SumError(f"no sum statement for item {subject[:16]}.../{bucket} in that entry")
    return found[0]


def check_document(
    disclosed: Sequence[Mapping[str, Any]],
    *,
    document: Any,
    document_hash: str,
    despatch: Any = None,
    owner: str,
    origin: str,
    body_at: BodyAt,
) -> DocumentCheck:
    """Check the owner's disclosure for ``document`` (see the module docstring).

    ``owner`` is the owner's name in the document (buyer or supplier), ``origin``
    its log origin, ``body_at(index)`` the body of its ledger entry at ``index``
    (fetched and proven included by the caller). Raises :class:`SumError`.
    """
    expected = _expected(document, despatch, owner)
    checked: list[tuple[str, str | None, str, int]] = []
    try:
        for item in disclosed:
            subject, bucket = str(item["subject"]), str(item["bucket"])
            key = (str(item["sku"]), item["lot"], bucket)
            body = body_at(int(item["index"]))
            statement = _statement(body, subject, bucket)
            term = statement["terms"][int(item["term"])]
            opening = zk.Opening.from_bytes(bytes.fromhex(str(item["opening"])))
            commitment = zk.Commitment.from_bytes(bytes.fromhex(str(term["commitment"])))

            if term.get("document") != document_hash:
                raise SumError(f"term {item['term']} of that statement is not this document's")
            zk.verify_opening(commitment, opening)
            want = expected.get(key)
            if want is None or opening.value != abs(want):
                raise SumError(
                    f"{key[0]}/{bucket}: the owner committed {opening.value}, the document says "
                    f"{0 if want is None else abs(want)}"
                )
            if (term.get("direction") == IN) != (want > 0):
                raise SumError(f"{key[0]}/{bucket}: the term moves stock the wrong way")
            verify_sum(statement, body=body, origin=origin, body_at=body_at)
            checked.append((*key, want))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise SumError(f"malformed disclosure or statement: {exc!r}") from None
    except zk.ProofError as exc:
        raise SumError(f"the opening does not open the ledger's commitment: {exc}") from None
    seen = {(c[0], c[1], c[2]) for c in checked}
    uncovered = tuple((*k, v) for k, v in sorted(expected.items(), key=str) if k not in seen)
    return DocumentCheck(tuple(checked), uncovered)
