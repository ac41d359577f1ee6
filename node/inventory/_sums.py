"""Sum statements of a snapshot: old + receipts − shipments (± adjustment) = new.

The public part, shared by the prover (:mod:`node.inventory._movements`) and every
verifier: the ledger format of one statement, its proof context, and
:func:`verify_sums`, which checks a snapshot entry's statements with
``zk.verify_balance`` (raising :class:`SumError`, never returning False).

One statement per (item subject, bucket) that documents moved since the item's
previous snapshot::

    {"subject": <64 hex>, "bucket": "available",
     "old": {"snapshot": <32 hex>, "index": <ledger index>} | null,
     "terms": [{"role": "document", "direction": "in" | "out",
                "document": <64 hex document hash>, "document_index": <ledger index>,
                "commitment": <66 hex>},
               {"role": "adjustment", "direction": "in" | "out", "commitment": <66 hex>}],
     "bits": 32, "proof": <base64 zk.BalanceProof>}

The balance is ``inputs = [C_old] + terms "in"`` and ``outputs = [C_new] + terms
"out"``, where ``C_old`` is the item's commitment for the bucket in the entry at
``old.index`` and ``C_new`` the one in this entry; every value is proven in
``[0, 2^bits)``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import rfc8785

import zk

__all__ = [
    "ADJUSTMENT",
    "DOCUMENT",
    "IN",
    "OUT",
    "SUM_FORMAT",
    "SumError",
    "find_position",
    "sum_context",
    "verify_sum",
    "verify_sums",
]

SUM_FORMAT: Final = "scnode-inventory-sum/v1"
DOCUMENT: Final = "document"
ADJUSTMENT: Final = "adjustment"
IN: Final = "in"
OUT: Final = "out"
_ROLES: Final = (DOCUMENT, ADJUSTMENT)
_DIRECTIONS: Final = (IN, OUT)

BodyAt = Callable[[int], Mapping[str, Any]]


class SumError(Exception):
    """A sum statement is malformed, refers to something missing, or does not verify."""


def sum_context(
    *,
    origin: str,
    snapshot: str,
    subject: str,
    bucket: str,
    old: Mapping[str, Any] | None,
    terms: Sequence[Mapping[str, Any]],
) -> bytes:
    """The context a statement's balance proof is bound to (RFC 8785 JSON): the
    node, snapshot, item, bucket, the previous snapshot, and every term's role,
    direction and document (the commitments themselves are in the transcript)."""
    return rfc8785.dumps(
        {
            "format": SUM_FORMAT,
            "origin": origin,
            "snapshot": snapshot,
            "subject": subject,
            "bucket": bucket,
            "old": None if old is None else {"snapshot": old["snapshot"], "index": old["index"]},
            "terms": [
                {
                    "role": t["role"],
                    "direction": t["direction"],
                    "document": t.get("document"),
                    "document_index": t.get("document_index"),
                }
                for t in terms
            ],
        }
    )


def _commitment(text: object, where: str) -> zk.Commitment:
    if not isinstance(text, str):
        raise SumError(f"{where}: not a hex commitment")
    try:
        return zk.Commitment.from_bytes(bytes.fromhex(text))
    except (ValueError, zk.ProofError) as exc:
        raise SumError(f"{where}: not a valid commitment ({exc})") from None


def find_position(body: Mapping[str, Any], subject: str, where: str) -> Mapping[str, Any]:
    positions = body.get("positions")
    if not isinstance(positions, list):
        raise SumError(f"{where}: the snapshot has no positions list")
    found = [p for p in positions if isinstance(p, dict) and p.get("subject") == subject]
    if len(found) != 1:
        raise SumError(f"{where}: item {subject[:16]}... is not in the snapshot exactly once")
    return found[0]


def _bucket_commitment(position: Mapping[str, Any], bucket: str, where: str) -> zk.Commitment:
    commitments = position.get("commitments")
    if not isinstance(commitments, dict) or bucket not in commitments:
        raise SumError(f"{where}: no commitment to bucket {bucket!r}")
    return _commitment(commitments[bucket], f"{where} {bucket}")


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SumError(f"{where} must be a non-negative integer")
    return value


def _old_commitment(
    old: object, subject: str, bucket: str, body_at: BodyAt, where: str
) -> zk.Commitment:
    if not isinstance(old, dict):
        raise SumError(f"{where}: old must be an object or null")
    index = _int(old.get("index"), f"{where} old.index")
    try:
        old_body = body_at(index)
    except Exception as exc:
        raise SumError(f"{where}: the old snapshot entry {index} is unavailable") from exc
    if old_body.get("snapshot") != old.get("snapshot"):
        raise SumError(f"{where}: entry {index} is not snapshot {old.get('snapshot')}")
    return _bucket_commitment(find_position(old_body, subject, where), bucket, where)


def _term_commitment(
    term: Mapping[str, Any], document_at: Callable[[int, str], None] | None, here: str
) -> zk.Commitment:
    if term.get("role") not in _ROLES or term.get("direction") not in _DIRECTIONS:
        raise SumError(f"{here}: unknown role or direction")
    if term["role"] == DOCUMENT:
        doc, index = term.get("document"), _int(term.get("document_index"), here)
        if not isinstance(doc, str) or len(doc) != 64:
            raise SumError(f"{here}: a document term names the document's hash")
        if document_at is not None:
            document_at(index, doc)
    elif "document" in term or "document_index" in term:
        raise SumError(f"{here}: an adjustment names no document")
    return _commitment(term.get("commitment"), here)


def verify_sum(
    statement: Mapping[str, Any],
    *,
    body: Mapping[str, Any],
    origin: str,
    body_at: BodyAt,
    document_at: Callable[[int, str], None] | None = None,
) -> None:
    """Verify one statement of the snapshot entry ``body`` (see the module docstring).

    ``body_at(index)`` returns the body of this log's entry at ``index`` (the old
    snapshot); ``document_at(index, hash)``, when given, raises unless the entry
    at ``index`` records the document ``hash``. Raises :class:`SumError`.
    """
    try:
        subject, bucket = str(statement["subject"]), str(statement["bucket"])
        old, terms = statement["old"], statement["terms"]
        bits = _int(statement["bits"], "bits")
        proof = zk.BalanceProof.from_bytes(
            base64.b64decode(str(statement["proof"]).encode("ascii"), validate=True)
        )
    except (KeyError, TypeError, ValueError, binascii.Error, zk.ProofError) as exc:
        raise SumError(f"malformed sum statement: {exc}") from None
    where = f"sum statement {subject[:16]}.../{bucket}"
    if not isinstance(terms, list) or not all(isinstance(t, dict) for t in terms):
        raise SumError(f"{where}: terms must be a list of objects")
    snapshot = str(body.get("snapshot"))
    c_new = _bucket_commitment(find_position(body, subject, where), bucket, where)
    inputs: list[zk.Commitment] = []
    outputs: list[zk.Commitment] = [c_new]
    if old is not None:
        inputs.append(_old_commitment(old, subject, bucket, body_at, where))
    for n, term in enumerate(terms):
        c = _term_commitment(term, document_at, f"{where} term {n}")
        (inputs if term["direction"] == IN else outputs).append(c)
    context = sum_context(
        origin=origin, snapshot=snapshot, subject=subject, bucket=bucket, old=old, terms=terms
    )
    try:
        zk.verify_balance(inputs, outputs, proof, bits=bits, context=context)
    except zk.ProofError as exc:
        raise SumError(f"{where}: the balance proof does not verify ({exc})") from None


def verify_sums(
    body: Mapping[str, Any],
    *,
    origin: str,
    body_at: BodyAt,
    document_at: Callable[[int, str], None] | None = None,
) -> int:
    """Verify every sum statement of a snapshot entry body; returns how many."""
    statements = body.get("movements", [])
    if not isinstance(statements, list):
        raise SumError("movements must be a list")
    for statement in statements:
        if not isinstance(statement, dict):
            raise SumError("a sum statement must be an object")
        verify_sum(statement, body=body, origin=origin, body_at=body_at, document_at=document_at)
    return len(statements)
