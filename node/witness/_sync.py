"""Verifying peers' checkpoints from what this node stored, and comparing notes.

Whatever the source (a pull of the peer's checkpoint, a checkpoint delivered to
the inbox, or the checkpoint another witness holds), a new checkpoint of a log
replaces this node's view only if it is consistent with it: equal root at equal
size, else an RFC 9162 consistency proof from the stored size (carried with the
message, or fetched from the log). Otherwise both signed checkpoints are kept as
split-view evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from ledger import Checkpoint, LedgerError, NoteVerifier, verify_checkpoint
from node.peers.registry import Peer
from node.witness._errors import BadConsistencyProof, RootConflict
from node.witness._transport import PeerSyncError, consistency_proof, get_text
from node.witness._views import (
    compare_and_store,
    get_view,
    note_claim,
    record_evidence,
    refresh_note,
)
from node.witness._witness import INCONSISTENT, SAME_SIZE, check_extends

__all__ = [
    "ProofFetcher",
    "SyncResult",
    "fetcher",
    "gossip_with",
    "sync_peer",
    "verify_and_store",
]


@dataclass(frozen=True)
class SyncResult:
    """What one pull of a peer's checkpoint found."""

    origin: str
    size: int
    advanced: bool
    evidence: bool


def _open_peer_checkpoint(note: str, peer: Peer) -> Checkpoint:
    key = NoteVerifier.from_vkey(peer.vkey)
    try:
        return verify_checkpoint(note, [key], origin=key.name).checkpoint
    except LedgerError as exc:
        raise PeerSyncError(
            f"peer {peer.id} served a checkpoint that does not verify: {exc}"
        ) from None


ProofFetcher = Callable[[int, int], list[bytes]]


def fetcher(client: httpx.Client) -> ProofFetcher:
    """Consistency proofs fetched from a log's ``/v1/ledger/proof/consistency``."""
    return lambda old, new: consistency_proof(client, old, new)


def _judge(
    engine: Engine,
    older: tuple[Checkpoint, str],
    newer: tuple[Checkpoint, str],
    proof: Sequence[bytes],
    *,
    source: str,
    now_ms: int,
) -> bool:
    """True if ``newer`` extends ``older``; else both are kept as evidence (False)."""
    (old, old_note), (new, new_note) = older, newer
    try:
        check_extends(old, new, proof)
    except (RootConflict, BadConsistencyProof) as exc:
        same = isinstance(exc, RootConflict)
        record_evidence(
            engine,
            origin=old.origin,
            kind=SAME_SIZE if same else INCONSISTENT,
            note_a=old_note,
            note_b=new_note,
            proof=None if same else proof,
            source=source,
            now_ms=now_ms,
        )
        return False
    return True


def _forward_proof(
    old: int,
    new: int,
    fetch_proof: ProofFetcher | None,
    proof_from: tuple[int, Sequence[bytes]] | None,
) -> list[bytes] | None:
    if old == new:
        return []
    if proof_from is not None and proof_from[0] == old:
        return list(proof_from[1])
    return None if fetch_proof is None else fetch_proof(old, new)


def _stale(
    engine: Engine,
    older: tuple[Checkpoint, str],
    held: tuple[Checkpoint, str],
    fetch_proof: ProofFetcher | None,
    *,
    source: str,
    now_ms: int,
) -> SyncResult:
    """A checkpoint older than the view must still be a prefix of it."""
    origin, size = held[0].origin, held[0].size
    ok = True
    if fetch_proof is not None:
        proof = fetch_proof(older[0].size, size)
        ok = _judge(engine, older, held, proof, source=source, now_ms=now_ms)
    return SyncResult(origin, size, advanced=False, evidence=not ok)


def verify_and_store(
    engine: Engine,
    note: str,
    checkpoint: Checkpoint,
    *,
    source: str,
    now_ms: int,
    fetch_proof: ProofFetcher | None = None,
    proof_from: tuple[int, Sequence[bytes]] | None = None,
) -> SyncResult:
    """Advance this node's view of a log to ``checkpoint`` (signature already checked)
    if it is consistent with the view; keep both as evidence if it is not.

    The consistency proof is ``proof_from`` (``(old size, hashes)``) when it starts
    at the stored size, else it is fetched from the log with ``fetch_proof``; with
    neither, the view stays as it is.
    """
    origin = checkpoint.origin
    for _race in range(3):
        with engine.connect() as conn:
            view = get_view(conn, origin)
        if view is None:
            if compare_and_store(engine, None, checkpoint, note, source=source, now_ms=now_ms):
                continue
            return SyncResult(origin, checkpoint.size, advanced=True, evidence=False)
        note_claim(engine, origin, checkpoint.size, now_ms)
        held = (Checkpoint(origin, view.size, view.root), view.note)
        unchanged = SyncResult(origin, view.size, advanced=False, evidence=False)
        if checkpoint.size < view.size:
            return _stale(
                engine, (checkpoint, note), held, fetch_proof, source=source, now_ms=now_ms
            )
        forward = _forward_proof(view.size, checkpoint.size, fetch_proof, proof_from)
        if forward is None:
            return unchanged
        if not _judge(engine, held, (checkpoint, note), forward, source=source, now_ms=now_ms):
            return SyncResult(origin, view.size, advanced=False, evidence=True)
        if checkpoint.size == view.size:
            refresh_note(engine, view, note)
            return unchanged
        if compare_and_store(engine, view, checkpoint, note, source=source, now_ms=now_ms):
            continue
        return SyncResult(origin, checkpoint.size, advanced=True, evidence=False)
    raise PeerSyncError(f"the view of {origin!r} kept changing; try again")


def sync_peer(engine: Engine, peer: Peer, client: httpx.Client, now_ms: int) -> SyncResult:
    """Pull ``peer``'s latest checkpoint and verify it from the checkpoint we stored."""
    note = get_text(client, "/v1/ledger/checkpoint")
    checkpoint = _open_peer_checkpoint(note, peer)
    return verify_and_store(
        engine, note, checkpoint, source="sync", now_ms=now_ms, fetch_proof=fetcher(client)
    )


def gossip_with(
    engine: Engine,
    witness_client: httpx.Client,
    log_peers: Sequence[tuple[Peer, httpx.Client]],
    now_ms: int,
) -> list[SyncResult]:
    """Compare notes with another witness about each log in ``log_peers``.

    Fetches the checkpoint the other witness holds of each log, checks the log's
    signature, and verifies it against this node's view with a consistency proof
    from the log itself: a different root at the same size, or a proof that does
    not verify, is kept as evidence with both signed checkpoints.
    """
    results = []
    for log_peer, log_client in log_peers:
        origin = NoteVerifier.from_vkey(log_peer.vkey).name
        try:
            note = get_text(witness_client, "/v1/witness/checkpoint", origin=origin)
        except PeerSyncError:
            continue
        checkpoint = _open_peer_checkpoint(note, log_peer)
        results.append(
            verify_and_store(
                engine,
                note,
                checkpoint,
                source="gossip",
                now_ms=now_ms,
                fetch_proof=fetcher(log_client),
            )
        )
    return results
