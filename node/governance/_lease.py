"""A lease in the database: one process at a time runs the SLA sweep.

Every uvicorn worker runs the SLA loop; a sweep in two processes at once could
open the same case twice (case ids include the time of opening). The holder of
the ``sla-sweep`` lease sweeps and renews it on every sweep; if it stops, another
process takes over once the lease has expired. Lease times are wall-clock UTC ms,
independent of the governance clock.
"""

from __future__ import annotations

import time
from typing import Final

from sqlalchemy import Engine, insert, select, update

from node.governance._db import write_transaction
from node.governance._tables import governance_leases

__all__ = ["LEASE_MS", "SWEEP_LEASE", "take_lease"]

SWEEP_LEASE: Final = "sla-sweep"
#: How long a lease lasts without renewal.
LEASE_MS: Final = 30_000


def take_lease(engine: Engine, name: str, holder: str, *, ttl_ms: int = LEASE_MS) -> bool:
    """Take or renew lease ``name`` for ``holder``; False while another holds it."""
    now = time.time_ns() // 1_000_000
    c = governance_leases.c
    with write_transaction(engine) as conn:
        row = conn.execute(select(c.holder, c.until_ms).where(c.name == name)).first()
        if row is None:
            conn.execute(
                insert(governance_leases).values(name=name, holder=holder, until_ms=now + ttl_ms)
            )
            return True
        if row.holder != holder and int(row.until_ms) >= now:
            return False
        conn.execute(
            update(governance_leases)
            .where(c.name == name)
            .values(holder=holder, until_ms=now + ttl_ms)
        )
        return True
