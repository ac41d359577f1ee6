"""Keep the collector's full passes short in a served process.

A node holds every partner's metrics in memory (tens of thousands of small
objects for 100 partners × 30 days). CPython's full (generation 2) collection
walks every tracked object, so once that heap exists a full pass takes tens to
hundreds of milliseconds and lands on whichever request happens to allocate at
the time: the health API's p99. :func:`freeze_heap` loads the metrics, collects
once, and moves everything alive into the permanent generation
(:func:`gc.freeze`): later full passes walk only what was allocated since.
"""

from __future__ import annotations

import gc
import logging

from sqlalchemy.exc import SQLAlchemyError

from node.governance._service import GovernanceService

__all__ = ["freeze_heap"]

_log = logging.getLogger("scnode.governance")


def freeze_heap(service: GovernanceService) -> int:
    """Load every partner's stored metrics, collect, then :func:`gc.freeze` the heap.

    Call once after start-up (in the app's lifespan, after the routers are
    built). Writes nothing (no rule set is stored or published). Returns the
    number of objects frozen."""
    try:
        with service.engine.connect() as conn:
            service.metrics.refresh(conn)
    except SQLAlchemyError as exc:  # an unmigrated database: freeze what there is
        _log.warning("governance metrics not loaded before freezing the heap: %s", exc)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
