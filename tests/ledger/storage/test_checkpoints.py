"""Signed checkpoints in storage: never two inconsistent ones; verified by verify_all."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, update

from ledger import (
    ChainError,
    CosignatureSigner,
    NoteSigner,
    StorageError,
    add_cosignature,
    open_checkpoint,
)
from ledger.storage import LedgerStore, NewEntry
from ledger.storage._schema import checkpoints

KEY_NAME = "example.com/scnode-test"


def _signer(seed: int = 1) -> NoteSigner:
    return NoteSigner.generate(KEY_NAME, rng=lambda n: bytes([seed]) * n)


def _fill(store: LedgerStore, n: int) -> None:
    store.append_many([NewEntry("inventory.snapshot", {"n": i}, 10 + i) for i in range(n)])


def test_signed_checkpoint_opens_with_the_tree_root(store: LedgerStore) -> None:
    key = _signer()
    assert store.checkpoint() is None
    empty = store.sign_checkpoint([key], now_ms=5)
    assert (empty.size, empty.root) == (0, store.root(0))
    _fill(store, 7)
    cp = store.sign_checkpoint([key], now_ms=6)
    opened = open_checkpoint(cp.text, [key.verifier()], origin=store.origin)
    assert (opened.size, opened.root) == (7, store.root())
    assert store.checkpoint() == cp == store.checkpoint_at(7)
    assert [c.size for c in store.checkpoints()] == [0, 7]
    report = store.verify_all([key.verifier()])
    assert (report.size, report.checkpoints) == (7, 2)


def test_never_signs_inconsistent_checkpoints(store: LedgerStore) -> None:
    key = _signer()
    _fill(store, 5)
    first = store.sign_checkpoint([key], now_ms=1)
    # the same size again: the same checkpoint, not a second one
    assert store.sign_checkpoint([key], now_ms=2) == first
    with pytest.raises(StorageError, match="below"):
        store.sign_checkpoint([key], now_ms=3, size=4)
    with pytest.raises(StorageError, match="outside"):
        store.sign_checkpoint([key], now_ms=3, size=6)
    with pytest.raises(StorageError, match="at least one key"):
        store.sign_checkpoint([], now_ms=3)
    _fill(store, 2)
    assert store.sign_checkpoint([key], now_ms=4, size=6).size == 6
    assert store.sign_checkpoint([key], now_ms=4).size == 7


def test_same_size_with_another_root_is_refused(engine: Engine, store: LedgerStore) -> None:
    key = _signer()
    _fill(store, 3)
    store.sign_checkpoint([key], now_ms=1)
    with engine.begin() as conn:  # a database whose stored root was changed
        conn.execute(
            update(checkpoints).where(checkpoints.c.log_id == store.log_id).values(root=bytes(32))
        )
    with pytest.raises(StorageError, match="another root"):
        store.sign_checkpoint([key], now_ms=2)


def test_resigning_with_more_keys_keeps_cosignatures(store: LedgerStore) -> None:
    old, new = _signer(1), _signer(2)
    _fill(store, 4)
    store.sign_checkpoint([old], now_ms=1)
    witness = CosignatureSigner.generate("witness.example", rng=lambda n: b"\x07" * n)
    cosigned = add_cosignature(store.checkpoint().text, witness, 1_700_000_000)  # type: ignore[union-attr]
    line = cosigned.splitlines()[-1]
    store.add_cosignatures(4, [line, line])
    both = store.sign_checkpoint([new, old], now_ms=2)
    assert both.cosignatures == line + "\n"
    for key in (old, new):
        open_checkpoint(both.text, [key.verifier()], witnesses=[witness.verifier()], quorum=1)
    store.verify_all([old.verifier(), new.verifier()])


def _alter(engine: Engine, store: LedgerStore, **values: object) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(checkpoints)
            .where(checkpoints.c.log_id == store.log_id, checkpoints.c.size == 6)
            .values(**values)
        )


@pytest.mark.parametrize(
    "change",
    [
        {"root": bytes(32)},
        {"note": "tampered"},
        {"size": 60},
        {"size": -6},
    ],
    ids=["root", "note", "size", "negative-size"],
)
def test_altered_checkpoints_are_found(
    engine: Engine, store: LedgerStore, change: dict[str, object]
) -> None:
    key = _signer()
    _fill(store, 6)
    cp = store.sign_checkpoint([key], now_ms=1)
    _fill(store, 4)
    store.sign_checkpoint([key], now_ms=2)
    if change == {"note": "tampered"}:
        change = {"note": cp.note.replace("\n6\n", "\n5\n")}
    _alter(engine, store, **change)
    with pytest.raises(ChainError) as info:
        store.verify_all([key.verifier()])
    assert info.value.index == (10 if "size" in change else 5)
    assert str(change.get("size", "")) in str(info.value)


def test_checkpoint_by_an_unknown_key_is_found(store: LedgerStore) -> None:
    _fill(store, 3)
    store.sign_checkpoint([_signer(1)], now_ms=1)
    with pytest.raises(ChainError) as info:
        store.verify_all([_signer(2).verifier()])
    assert info.value.index == 2
