"""Peers' network faults (kept by the peer loop) as the dashboard shows them."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection

from node.peers.faults import load_fault_states
from node.peers.registry import PeerRegistry

__all__ = ["FAULT_LABELS", "fault_view", "peer_faults_by_origin"]

#: Labels of the fault kinds, as the dashboard's badge shows them.
FAULT_LABELS: Final = {
    "slow": {"en": "slow peer", "zh": "响应缓慢"},
    "down": {"en": "peer down", "zh": "节点不可达"},
    "garbage": {"en": "invalid answers", "zh": "返回无效数据"},
    "forked": {"en": "forked log", "zh": "日志分叉"},
}


def peer_faults_by_origin(conn: Connection) -> dict[str, dict[str, Any]]:
    """The current fault of every active peer with one, by its log origin (the
    partner id governance uses)."""
    states = load_fault_states(conn)
    out: dict[str, dict[str, Any]] = {}
    for peer in PeerRegistry(conn).list():
        state = states.get(peer.id)
        if state is not None and state.fault is not None:
            out[peer.key.name] = {"peer_id": peer.id, **state.fault.to_json()}
    return out


def fault_view(fault: dict[str, Any], since_display: str | None) -> dict[str, Any]:
    """A fault with its zh/en label and its start in the display zone."""
    return {**fault, "label": FAULT_LABELS[fault["kind"]], "since_display": since_display}
