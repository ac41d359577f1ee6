"""Pushing this node's checkpoints to its peers' witnesses (C2SP tlog-witness client).

The peer's witness key is learnt once from its endorsement (signed by the peer's
pinned log key); each cosignature returned is verified with it before it is kept
with the checkpoint, so ``GET /v1/ledger/checkpoint`` and evidence bundles carry it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import httpx
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger import LedgerError, NoteVerifier, SignedNote, verify_checkpoint
from ledger.storage import LedgerStore
from node.peers.registry import Peer
from node.witness._errors import WitnessError
from node.witness._key import WitnessKeyError, open_endorsement
from node.witness._protocol import SIZE_MEDIA_TYPE, parse_size_body, render_add_checkpoint
from node.witness._tables import peer_witness_keys
from node.witness._transport import PeerSyncError, get_text

__all__ = ["peer_witness_key", "push_checkpoint"]


def peer_witness_key(engine: Engine, peer: Peer, client: httpx.Client, now_ms: int) -> NoteVerifier:
    """The peer's witness key: stored, or fetched and checked against its log key."""
    with engine.connect() as conn:
        row = conn.execute(
            select(peer_witness_keys.c.witness_vkey).where(peer_witness_keys.c.peer_id == peer.id)
        ).first()
    if row is not None:
        return NoteVerifier.from_vkey(row[0])
    endorsement = get_text(client, "/v1/witness/key")
    try:
        witness = open_endorsement(endorsement, NoteVerifier.from_vkey(peer.vkey))
    except (WitnessKeyError, LedgerError) as exc:
        raise PeerSyncError(f"peer {peer.id}: {exc}") from None
    with contextlib.suppress(IntegrityError), engine.begin() as conn:
        # (a concurrent fetch stored the same endorsed key first: fine)
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
