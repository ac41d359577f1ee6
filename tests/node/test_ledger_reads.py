"""The API's single-statement ledger reads, cross-checked with the store and with
the RFC 9162 reference implementation of the tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from ledger import NoteSigner, StorageError, leaf_hash, verify_inclusion
from ledger.storage import LedgerStore
from ledger.storage._reads import LogReads
from node.db import create_engine, upgrade
from tests.ledger.reference import mth, path

ORIGIN = "reads.example/log"
SIZE = 37


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def test_inclusion_and_leaf_hash_match_the_store_and_the_reference(engine: Engine) -> None:
    store = LedgerStore.create(engine, ORIGIN)
    reads = LogReads(engine, store.log_id)
    assert reads.latest_checkpoint() is None
    hashes = [store.append("test.item", {"n": i}, 1_000 + i).leaf_hash for i in range(SIZE)]
    for size in (1, 2, 3, 8, 13, SIZE):
        root = mth(hashes[:size])
        for index in range(size):
            leaf, proof = reads.inclusion(index, size)
            assert leaf == hashes[index] == store.entry(index).leaf_hash
            assert proof == path(index, hashes[:size]) == store.inclusion_proof(index, size)
            verify_inclusion(leaf, index, size, proof, root)
        with pytest.raises(StorageError):
            reads.inclusion(size, size)
    with pytest.raises(StorageError):
        reads.inclusion(-1, SIZE)
    with pytest.raises(StorageError):
        reads.inclusion(0, SIZE + 1)  # nodes of a tree the log does not have yet
    stored = store.entry(5).leaf
    assert stored is not None
    assert leaf_hash(stored) == hashes[5]


def test_latest_checkpoint_is_the_stores_with_its_cosignatures(engine: Engine) -> None:
    store = LedgerStore.create(engine, ORIGIN)
    other = LedgerStore.create(engine, "reads.example/other")
    reads = LogReads(engine, store.log_id)
    signer = NoteSigner.generate(ORIGIN)
    for i in range(5):
        store.append("test.item", {"n": i}, 1_000 + i)
        other.append("test.item", {"n": i}, 1_000 + i)
    store.sign_checkpoint([signer], 2_000, size=3)
    assert reads.latest_checkpoint() == store.checkpoint()
    store.sign_checkpoint([signer], 3_000)
    other.sign_checkpoint([NoteSigner.generate("reads.example/other")], 3_500)
    latest = reads.latest_checkpoint()
    assert latest == store.checkpoint()
    assert latest is not None
    assert latest.size == 5
    store.add_cosignatures(5, ["\u2014 witness.example/w AAAA"])
    again = reads.latest_checkpoint()
    assert again == store.checkpoint()
    assert again is not None
    assert again.text == latest.text + "\u2014 witness.example/w AAAA\n"
