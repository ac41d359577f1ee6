"""The policy in force, kept in memory for the hot read routes.

Reading the policy costs a database query, parsing and a look at the home
folder's policy file; the ledger's read routes ask for it on every request.
:class:`PolicyCache` keeps the policy for ``ttl_s`` seconds (one second by
default): a new policy version (stored by another process, or a newer file in
the home folder) takes effect within that long in every worker process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from sqlalchemy import Engine

from node.disclosure._policy import Policy
from node.disclosure._store import sync_home_policy

__all__ = ["POLICY_CACHE_TTL_S", "PolicyCache"]

POLICY_CACHE_TTL_S: Final = 1.0


class PolicyCache:
    """``sync_home_policy(engine, home)``, re-read at most every ``ttl_s`` seconds."""

    def __init__(
        self,
        engine: Engine,
        home: Path,
        *,
        ttl_s: float = POLICY_CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.home = home
        self.ttl_s = ttl_s
        self.clock = clock
        self._policy: Policy | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def cached(self) -> Policy | None:
        """The policy if it was read less than ``ttl_s`` ago (no I/O), else None."""
        policy = self._policy
        if policy is None or self.clock() >= self._expires:
            return None
        return policy

    def reload(self) -> Policy:
        """Read the policy in force now (database and home folder; blocking).

        :class:`~node.disclosure.PolicyError` if the home folder's file is malformed
        (nothing is cached then)."""
        with self._lock:
            policy = self.cached()
            if policy is not None:
                return policy
            started = self.clock()
            policy = sync_home_policy(self.engine, self.home, now_ms=time.time_ns() // 1_000_000)
            self._policy, self._expires = policy, started + self.ttl_s
            return policy

    def forget(self) -> None:
        """Drop the cached policy (after storing a new one in this process)."""
        with self._lock:
            self._policy = None
