"""The check after a load run: the ledger verifies and holds every acknowledged publish once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks.load_clients import Ack

__all__ = ["SNAPSHOT_KIND", "LedgerCheck", "check_ledger"]

SNAPSHOT_KIND: Final = "inventory.snapshot"


@dataclass(frozen=True)
class LedgerCheck:
    size: int
    error: str | None  # None: ``verify_all`` passed
    seconds: float
    lost: int  # acknowledged, but not at its index with its leaf hash, or its snapshot absent
    duplicated: int  # acknowledged snapshots found in more than one entry
    snapshot_entries: int


def _snapshot_counts(entries: Sequence[tuple[int, bytes | None]]) -> Counter[str]:
    from ledger import Entry

    counts: Counter[str] = Counter()
    for _seq, leaf in entries:
        if leaf is None:
            continue
        body = Entry.from_leaf(leaf).body
        snapshot = body.get("snapshot") if isinstance(body, dict) else None
        if isinstance(snapshot, str):
            counts[snapshot] += 1
    return counts


def check_ledger(home: Path, database_url: str, acks: Sequence[Ack]) -> LedgerCheck:
    """Re-verify the node's whole ledger, then look up every acknowledged publish."""
    from ledger import LedgerError
    from ledger.storage import LedgerStore
    from node.app import make_engine
    from node.keys import load_keys
    from node.settings import load_settings

    settings = load_settings(home=home)
    engine = make_engine(database_url)
    try:
        store = LedgerStore.open(engine, settings.node_name or load_keys(home).active.name)
        started = time.perf_counter()
        error: str | None = None
        try:
            store.verify_all(load_keys(home).verifiers)
        except LedgerError as exc:
            error = str(exc)
        seconds = round(time.perf_counter() - started, 2)
        size = store.size()
        stored = store.entries_of_kind(SNAPSHOT_KIND)
        counts = _snapshot_counts([(e.seq, e.leaf) for e in stored])
        lost = 0
        for ack in acks:
            at = store.entry(ack.index) if ack.index < size else None
            if at is None or at.leaf_hash.hex() != ack.leaf_hash or counts[ack.snapshot] == 0:
                lost += 1
        duplicated = sum(1 for ack in acks if counts[ack.snapshot] > 1)
    finally:
        engine.dispose()
    return LedgerCheck(
        size=size,
        error=error,
        seconds=seconds,
        lost=lost,
        duplicated=duplicated,
        snapshot_entries=len(stored),
    )
