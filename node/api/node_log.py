"""This node's own ledger as the API sees it: origin, keys, store.

The log is opened on first use (``scnode init`` may run after the service was
built) and its keys are re-read from the home folder whenever they are needed, so
a key rotation by ``scnode key rotate`` is seen without a restart.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from ledger import LedgerError
from ledger.storage import LedgerStore
from node.api.problems import ProblemError
from node.keys import KeyFileError, NodeKeys, keys_exist, load_keys
from node.settings import Settings

__all__ = ["NodeLog", "NodeLogDep", "get_node_log"]


def _not_initialised() -> ProblemError:
    return ProblemError(
        503,
        "node-not-initialised",
        "this node has no ledger yet (run: scnode init --name NAME)",
        title="Node not initialised",
    )


class NodeLog:
    """Lazily opened :class:`LedgerStore` of the node in ``settings.home``."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._store: LedgerStore | None = None
        self._lock = threading.Lock()

    def keys(self) -> NodeKeys:
        if not keys_exist(self.settings.home):
            raise _not_initialised()
        try:
            return load_keys(self.settings.home)
        except KeyFileError:
            # The message may name paths of the home folder; keep it server-side.
            raise ProblemError(
                503, "node-keys", "the node's keys cannot be read", title="Node keys unavailable"
            ) from None

    @property
    def origin(self) -> str:
        return self.settings.node_name or self.keys().active.name

    def store(self) -> LedgerStore:
        with self._lock:
            if self._store is None:
                try:
                    self._store = LedgerStore.open(self.engine, self.origin)
                except LedgerError:
                    raise _not_initialised() from None
            return self._store

    def store_if_ready(self) -> LedgerStore | None:
        """The store, or None if the node has no ledger yet (for metrics)."""
        try:
            return self.store()
        except ProblemError:
            return None


def get_node_log(request: Request) -> NodeLog:
    node_log: NodeLog = request.app.state.node_log
    return node_log


NodeLogDep = Annotated[NodeLog, Depends(get_node_log)]
