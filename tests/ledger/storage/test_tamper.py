"""Tampering with any stored row is found by verify_all, naming the first bad index."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Engine, delete, insert, select, update

from ledger import ChainError, leaf_hash
from ledger.storage import LedgerStore, NewEntry
from ledger.storage._schema import entries, logs, nodes
from tests.ledger.storage.conftest import new_origin

N = 20

Tamper = Callable[[Connection, int], None]


def _leaf(conn: Connection, log_id: int, seq: int) -> bytes:
    return bytes(
        conn.execute(
            select(entries.c.leaf).where(entries.c.log_id == log_id, entries.c.seq == seq)
        ).scalar_one()
    )


def _set_entry(conn: Connection, log_id: int, at: int, **values: object) -> None:
    conn.execute(
        update(entries).where(entries.c.log_id == log_id, entries.c.seq == at).values(**values)
    )


def _set_node(conn: Connection, log_id: int, level: int, idx: int, digest: bytes) -> None:
    conn.execute(
        update(nodes)
        .where(nodes.c.log_id == log_id, nodes.c.level == level, nodes.c.idx == idx)
        .values(hash=digest)
    )


def flip_leaf_byte(conn: Connection, log_id: int) -> None:
    leaf = bytearray(_leaf(conn, log_id, 7))
    leaf[leaf.index(b'"n":') + 4] ^= 0x01  # the digit of body.n
    _set_entry(conn, log_id, 7, leaf=bytes(leaf))


def rewrite_leaf_and_hash(conn: Connection, log_id: int) -> None:
    leaf = _leaf(conn, log_id, 7).replace(b'"n":7', b'"n":8')
    _set_entry(conn, log_id, 7, leaf=leaf, leaf_hash=leaf_hash(leaf))


def rewrite_leaf_hash_and_node(conn: Connection, log_id: int) -> None:
    leaf = _leaf(conn, log_id, 7).replace(b'"n":7', b'"n":8')
    _set_entry(conn, log_id, 7, leaf=leaf, leaf_hash=leaf_hash(leaf))
    _set_node(conn, log_id, 0, 7, leaf_hash(leaf))


def delete_row(conn: Connection, log_id: int) -> None:
    conn.execute(delete(entries).where(entries.c.log_id == log_id, entries.c.seq == 9))


def delete_last_row(conn: Connection, log_id: int) -> None:
    conn.execute(delete(entries).where(entries.c.log_id == log_id, entries.c.seq == N - 1))


def swap_rows(conn: Connection, log_id: int) -> None:
    a, b = _leaf(conn, log_id, 5), _leaf(conn, log_id, 6)
    _set_entry(conn, log_id, 5, leaf=b, leaf_hash=leaf_hash(b))
    _set_entry(conn, log_id, 6, leaf=a, leaf_hash=leaf_hash(a))


def insert_row_after_head(conn: Connection, log_id: int) -> None:
    leaf = _leaf(conn, log_id, 3)
    conn.execute(
        insert(entries).values(
            log_id=log_id, seq=N, leaf=leaf, leaf_hash=leaf_hash(leaf), kind="x", timestamp_ms=0
        )
    )


def insert_row_in_the_middle(conn: Connection, log_id: int) -> None:
    # shift entries 10.. up by one (from the top, to keep keys unique), copy 3 into 10
    for seq in range(N - 1, 9, -1):
        _set_entry(conn, log_id, seq, seq=seq + 1)
    leaf = _leaf(conn, log_id, 3)
    conn.execute(
        insert(entries).values(
            log_id=log_id,
            seq=10,
            leaf=leaf,
            leaf_hash=leaf_hash(leaf),
            kind="inventory.snapshot",
            timestamp_ms=1003,
        )
    )


def change_kind_column(conn: Connection, log_id: int) -> None:
    _set_entry(conn, log_id, 12, kind="po.issued")


def change_timestamp_column(conn: Connection, log_id: int) -> None:
    _set_entry(conn, log_id, 2, timestamp_ms=5)


def alter_leaf_node(conn: Connection, log_id: int) -> None:
    _set_node(conn, log_id, 0, 4, bytes(32))


def alter_inner_node(conn: Connection, log_id: int) -> None:
    _set_node(conn, log_id, 3, 1, bytes(32))  # covers entries 8..15


def delete_inner_node(conn: Connection, log_id: int) -> None:
    conn.execute(
        delete(nodes).where(nodes.c.log_id == log_id, nodes.c.level == 2, nodes.c.idx == 1)
    )


def insert_node_beyond_head(conn: Connection, log_id: int) -> None:
    conn.execute(insert(nodes).values(log_id=log_id, level=2, idx=5, hash=bytes(32)))


def shrink_head(conn: Connection, log_id: int) -> None:
    conn.execute(update(logs).where(logs.c.log_id == log_id).values(size=N - 1))


def alter_head_hash(conn: Connection, log_id: int) -> None:
    conn.execute(update(logs).where(logs.c.log_id == log_id).values(last_leaf_hash=bytes(32)))


def alter_hash_of_deleted_payload(conn: Connection, log_id: int) -> None:
    # entry 16's payload was deleted: forge its hash (and its tree node) consistently
    forged = leaf_hash(b"forged")
    _set_entry(conn, log_id, 16, leaf_hash=forged)
    _set_node(conn, log_id, 0, 16, forged)


CASES: list[tuple[Tamper, int]] = [
    (flip_leaf_byte, 7),
    (rewrite_leaf_and_hash, 7),
    (rewrite_leaf_hash_and_node, 7),
    (delete_row, 9),
    (delete_last_row, N - 1),
    (swap_rows, 5),
    (insert_row_after_head, N),
    (insert_row_in_the_middle, 10),
    (change_kind_column, 12),
    (change_timestamp_column, 2),
    (alter_leaf_node, 4),
    (alter_inner_node, 15),
    (delete_inner_node, 7),
    (insert_node_beyond_head, N),
    (shrink_head, N - 1),
    (alter_head_hash, N - 1),
    (alter_hash_of_deleted_payload, 16),
]


def test_tampering_names_the_first_bad_index(engine: Engine) -> None:
    # one fresh log per case, all in this test's database (creating databases is slow)
    for number, (tamper, first_bad) in enumerate(CASES):
        store = LedgerStore.create(engine, f"{new_origin()}-{number}")
        store.append_many([NewEntry("inventory.snapshot", {"n": i}, 1000 + i) for i in range(N)])
        store.delete_payloads([16])
        store.verify_all([])
        with engine.begin() as conn:
            tamper(conn, store.log_id)
        with pytest.raises(ChainError) as info:
            store.verify_all([])
        assert info.value.index == first_bad, f"{tamper.__name__}: {info.value}"


def test_progress_reports_every_entry(store: LedgerStore) -> None:
    store.append_many([NewEntry("inventory.snapshot", {"n": i}, 1) for i in range(N)])
    seen: list[int] = []
    store.verify_all([], progress=seen.append)
    assert sum(seen) == N
