"""Attack: a node operator rolls its log back.

The operator of ``log.example/rollback`` restores its node from a backup taken at
size 4, after a partner that also witnesses its log (``w``) had verified and
cosigned size 8 (say, to make an awkward entry disappear), and then publishes a
different history from there, under the same key, at the same URL.

What must hold, over real HTTP between two served nodes: the partner's view never
moves back nor onto the other branch; the witness never cosigns the rolled-back
history; once the rolled-back log claims a size beyond the one the partner holds,
both signed checkpoints are kept as evidence; and an offline verifier that pinned
the larger checkpoint, or demands the witness's cosignature, refuses the
rolled-back log's evidence bundles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger import (
    Bundle,
    BundleVerificationError,
    NoteVerifier,
    SignedNote,
    build_bundle,
    verify_bundle,
    verify_checkpoint,
    verify_consistency,
    verify_extends_checkpoint,
)
from ledger.errors import VerificationError
from node.cli import main
from node.peers.registry import PeerRegistry
from node.witness import INCONSISTENT, evidence_for, get_view, open_endorsement
from tests.node.test_witness_helpers import Node, fork_node, make_node

ORIGIN = "log.example/rollback"


@dataclass
class Rollback:
    log: Node  # the restored node: a copy of the backup at size 4, same key, same URL
    witness: Node
    honest_root: bytes  # root of the honest tree of size 8
    honest_note: str  # its checkpoint, signed by the log and cosigned by the witness
    honest_bundle: bytes  # entry 5 of the honest log, against that checkpoint
    honest_proof_4_8: list[bytes]  # the honest log's consistency proof 4 -> 8
    witness_vkey: str

    def peer_id(self) -> str:
        with self.witness.engine.connect() as conn:
            return next(p.id for p in PeerRegistry(conn).list() if p.vkey == self.log.vkey)

    def witness_id(self) -> str:
        """The witness's id in the log's own peer registry."""
        with self.log.engine.connect() as conn:
            return next(p.id for p in PeerRegistry(conn).list() if p.vkey == self.witness.vkey)

    def view(self) -> tuple[int, bytes]:
        with self.witness.engine.connect() as conn:
            view = get_view(conn, ORIGIN)
        assert view is not None
        return view.size, view.root


@pytest.fixture
def rollback(tmp_path: Path) -> Iterator[Rollback]:
    honest = make_node(tmp_path, ORIGIN)
    witness = make_node(tmp_path, "w.example/witness")
    witness.add_peer(honest)
    honest.add_peer(witness)
    running = [honest, witness]
    engines = [honest.engine, witness.engine]
    for node in running:
        node.start()
    try:
        honest.publish(4, tag="-shared")
        assert honest.worker.run_once(sync=False).errors == {}
        backup = fork_node(honest, tmp_path, "backup")  # the operator's backup, size 4
        engines.append(backup.engine)
        honest.publish(4, tag="-honest")
        assert honest.worker.run_once(sync=False).errors == {}  # witnessed at 8
        assert witness.worker.run_once(witness=False).errors == {}  # and synced
        note = honest.get("/v1/ledger/checkpoint").text
        bundle = honest.get("/v1/ledger/bundle", entries="5")
        assert bundle.status_code == 200, bundle.text
        endorsement = witness.get("/v1/witness/key").text
        wkey = open_endorsement(endorsement, witness.verifier).vkey
        root = honest.store.root(8)
        proof_4_8 = honest.store.consistency_proof(4, 8)
        # the restore: the honest node goes away; the backup takes its place and port
        honest.stop()
        running.remove(honest)
        backup.port = honest.port
        backup.start()
        running.append(backup)
        yield Rollback(backup, witness, root, note, bundle.content, proof_4_8, wkey)
    finally:
        for node in running:
            node.stop()
        for engine in engines:
            engine.dispose()


def _signed(note: str) -> int:
    return len(SignedNote.parse(note).signatures)


def test_the_restored_log_cannot_move_its_partner_back(rollback: Rollback) -> None:
    log, witness = rollback.log, rollback.witness
    peer = rollback.peer_id()
    assert rollback.view() == (8, rollback.honest_root)

    # 1. the log, back at size 4, serves its size-4 checkpoint: an older checkpoint
    # must be a prefix of the stored one, and the log cannot prove 4 -> 8
    report = witness.worker.run_once(witness=False)
    assert "consistency proof 4->8" in report.errors[peer]
    assert rollback.view() == (8, rollback.honest_root)

    # 2. it publishes another history, still shorter than what the witness holds:
    # the witness answers with the size it holds, and does not cosign
    log.publish(3, tag="-rewritten")  # size 7
    pushed = log.worker.run_once(sync=False)
    assert "holds size 8" in pushed.errors[rollback.witness_id()]
    assert rollback.view() == (8, rollback.honest_root)
    report = witness.worker.run_once(witness=False)
    assert "consistency proof 7->8" in report.errors[peer]

    # 3. past size 8: its proof from 8 starts at the rewritten tree, not at the root
    # the witness stored, so the witness refuses (422) and cosigns nothing
    log.publish(3, tag="-rewritten")  # size 10
    assert log.store.root(8) != rollback.honest_root
    pushed = log.worker.run_once(sync=False)
    assert pushed.errors[rollback.witness_id()].endswith("refused: HTTP 422")
    latest = log.store.checkpoint()
    assert latest is not None
    assert latest.size == 10
    assert latest.cosignatures == ""
    assert rollback.view() == (8, rollback.honest_root)

    # 4. the partner's sync now holds two signed checkpoints that cannot both be
    # honest, and the proof the log itself served: kept as evidence
    report = witness.worker.run_once(witness=False)
    assert report.synced[peer].evidence is True
    assert rollback.view() == (8, rollback.honest_root)
    with witness.engine.connect() as conn:
        (record,) = evidence_for(conn, ORIGIN)
    assert record.kind == INCONSISTENT
    old, new = (
        verify_checkpoint(n, [log.verifier]).checkpoint for n in (record.note_a, record.note_b)
    )
    assert (old.size, old.root, new.size) == (8, rollback.honest_root, 10)
    assert record.proof is not None
    with pytest.raises(VerificationError):
        verify_consistency(8, 10, list(record.proof), old.root, new.root)
    status = witness.get(f"/v1/peers/{peer}/status").json()
    assert [e["kind"] for e in status["split_view"]] == [INCONSISTENT]
    assert status["checkpoint"]["size"] == 8
    metrics = witness.get("/metrics").text
    assert f'scnode_split_view_evidence{{origin="{ORIGIN}"}} 1.0' in metrics


def _fork_bundle(
    log: Node, index: int, size: int, consistency: tuple[str, str, int, int] | None = None
) -> bytes:
    """What the restored node exports: entry ``index`` of its rewritten history
    against its signed checkpoint of ``size``, optionally with a consistency item
    ``(old note, new note, old size, new size)`` proved from its own tree."""
    signed = log.store.checkpoint_at(size)
    entry = log.store.entry(index)
    assert entry.leaf is not None
    items = []
    if consistency is not None:
        old, new, a, b = consistency
        items.append((old, new, log.store.consistency_proof(a, b)))
    return build_bundle(
        origin=ORIGIN,
        vkeys=[log.vkey],
        entries=[(index, entry.leaf, log.store.inclusion_proof(index, size))],
        size=size,
        checkpoint_note=signed.text,
        consistency=items,
    )


def _text(note: str) -> str:
    return SignedNote.parse(note).text


def _extends_pinned(data: bytes, pinned_note: str, vkey: str) -> None:
    """What a verifier that pinned ``pinned_note`` (from an earlier bundle) checks
    offline: the bundle verifies, consistency items included, and every checkpoint
    it uses is the pinned one or is joined to it by a consistency item: from the
    pinned one if larger, to the pinned one if smaller (it must be a prefix)."""
    verify_bundle(data, vkeys=[vkey])
    bundle = Bundle.from_bytes(data)
    pinned = _text(pinned_note)
    joined = {_text(c.new) for c in bundle.consistency if _text(c.old) == pinned}
    joined |= {_text(c.old) for c in bundle.consistency if _text(c.new) == pinned}
    for item in bundle.entries:
        used = _text(item.proof.checkpoint)
        if used != pinned and used not in joined:
            raise VerificationError("no consistency proof joins the pinned checkpoint")


def test_bundles_of_the_rolled_back_log_fail_offline(rollback: Rollback) -> None:
    log, vkey = rollback.log, rollback.log.vkey
    # the honest bundle verifies with the witness's cosignature and from the pin
    verify_bundle(rollback.honest_bundle, vkeys=[vkey], witnesses=[rollback.witness_vkey], quorum=1)
    _extends_pinned(rollback.honest_bundle, rollback.honest_note, vkey)

    log.publish(6, tag="-rewritten")  # size 10, signed
    log.worker.run_once(sync=False)  # the witness refuses to cosign it
    rewritten = _fork_bundle(log, 5, 10)
    # a verifier demanding the witness's cosignature refuses it
    with pytest.raises(BundleVerificationError) as refused:
        verify_bundle(rewritten, vkeys=[vkey], witnesses=[rollback.witness_vkey], quorum=1)
    assert not refused.value.report.entries[0].quorum_met
    # a verifier that pinned the size-8 checkpoint refuses it, without a proof ...
    with pytest.raises(VerificationError, match="no consistency proof"):
        _extends_pinned(rewritten, rollback.honest_note, vkey)
    # ... and with the only proof the restored log can give (from its own tree)
    ten = log.store.checkpoint_at(10).text
    with_proof = _fork_bundle(log, 5, 10, (rollback.honest_note, ten, 8, 10))
    with pytest.raises(BundleVerificationError) as bad:
        _extends_pinned(with_proof, rollback.honest_note, vkey)
    assert any("8 -> 10 does not verify" in p for p in bad.value.report.problems)


def test_a_bundle_older_than_the_pinned_checkpoint_must_be_its_prefix(
    rollback: Rollback,
) -> None:
    """The restored log exports against a checkpoint smaller than the pinned one."""
    log, vkey = rollback.log, rollback.log.vkey
    log.publish(2, tag="-rewritten")  # size 6, signed
    six = log.store.checkpoint_at(6).text
    shorter = _fork_bundle(log, 5, 6)
    verify_bundle(shorter, vkeys=[vkey])  # signed by the log key: fine on its own
    with pytest.raises(VerificationError, match="no consistency proof"):
        _extends_pinned(shorter, rollback.honest_note, vkey)
    # the log grows on and offers a proof that 6 is a prefix of the pinned 8: it is
    # proved from its own tree, whose root at 8 is not the pinned root
    log.publish(2, tag="-rewritten")
    prefix = _fork_bundle(log, 5, 6, (six, rollback.honest_note, 6, 8))
    with pytest.raises(BundleVerificationError) as bad:
        _extends_pinned(prefix, rollback.honest_note, vkey)
    assert any("6 -> 8 does not verify" in p for p in bad.value.report.problems)
    # while a genuine older checkpoint passes: size 4, signed before the backup, with
    # the honest log's proof 4 -> 8
    four = log.store.checkpoint_at(4).text
    entry = log.store.entry(2)
    assert entry.leaf is not None
    genuine = build_bundle(
        origin=ORIGIN,
        vkeys=[vkey],
        entries=[(2, entry.leaf, log.store.inclusion_proof(2, 4))],
        size=4,
        checkpoint_note=four,
        consistency=[(four, rollback.honest_note, rollback.honest_proof_4_8)],
    )
    _extends_pinned(genuine, rollback.honest_note, vkey)


def test_scnode_verify_refuses_a_bundle_not_extending_a_pinned_checkpoint(
    rollback: Rollback, tmp_path: Path
) -> None:
    log = rollback.log
    log.publish(6, tag="-rewritten")  # size 10, signed, never witnessed
    bundle = tmp_path / "rewritten.json"
    bundle.write_bytes(_fork_bundle(log, 5, 10))
    # today: signed by the log's key, no witness demanded, so it verifies
    unpinned = CliRunner().invoke(main, ["verify", str(bundle), "--vkey", log.vkey])
    assert unpinned.exit_code == 0, unpinned.output
    # wanted: the bank gives the checkpoint it pinned from an earlier bundle
    pinned = tmp_path / "pinned.checkpoint"
    pinned.write_text(rollback.honest_note)
    ran = CliRunner().invoke(
        main, ["verify", str(bundle), "--vkey", log.vkey, "--checkpoint", str(pinned)]
    )
    assert ran.exit_code == 1, ran.output
    assert "FAIL pinned checkpoint" in ran.output
    assert "no consistency proof in the bundle joins" in ran.output
    # the honest bundle, pinned to the same checkpoint, passes
    honest = tmp_path / "honest.json"
    honest.write_bytes(rollback.honest_bundle)
    ok = CliRunner().invoke(
        main, ["verify", str(honest), "--vkey", log.vkey, "--checkpoint", str(pinned)]
    )
    assert ok.exit_code == 0, ok.output
    assert "ok   pinned checkpoint" in ok.output
    # and the library check agrees with the test's reference on both bundles
    verifier = [NoteVerifier.from_vkey(log.vkey)]
    verify_extends_checkpoint(
        Bundle.from_bytes(rollback.honest_bundle), rollback.honest_note, verifier
    )
    with pytest.raises(VerificationError, match="no consistency proof"):
        verify_extends_checkpoint(
            Bundle.from_bytes(bundle.read_bytes()), rollback.honest_note, verifier
        )
