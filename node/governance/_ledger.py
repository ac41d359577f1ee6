"""Appending governance events (rule sets, case transitions) to the node's ledger."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledger import JSONValue
from ledger.storage import NewEntry
from node.api.node_log import NodeLog

__all__ = ["append_events", "ledger_kind"]


def ledger_kind(kind: str) -> str:
    """The ledger entry kind of a governance event kind.

    Governance names its events ``governance.exception.opened/v1``; the ledger's
    kinds are dotted lower-case words, so the version separator ``/`` is written
    ``.``: ``governance.exception.opened.v1``. The body is governance's, unchanged.
    """
    return kind.replace("/", ".")


def append_events(
    node_log: NodeLog, events: Sequence[Mapping[str, Any]], *, now: int
) -> list[int | None]:
    """Append ``{"kind", "body"}`` events in one transaction and sign a checkpoint.

    Returns each event's ledger index, or ``None`` for every event when the node
    has no ledger yet (before ``scnode init``).
    """
    if not events:
        return []
    store = node_log.store_if_ready()
    if store is None:
        return [None] * len(events)
    items = []
    for event in events:
        body: dict[str, JSONValue] = dict(event["body"])
        items.append(NewEntry(ledger_kind(str(event["kind"])), body, now))
    done = store.append_many(items)
    store.sign_checkpoint(node_log.keys().signers(now), now)
    return [d.seq for d in done]
