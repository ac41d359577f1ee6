"""An in-memory log for tests, built only with the pure ledger functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ledger import (
    GENESIS_PREV,
    Checkpoint,
    CompactRange,
    CosignatureSigner,
    Entry,
    JSONValue,
    NodeId,
    NoteSigner,
    add_cosignature,
    build_bundle,
    consistency_plan,
    inclusion_plan,
    root_from_nodes,
    root_node_ids,
    sign_checkpoint,
)

ORIGIN = "example.com/supplier-a"
LOG_SEED = bytes([11]) * 32
T0 = 1_700_000_000_000


def log_signer(seed: bytes = LOG_SEED) -> NoteSigner:
    return NoteSigner(ORIGIN, seed)


def witness(n: int) -> CosignatureSigner:
    return CosignatureSigner(f"witness{n}.example", bytes([100 + n]) * 32)


@dataclass
class MemoryLog:
    """Entries, every complete tree node, and a compact range, like storage keeps them."""

    origin: str = ORIGIN
    entries: list[Entry] = field(default_factory=list)
    leaves: list[bytes] = field(default_factory=list)
    nodes: dict[NodeId, bytes] = field(default_factory=dict)
    compact: CompactRange = field(default_factory=CompactRange)

    def append(
        self, kind: str, body: dict[str, JSONValue], timestamp_ms: int | None = None
    ) -> Entry:
        seq = len(self.entries)
        prev = self.entries[-1].leaf_hash() if self.entries else GENESIS_PREV
        ts = T0 + seq * 1000 if timestamp_ms is None else timestamp_ms
        entry = Entry(seq=seq, kind=kind, body=body, prev=prev, timestamp_ms=ts, origin=self.origin)
        leaf = entry.leaf()
        self.entries.append(entry)
        self.leaves.append(leaf)
        for node_id, digest in self.compact.append(entry.leaf_hash()):
            self.nodes[node_id] = digest
        return entry

    def fill(self, n: int) -> None:
        for i in range(n):
            self.append("inventory.snapshot", {"sku": f"SKU-{i}", "commitment": f"c{i}"})

    @property
    def size(self) -> int:
        return len(self.entries)

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        size = self.size if size is None else size
        hashes = [self.nodes[n] for n in root_node_ids(size)]
        return Checkpoint(self.origin, size, root_from_nodes(size, hashes))

    def signed(
        self,
        signers: Sequence[NoteSigner],
        *,
        size: int | None = None,
        witnesses: Sequence[CosignatureSigner] = (),
        cosigned_at: int = 1_700_000_100,
    ) -> str:
        note = sign_checkpoint(self.checkpoint(size), signers)
        for w in witnesses:
            note = add_cosignature(note, w, cosigned_at)
        return note

    def inclusion(self, index: int, size: int) -> list[bytes]:
        plan = inclusion_plan(index, size)
        return plan.fold([self.nodes[n] for n in plan.ids])

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        plan = consistency_plan(size1, size2)
        return plan.fold([self.nodes[n] for n in plan.ids])

    def bundle(
        self,
        indices: Sequence[int],
        note: str,
        *,
        size: int | None = None,
        vkeys: Sequence[str] = (),
        key_history: Sequence[int] = (),
        consistency: Sequence[tuple[str, str, Sequence[bytes]]] = (),
    ) -> bytes:
        size = self.size if size is None else size
        return build_bundle(
            origin=self.origin,
            vkeys=list(vkeys),
            entries=[(i, self.leaves[i], self.inclusion(i, size)) for i in indices],
            size=size,
            checkpoint_note=note,
            key_history=[(i, self.leaves[i]) for i in key_history],
            consistency=consistency,
        )
