"""Appending, reading and proving on SQLite and PostgreSQL, against a reference tree."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ledger import (
    GENESIS_PREV,
    Entry,
    FormatError,
    StorageError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.storage import LedgerStore, NewEntry
from tests.ledger.storage.conftest import new_origin
from tests.ledger.storage.reference import mth, path, proof


def _fill(store: LedgerStore, n: int) -> list[bytes]:
    done = store.append_many(
        [
            NewEntry("inventory.snapshot", {"n": i, "sku": f"S{i}"}, 1_700_000_000_000 + i)
            for i in range(n)
        ]
    )
    return [a.leaf_hash for a in done]


def test_append_assigns_seq_and_chains(store: LedgerStore) -> None:
    first = store.append("inventory.snapshot", {"sku": "A", "qty_commitment": "00"}, 1000)
    second = store.append("po.issued", {"po": "hash"}, 1001)
    assert (first.seq, second.seq) == (0, 1)
    e0 = Entry.from_leaf(store.entry(0).leaf or b"")
    e1 = Entry.from_leaf(store.entry(1).leaf or b"")
    assert e0 == Entry(
        0,
        "inventory.snapshot",
        {"sku": "A", "qty_commitment": "00"},
        GENESIS_PREV,
        1000,
        store.origin,
    )
    assert e1.prev == first.leaf_hash == leaf_hash(first.leaf)
    row = store.entry(1)
    assert (row.kind, row.timestamp_ms, row.leaf_hash) == ("po.issued", 1001, second.leaf_hash)
    assert store.size() == 2


def test_append_many_is_all_or_nothing(store: LedgerStore) -> None:
    _fill(store, 3)
    root = store.root()
    batch = [NewEntry("inventory.snapshot", {"ok": 1}, 5), NewEntry("Bad Kind", {}, 5)]
    with pytest.raises(FormatError):
        store.append_many(batch)
    assert store.size() == 3
    assert store.root() == root
    assert [e.seq for e in store.entries(0, 10)] == [0, 1, 2]
    assert store.append_many([]) == []


def test_roots_and_proofs_match_the_reference_tree(store: LedgerStore) -> None:
    hashes = _fill(store, 17)
    for size in range(1, 18):
        root = store.root(size)
        assert root == mth(hashes[:size])
        for index in range(size):
            got = store.inclusion_proof(index, size)
            assert got == path(index, hashes[:size])
            verify_inclusion(hashes[index], index, size, got, root)
        for old in range(1, size + 1):
            got = store.consistency_proof(old, size)
            assert got == proof(old, hashes[:size])
            verify_consistency(old, size, got, store.root(old), root)
    assert store.root(0) == mth([])
    assert store.inclusion_proof(16) == path(16, hashes)


def test_proof_requests_outside_the_log_are_refused(store: LedgerStore) -> None:
    _fill(store, 5)
    for call in (
        lambda: store.inclusion_proof(5, 5),
        lambda: store.inclusion_proof(-1, 5),
        lambda: store.inclusion_proof(0, 6),
        lambda: store.consistency_proof(0, 5),
        lambda: store.consistency_proof(4, 3),
        lambda: store.consistency_proof(2, 9),
        lambda: store.root(6),
        lambda: store.entry(5),
    ):
        with pytest.raises(StorageError):
            call()


def test_entries_reads_a_range(store: LedgerStore) -> None:
    _fill(store, 10)
    got = store.entries(3, 7)
    assert [e.seq for e in got] == [3, 4, 5, 6]
    assert store.entries(8, 100)[-1].seq == 9
    assert store.entries(20, 30) == []


def test_retention_keeps_proofs(store: LedgerStore) -> None:
    hashes = _fill(store, 12)
    assert store.delete_payloads([0, 3, 4, 11, 99]) == 4
    assert store.delete_payloads([3]) == 0
    assert store.entry(3).leaf is None
    assert store.entry(3).leaf_hash == hashes[3]
    assert store.entry(5).leaf is not None
    root = store.root()
    for index in (0, 3, 4, 11):
        verify_inclusion(hashes[index], index, 12, store.inclusion_proof(index), root)
    report = store.verify_all([])
    assert (report.size, report.entries_with_payload, report.root) == (12, 8, mth(hashes))
    # key-history entries keep their payload (verifiers need them)
    rotate = store.append("key.rotate", {"rotation": "..."}, 9)
    assert store.delete_payloads([rotate.seq]) == 0
    assert [e.seq for e in store.entries_of_kind("key.rotate")] == [rotate.seq]
    # appending goes on after retention
    store.append("inventory.snapshot", {"after": True}, 9)
    store.verify_all([])


def test_logs_in_one_database_are_separate(engine: Engine, store: LedgerStore) -> None:
    other = LedgerStore.create(engine, new_origin())
    _fill(store, 4)
    other.append("peer.add", {"peer": "x"}, 1)
    assert (store.size(), other.size()) == (4, 1)
    assert LedgerStore.open(engine, store.origin).log_id == store.log_id
    with pytest.raises(StorageError, match="already exists"):
        LedgerStore.create(engine, store.origin)
    with pytest.raises(StorageError, match="no log"):
        LedgerStore.open(engine, "example.net/none")
    store.verify_all([])
    other.verify_all([])


_batches = st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=_batches)
def test_batches_of_any_shape_build_the_same_tree(engine: Engine, batches: list[int]) -> None:
    store = LedgerStore.create(engine, new_origin())
    counter = itertools.count()
    hashes: list[bytes] = []
    for size in batches:
        done = store.append_many(
            [NewEntry("inventory.snapshot", {"i": next(counter)}, 7) for _ in range(size)]
        )
        hashes.extend(a.leaf_hash for a in done)
        assert store.root() == mth(hashes)
    n = len(hashes)
    assert store.inclusion_proof(n - 1) == path(n - 1, hashes)
    store.verify_all([])
