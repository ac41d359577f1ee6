"""The client side: push this node's checkpoints to its peers' witnesses, pull and
verify peers' checkpoints, and compare notes with other witnesses.

Every call is a signed request (:class:`node.peers.PeerClient`). Whatever a peer
sends is verified before it is stored: checkpoints with the peer's pinned log
key, consistency proofs from the checkpoint *this* node stored, cosignatures with
the witness key the peer's log key endorsed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, select, update

from ledger import (
    Checkpoint,
    LedgerError,
    NoteSigner,
    NoteVerifier,
    SignedNote,
    verify_checkpoint,
)
from ledger.storage import LedgerStore
from node.peers.client import PeerClient
from node.peers.registry import Peer
from node.witness._errors import BadConsistencyProof, RootConflict, WitnessError
from node.witness._key import WitnessKeyError, open_endorsement
from node.witness._protocol import SIZE_MEDIA_TYPE, parse_size_body, render_add_checkpoint
from node.witness._tables import peer_witness_keys
from node.witness._views import (
    compare_and_store,
    get_view,
    note_claim,
    record_evidence,
    refresh_note,
)
from node.witness._witness import INCONSISTENT, SAME_SIZE, check_extends

__all__ = [
    "PeerSyncError",
    "ProofFetcher",
    "SyncResult",
    "client_for",
    "fetcher",
    "gossip_with",
    "peer_witness_key",
    "push_checkpoint",
    "sync_peer",
    "verify_and_store",
]


class PeerSyncError(Exception):
    """A peer could not be reached or answered something unusable; the message says what."""


@dataclass(frozen=True)
class SyncResult:
    """What one pull of a peer's checkpoint found."""

    origin: str
    size: int
    advanced: bool
    evidence: bool


def _private_key(signer: NoteSigner) -> Ed25519PrivateKey:
    # skey: PRIVATE+KEY+<name>+<key id>+<base64(type || seed)>; names have no '+'
    seed = base64.b64decode(signer.skey().split("+", 4)[4])[1:]
    return Ed25519PrivateKey.from_private_bytes(seed)


def client_for(peer: Peer, signer: NoteSigner, **kwargs: object) -> PeerClient:
    """A client whose requests to ``peer`` are signed with this node's key."""
    return PeerClient(peer.url, key=_private_key(signer), name=signer.name, **kwargs)


def _get_text(client: httpx.Client, path: str, **params: object) -> str:
    try:
        response = client.get(path, params=params or None)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise PeerSyncError(f"{path}: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise PeerSyncError(f"{path}: HTTP {response.status_code}")
    return response.text


def peer_witness_key(engine: Engine, peer: Peer, client: httpx.Client, now_ms: int) -> NoteVerifier:
    """The peer's witness key: stored, or fetched and checked against its log key."""
    with engine.connect() as conn:
        row = conn.execute(
            select(peer_witness_keys.c.witness_vkey).where(peer_witness_keys.c.peer_id == peer.id)
        ).first()
    if row is not None:
        return NoteVerifier.from_vkey(row[0])
    endorsement = _get_text(client, "/v1/witness/key")
    try:
        witness = open_endorsement(endorsement, NoteVerifier.from_vkey(peer.vkey))
    except (WitnessKeyError, LedgerError) as exc:
        raise PeerSyncError(f"peer {peer.id}: {exc}") from None
    with engine.begin() as conn:
        conn.execute(
            insert(peer_witness_keys).values(
                peer_id=peer.id,
                witness_vkey=witness.vkey,
                endorsement=endorsement,
                cosigned_size=0,
                fetched_ms=now_ms,
            )
        )
    return witness


def _cosigned_size(engine: Engine, peer_id: str) -> int:
    with engine.connect() as conn:
        size = conn.execute(
            select(peer_witness_keys.c.cosigned_size).where(peer_witness_keys.c.peer_id == peer_id)
        ).scalar_one_or_none()
    return int(size or 0)


def _has_cosignature(text: str, witness: NoteVerifier) -> bool:
    return any(
        (s.name, s.key_id) == (witness.name, witness.key_id)
        for s in SignedNote.parse(text).signatures
    )


def push_checkpoint(
    engine: Engine,
    store: LedgerStore,
    peer: Peer,
    client: httpx.Client,
    *,
    verifiers: Sequence[NoteVerifier],
    now_ms: int,
) -> int:
    """Have ``peer`` witness this node's latest checkpoint; returns the size cosigned.

    Sends ``add-checkpoint`` with a proof from the size the witness last cosigned;
    on 409 it learns the witness's size and retries once. The cosignature returned
    is verified with the peer's endorsed witness key before it is stored with the
    checkpoint (so ``GET /v1/ledger/checkpoint`` and bundles carry it).
    """
    latest = store.checkpoint()
    if latest is None or latest.size == 0:
        return 0
    witness = peer_witness_key(engine, peer, client, now_ms)
    if _has_cosignature(latest.text, witness):
        return latest.size
    old = min(_cosigned_size(engine, peer.id), latest.size)
    for _attempt in range(2):
        proof = store.consistency_proof(old, latest.size) if 0 < old < latest.size else []
        try:
            response = client.post(
                "/v1/witness/add-checkpoint",
                content=render_add_checkpoint(old, proof, latest.note),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError as exc:
            raise PeerSyncError(f"witness {peer.id}: {exc.__class__.__name__}") from None
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code == 409 and media == SIZE_MEDIA_TYPE:
            try:
                old = parse_size_body(response.text)
            except WitnessError as exc:
                raise PeerSyncError(f"witness {peer.id}: {exc}") from None
            if old > latest.size:
                raise PeerSyncError(
                    f"witness {peer.id} holds size {old}, beyond this log's {latest.size}"
                )
            continue
        if response.status_code != 200:
            raise PeerSyncError(f"witness {peer.id} refused: HTTP {response.status_code}")
        return _keep_cosignature(
            engine,
            store,
            peer,
            verifiers=verifiers,
            witness=witness,
            note=latest.note,
            body=response.text,
        )
    raise PeerSyncError(f"witness {peer.id} kept answering 409")


def _keep_cosignature(
    engine: Engine,
    store: LedgerStore,
    peer: Peer,
    *,
    verifiers: Sequence[NoteVerifier],
    witness: NoteVerifier,
    note: str,
    body: str,
) -> int:
    try:
        lines = [line for line in body.split("\n") if line]
        ours = [line for line in lines if line.startswith(f"\u2014 {witness.name} ")]
        mine = []
        for line in ours:
            sig = SignedNote.parse(f"x\n\n{line}\n").signatures[0]
            if (sig.name, sig.key_id) == (witness.name, witness.key_id):
                mine.append(line)
        if len(mine) != 1:
            raise PeerSyncError(f"witness {peer.id} returned no cosignature by its key")
        opened = verify_checkpoint(note + mine[0] + "\n", verifiers, witnesses=[witness], quorum=1)
    except LedgerError as exc:
        raise PeerSyncError(f"witness {peer.id} returned a bad cosignature: {exc}") from None
    size = opened.checkpoint.size
    store.add_cosignatures(size, mine)
    with engine.begin() as conn:
        conn.execute(
            update(peer_witness_keys)
            .where(peer_witness_keys.c.peer_id == peer.id, peer_witness_keys.c.cosigned_size < size)
            .values(cosigned_size=size)
        )
    return size


def _consistency_proof(client: httpx.Client, old: int, new: int) -> list[bytes]:
    try:
        response = client.get("/v1/ledger/proof/consistency", params={"old": old, "new": new})
    except httpx.HTTPError as exc:
        raise PeerSyncError(f"consistency proof: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise PeerSyncError(f"consistency proof {old}->{new}: HTTP {response.status_code}")
    try:
        hashes = response.json()["hashes"]
        return [base64.b64decode(h, validate=True) for h in hashes]
    except (ValueError, KeyError, TypeError) as exc:
        raise PeerSyncError(f"consistency proof {old}->{new} is malformed") from exc


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
    return lambda old, new: _consistency_proof(client, old, new)


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
    note = _get_text(client, "/v1/ledger/checkpoint")
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
            note = _get_text(witness_client, "/v1/witness/checkpoint", origin=origin)
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
