"""Verifying a log's checkpoints from the stored view (sync, inbox, gossip paths),
on a real database, with the logs' proofs taken from real ledger stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from ledger import Checkpoint, CosignatureSigner, NoteSigner, add_cosignature, sign_checkpoint
from ledger.storage import LedgerStore
from node.app import make_engine
from node.auth.roles import Role
from node.db import upgrade
from node.outbox import receive
from node.peers.registry import Peer, PeerRegistry
from node.witness import (
    INCONSISTENT,
    SAME_SIZE,
    evidence_for,
    get_view,
    verify_and_store,
)

ORIGIN = "log.example/watched"
NOW = 1_800_000_000_000


@dataclass
class Log:
    store: LedgerStore
    signer: NoteSigner

    def grow(self, count: int, tag: str = "") -> None:
        for _ in range(count):
            n = self.store.size()
            self.store.append("test.item", {"n": n, "tag": tag}, NOW + n)

    def checkpoint(self, size: int) -> tuple[str, Checkpoint]:
        checkpoint = Checkpoint(ORIGIN, size, self.store.root(size))
        return sign_checkpoint(checkpoint, [self.signer]), checkpoint

    def proofs(self, old: int, new: int) -> list[bytes]:
        return self.store.consistency_proof(old, new)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    made = make_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def logs(tmp_path: object) -> Iterator[tuple[Log, Log]]:
    """Two ledgers under one key that share their first 4 entries, then fork."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    signer = NoteSigner.generate(ORIGIN)
    made = []
    engines = []
    for label in ("a", "b"):
        url = f"sqlite:///{tmp_path / f'{label}.sqlite'}"
        upgrade(url)
        eng = make_engine(url)
        engines.append(eng)
        log = Log(LedgerStore.create(eng, ORIGIN), signer)
        log.grow(4, "shared")
        made.append(log)
    made[0].grow(4, "a")
    made[1].grow(4, "b")
    yield made[0], made[1]
    for eng in engines:
        eng.dispose()


def _no_fetch(old: int, new: int) -> list[bytes]:
    raise AssertionError(f"no proof should be fetched ({old} -> {new})")


def test_views_advance_only_with_proofs(engine: Engine, logs: tuple[Log, Log]) -> None:
    a, _ = logs
    first = verify_and_store(engine, *a.checkpoint(3), source="sync", now_ms=NOW)
    assert (first.size, first.advanced, first.evidence) == (3, True, False)
    # no proof available: the view stays
    assert verify_and_store(engine, *a.checkpoint(6), source="inbox", now_ms=NOW).advanced is False
    # a proof carried from another size is not used; none is fetched
    carried = (2, a.proofs(2, 6))
    kept = verify_and_store(
        engine, *a.checkpoint(6), source="inbox", now_ms=NOW, proof_from=carried
    )
    assert kept.advanced is False
    # the carried proof from the stored size is used, without fetching
    moved = verify_and_store(
        engine,
        *a.checkpoint(6),
        source="inbox",
        now_ms=NOW,
        proof_from=(3, a.proofs(3, 6)),
        fetch_proof=_no_fetch,
    )
    assert (moved.size, moved.advanced) == (6, True)
    fetched = verify_and_store(
        engine, *a.checkpoint(8), source="sync", now_ms=NOW, fetch_proof=a.proofs
    )
    assert (fetched.size, fetched.advanced) == (8, True)
    with engine.connect() as conn:
        view = get_view(conn, ORIGIN)
        assert evidence_for(conn) == []
    assert view is not None
    assert (view.size, view.root, view.source) == (8, a.store.root(8), "sync")


def test_older_checkpoints_must_be_prefixes(engine: Engine, logs: tuple[Log, Log]) -> None:
    a, b = logs
    verify_and_store(engine, *a.checkpoint(8), source="sync", now_ms=NOW)
    stale = verify_and_store(
        engine, *a.checkpoint(5), source="sync", now_ms=NOW, fetch_proof=a.proofs
    )
    assert (stale.size, stale.advanced, stale.evidence) == (8, False, False)
    # b's size 6 is not a prefix of a's size 8; the log serves a's proof 6 -> 8
    rolled = verify_and_store(
        engine, *b.checkpoint(6), source="sync", now_ms=NOW, fetch_proof=a.proofs
    )
    assert rolled.evidence is True
    with engine.connect() as conn:
        (record,) = evidence_for(conn, ORIGIN)
        view = get_view(conn, ORIGIN)
    assert record.kind == INCONSISTENT
    assert record.proof == tuple(a.proofs(6, 8))
    assert view is not None
    assert view.size == 8


def test_forks_are_evidence_once_per_pair(engine: Engine, logs: tuple[Log, Log]) -> None:
    a, b = logs
    verify_and_store(engine, *a.checkpoint(6), source="sync", now_ms=NOW)
    for _ in range(2):
        got = verify_and_store(engine, *b.checkpoint(6), source="gossip", now_ms=NOW)
        assert got.evidence is True
    bad = verify_and_store(
        engine, *b.checkpoint(8), source="inbox", now_ms=NOW, proof_from=(6, b.proofs(6, 8))
    )
    assert bad.evidence is True
    with engine.connect() as conn:
        kinds = [r.kind for r in evidence_for(conn, ORIGIN)]
        view = get_view(conn, ORIGIN)
    assert kinds == [SAME_SIZE, INCONSISTENT]
    assert view is not None
    assert view.root == a.store.root(6)  # the view never moved to the other branch


def test_a_note_with_more_cosignatures_replaces_the_stored_one(
    engine: Engine, logs: tuple[Log, Log]
) -> None:
    a, _ = logs
    note, checkpoint = a.checkpoint(5)
    verify_and_store(engine, note, checkpoint, source="witness", now_ms=NOW)
    witness = CosignatureSigner.generate("w.example/w")
    cosigned = add_cosignature(note, witness, NOW // 1000)
    verify_and_store(engine, cosigned, checkpoint, source="sync", now_ms=NOW)
    with engine.connect() as conn:
        view = get_view(conn, ORIGIN)
    assert view is not None
    assert view.note == cosigned
    verify_and_store(engine, note, checkpoint, source="sync", now_ms=NOW)  # fewer: kept
    with engine.connect() as conn:
        again = get_view(conn, ORIGIN)
    assert again is not None
    assert again.note == cosigned


def test_concurrent_deliveries_of_one_message_store_it_once(engine: Engine) -> None:
    signer = NoteSigner.generate("sender.example/node")
    with engine.begin() as conn:
        peer: Peer = PeerRegistry(conn).add(
            url="http://127.0.0.1:9", vkey=signer.vkey, role=Role.PARTNER
        )
    message: dict[str, object] = {"seq": 0, "leaf": None, "leaf_hash": "A" * 43 + "="}
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    errors: list[BaseException] = []

    def deliver() -> None:
        barrier.wait()
        try:
            got = receive(
                engine,
                peer,
                seq=1,
                idempotency_key="ab" * 16,
                kind="entry",
                payload=message,
                now_ms=NOW,
            )
        except BaseException as exc:  # a thread's error must fail the test, visibly
            with lock:
                errors.append(exc)
            raise
        with lock:
            results.append(got.duplicate)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False] + [True] * 7
