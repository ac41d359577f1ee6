"""The receiving side: what peers deliver to ``POST /v1/peers/inbox``.

Each message names its per-peer ``seq`` and an ``idempotency_key``. The inbox
accepts exactly the next seq of that peer; a message it already holds (same key)
is acknowledged again without being stored twice; a gap or a reused seq is a
conflict that names the seq expected. Entries must be the sending peer's own
(origin, seq, hash); checkpoints must be signed by the peer, must match the root
of the entries it delivered before, and are verified from this node's stored view
with the consistency proof they carry (else both are kept as evidence).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger import (
    HASH_SIZE,
    CompactRange,
    Entry,
    LedgerError,
    NoteVerifier,
    leaf_hash,
    verify_checkpoint,
)
from node.outbox._queue import CHECKPOINT, ENTRY
from node.outbox._tables import inbox
from node.peers.registry import Peer
from node.witness import verify_and_store

__all__ = ["InboxError", "Received", "receive"]

MAX_PROOF = 63
# recompute a checkpoint's root from delivered entries up to this many entries
MAX_RECOMPUTE = 100_000


class InboxError(Exception):
    """A delivery refused; ``status`` 409 (order: ``expected_seq``) or 422 (content)."""

    def __init__(self, status: int, detail: str, expected_seq: int | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.expected_seq = expected_seq


@dataclass(frozen=True)
class Received:
    seq: int
    duplicate: bool


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise InboxError(422, f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InboxError(422, f"{what} is not valid base64") from None


def _check_entry(peer: Peer, payload: dict[str, object]) -> None:
    origin = NoteVerifier.from_vkey(peer.vkey).name
    seq, digest = payload.get("seq"), _b64(payload.get("leaf_hash"), "leaf_hash")
    if len(digest) != HASH_SIZE:
        raise InboxError(422, f"leaf_hash must be {HASH_SIZE} bytes")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise InboxError(422, "entry seq must be a non-negative integer")
    if payload.get("leaf") is None:
        return  # payload deleted at the source: only its hash travels
    leaf = _b64(payload.get("leaf"), "leaf")
    try:
        entry = Entry.from_leaf(leaf)
    except LedgerError as exc:
        raise InboxError(422, f"entry is malformed: {exc}") from None
    if entry.origin != origin or entry.seq != seq or leaf_hash(leaf) != digest:
        raise InboxError(422, "entry is not the sending peer's entry at that seq")


def _check_checkpoint(engine: Engine, peer: Peer, payload: dict[str, object], now_ms: int) -> None:
    key = NoteVerifier.from_vkey(peer.vkey)
    note, old, proof = payload.get("note"), payload.get("old"), payload.get("proof")
    if not isinstance(note, str) or not isinstance(old, int) or not isinstance(proof, list):
        raise InboxError(422, "checkpoint message needs note, old and proof")
    if len(proof) > MAX_PROOF:
        raise InboxError(422, "consistency proof is too long")
    hashes = [_b64(h, "proof hash") for h in proof]
    try:
        checkpoint = verify_checkpoint(note, [key], origin=key.name).checkpoint
    except LedgerError as exc:
        raise InboxError(422, f"checkpoint does not verify: {exc}") from None
    root = _received_root(engine, peer.id, checkpoint.size)
    if root is not None and root != checkpoint.root:
        raise InboxError(422, "the entries delivered before do not hash to the checkpoint's root")
    verify_and_store(
        engine, note, checkpoint, source="inbox", now_ms=now_ms, proof_from=(old, hashes)
    )


def _received_root(engine: Engine, peer_id: str, size: int) -> bytes | None:
    """The RFC 9162 root over the first ``size`` entries this peer delivered, or None
    if they were not all delivered (or are too many to recompute here)."""
    if size > MAX_RECOMPUTE:
        return None
    with engine.connect() as conn:
        rows = conn.execute(
            select(inbox.c.payload)
            .where(inbox.c.peer_id == peer_id, inbox.c.kind == ENTRY)
            .order_by(inbox.c.seq)
        ).scalars()
        hashes: dict[int, bytes] = {}
        for text in rows:
            payload = json.loads(text)
            hashes[int(payload["seq"])] = base64.b64decode(payload["leaf_hash"])
    if any(i not in hashes for i in range(size)):
        return None
    tree = CompactRange(0, [])
    for i in range(size):
        tree.push(hashes[i])
    return tree.root()


def receive(
    engine: Engine,
    peer: Peer,
    *,
    seq: int,
    idempotency_key: str,
    kind: str,
    payload: dict[str, object],
    now_ms: int,
) -> Received:
    """Store one delivered message exactly once, in order; see the module docstring."""
    with engine.connect() as conn:
        # ``last`` before ``seen``: under READ COMMITTED each statement has its own
        # snapshot, and a concurrent delivery of this message committing between the
        # two must show as "seen" (a duplicate), not as "out of order".
        last = conn.execute(
            select(func.max(inbox.c.seq)).where(inbox.c.peer_id == peer.id)
        ).scalar_one()
        seen = conn.execute(
            select(inbox.c.seq).where(
                inbox.c.peer_id == peer.id, inbox.c.idempotency_key == idempotency_key
            )
        ).scalar_one_or_none()
    if seen is not None:
        if int(seen) != seq:
            raise InboxError(409, "idempotency key reused for another seq", int(last or 0) + 1)
        return Received(seq, duplicate=True)
    expected = int(last or 0) + 1
    if seq != expected:
        raise InboxError(409, f"out of order: expected seq {expected}", expected)
    if kind == ENTRY:
        _check_entry(peer, payload)
    elif kind == CHECKPOINT:
        _check_checkpoint(engine, peer, payload, now_ms)
    else:
        raise InboxError(422, f"unknown message kind {kind!r}")
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(inbox).values(
                    peer_id=peer.id,
                    seq=seq,
                    idempotency_key=idempotency_key,
                    kind=kind,
                    payload=json.dumps(payload, sort_keys=True, separators=(",", ":")),
                    received_ms=now_ms,
                )
            )
    except IntegrityError:
        # a concurrent delivery of the same message won the race
        return receive(
            engine,
            peer,
            seq=seq,
            idempotency_key=idempotency_key,
            kind=kind,
            payload=payload,
            now_ms=now_ms,
        )
    return Received(seq, duplicate=False)
