"""Numbers for the node's Prometheus gauges: outbox depth and peer lag."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from node.outbox._tables import outbox
from node.peers.registry import PeerRegistry
from node.witness import get_view

__all__ = ["peer_gauges"]


def peer_gauges(engine: Engine) -> tuple[dict[str, int], int]:
    """(entries each active peer's verified checkpoint is behind what it claimed,
    messages waiting in the outbox)."""
    lag: dict[str, int] = {}
    with engine.connect() as conn:
        for peer in PeerRegistry(conn).list():
            view = get_view(conn, peer.key.name)
            if view is not None:
                lag[peer.id] = max(0, view.claimed_size - view.size)
        waiting = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.delivered_ms.is_(None))
        ).scalar_one()
    return lag, int(waiting)
