"""This node's own ledger as the API sees it: origin, keys, store.

The log is opened on first use (``scnode init`` may run after the service was
built) and its keys are re-read from the home folder whenever they are needed, so
a key rotation by ``scnode key rotate`` is seen without a restart.

Where the keys come from is a :class:`KeySource`: the home folder's key files
(:class:`HomeKeys`, a normal node) or keys held in memory (:class:`HeldKeys`, a
tenant of a multi-tenant host, whose keys are sealed in the host's registry).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy import Engine

from ledger import CosignatureSigner, LedgerError
from ledger.storage import LedgerStore
from node.api.problems import ProblemError
from node.keys import KeyFileError, NodeKeys, keys_exist, load_keys
from node.settings import Settings
from node.witness import WitnessKeyError, load_or_create_witness_key

__all__ = ["HeldKeys", "HomeKeys", "KeySource", "NodeLog", "NodeLogDep", "get_node_log"]


def _not_initialised() -> ProblemError:
    return ProblemError(
        503,
        "node-not-initialised",
        "this node has no ledger yet (run: scnode init --name NAME)",
        title="Node not initialised",
    )


class KeySource(Protocol):
    """Where a node's private keys come from."""

    def node_keys(self) -> NodeKeys:
        """The checkpoint signing keys; ProblemError (503) if there are none."""
        ...

    def witness_key(self, origin: str) -> CosignatureSigner:
        """The witness (cosigner) key; WitnessKeyError if it is unavailable."""
        ...


class HomeKeys:
    """The key files of the home folder (read on every use: rotations show at once)."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def node_keys(self) -> NodeKeys:
        if not keys_exist(self.home):
            raise _not_initialised()
        try:
            return load_keys(self.home)
        except KeyFileError:
            # The message may name paths of the home folder; keep it server-side.
            raise ProblemError(
                503, "node-keys", "the node's keys cannot be read", title="Node keys unavailable"
            ) from None

    def witness_key(self, origin: str) -> CosignatureSigner:
        return load_or_create_witness_key(self.home, origin)


class HeldKeys:
    """Keys held in memory (a tenant's, unsealed by its host); never printed."""

    def __init__(self, keys: NodeKeys, witness: CosignatureSigner) -> None:
        self._keys = keys
        self._witness = witness

    def node_keys(self) -> NodeKeys:
        return self._keys

    def witness_key(self, origin: str) -> CosignatureSigner:
        if origin != self._keys.active.name:
            raise WitnessKeyError("the witness key belongs to another origin")
        return self._witness

    def __repr__(self) -> str:
        return f"HeldKeys(vkey={self._keys.active.vkey!r})"


class NodeLog:
    """Lazily opened :class:`LedgerStore` of the node in ``settings.home``."""

    def __init__(
        self, settings: Settings, engine: Engine, key_source: KeySource | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.key_source: KeySource = key_source or HomeKeys(settings.home)
        self._store: LedgerStore | None = None
        self._lock = threading.Lock()

    def keys(self) -> NodeKeys:
        return self.key_source.node_keys()

    def witness_key(self) -> CosignatureSigner:
        """This node's witness key (WitnessKeyError if it is unavailable)."""
        return self.key_source.witness_key(self.origin)

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
