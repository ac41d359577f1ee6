"""Numbers for the node's Prometheus gauges about document delivery.

Documents travel through their own durable queue (the sent rows of the
``documents`` table), not the general outbox, so the outbox's depth and peer-lag
gauges do not see them. :func:`delivery_gauges` gives, per peer, how many sent
documents wait for the counterparty's acknowledgement and how long the oldest
has waited, for the node's metrics collector to publish next to the outbox's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from node.documents._tables import documents

__all__ = ["DeliveryGauges", "delivery_gauges"]


@dataclass(frozen=True)
class DeliveryGauges:
    waiting: dict[str, int] = field(default_factory=dict)  # peer id -> documents queued
    oldest_age_s: dict[str, float] = field(default_factory=dict)  # peer id -> seconds
    refused: int = 0  # documents a counterparty refused for good

    @property
    def depth(self) -> int:
        return sum(self.waiting.values())


def delivery_gauges(engine: Engine, now_ms: int) -> DeliveryGauges:
    """Queued (not yet acknowledged, not refused) sent documents per peer."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(documents.c.peer_id, func.count(), func.min(documents.c.created_ms))
            .where(
                documents.c.direction == "sent",
                documents.c.delivered_ms.is_(None),
                documents.c.refused.is_(None),
            )
            .group_by(documents.c.peer_id)
        ).all()
        refused = conn.execute(
            select(func.count())
            .select_from(documents)
            .where(documents.c.direction == "sent", documents.c.refused.is_not(None))
        ).scalar_one()
    return DeliveryGauges(
        waiting={str(peer): int(count) for peer, count, _ in rows},
        oldest_age_s={
            str(peer): max(0.0, (now_ms - int(oldest)) / 1000) for peer, _, oldest in rows
        },
        refused=int(refused),
    )
