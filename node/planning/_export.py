"""Recording a capacity fact in the node's ledger and exporting it for forwarding.

I/O edge: takes a :class:`ledger.storage.LedgerStore`, the node's signers and the
time. The exported bytes are a ``scnode-evidence/v1`` bundle holding the fact's
entry, its inclusion proof and the signed checkpoint (with any witness
cosignatures already stored), plus the ``capacity_fact`` disclosure for the
customer when one is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ledger import KEY_ROTATE_KIND, JSONValue, NoteSigner, build_bundle
from ledger.storage import LedgerStore
from node.planning._errors import PlanningError
from node.planning._fact import FACT_KIND, ProvenFact
from node.planning._forward import DISCLOSURE_MEMBER

__all__ = ["export_fact", "record_fact"]


def record_fact(store: LedgerStore, proven: ProvenFact, *, now_ms: int) -> int:
    """Append the fact's ``planning.capacity_fact`` entry; returns its index."""
    return store.append(FACT_KIND, proven.fact.to_body(), now_ms).seq


def export_fact(
    store: LedgerStore,
    index: int,
    *,
    signers: Sequence[NoteSigner],
    vkeys: Sequence[str],
    now_ms: int,
    disclosure: Mapping[str, JSONValue] | None = None,
) -> bytes:
    """The evidence bundle of the fact at ``index`` (checkpoint signed now)."""
    entry = store.entry(index)
    if entry.kind != FACT_KIND or entry.leaf is None:
        raise PlanningError(f"entry {index} is not a capacity fact with its payload")
    checkpoint = store.sign_checkpoint(signers, now_ms)
    size = checkpoint.size
    history = [
        (e.seq, e.leaf)
        for e in store.entries_of_kind(KEY_ROTATE_KIND)
        if e.seq < size and e.leaf is not None
    ]
    extra: dict[str, JSONValue] = {}
    if disclosure is not None:
        extra[DISCLOSURE_MEMBER] = dict(disclosure)
    return build_bundle(
        origin=store.origin,
        vkeys=list(vkeys),
        entries=[(index, entry.leaf, store.inclusion_proof(index, size))],
        size=size,
        checkpoint_note=checkpoint.text,
        key_history=history,
        extra=extra,
    )
