"""Peer membership changes as entries of the node's own ledger.

``peer.add`` and ``peer.remove`` entries carry the peer's id, URL, verifier key
and role (all public), so partners and auditors can see from the log who this
node trusted and when. The registry row is committed first, then the entry is
appended and a checkpoint signed (two transactions: the ledger store takes its
own write lock). A node without a ledger yet (before ``scnode init``) records
nothing.
"""

from __future__ import annotations

import time

from ledger import JSONValue
from node.api.node_log import NodeLog
from node.peers.registry import Peer

__all__ = ["PEER_ADD_KIND", "PEER_REMOVE_KIND", "membership_body", "record_membership"]

PEER_ADD_KIND = "peer.add"
PEER_REMOVE_KIND = "peer.remove"


def membership_body(peer: Peer) -> dict[str, JSONValue]:
    return {"peer_id": peer.id, "url": peer.url, "vkey": peer.vkey, "role": peer.role.value}


def record_membership(node_log: NodeLog, kind: str, peer: Peer) -> int | None:
    """Append ``kind`` for ``peer`` and sign a checkpoint; the entry's index, or None."""
    store = node_log.store_if_ready()
    if store is None:
        return None
    now_ms = time.time_ns() // 1_000_000
    done = store.append(kind, membership_body(peer), now_ms)
    store.sign_checkpoint(node_log.keys().signers(now_ms), now_ms)
    return done.seq
