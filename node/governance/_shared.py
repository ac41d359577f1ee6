"""Per-engine shared state: one metrics cache and one rule book per database."""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Engine

from node.governance._metrics_store import MetricsStore
from node.governance._rules import RuleBook

__all__ = ["shared"]

_lock = threading.Lock()
_by_engine: weakref.WeakKeyDictionary[Engine, tuple[MetricsStore, RuleBook]] = (
    weakref.WeakKeyDictionary()
)


def shared(engine: Engine) -> tuple[MetricsStore, RuleBook]:
    """The metrics store and rule book of ``engine`` (made on first use)."""
    with _lock:
        found = _by_engine.get(engine)
        if found is None:
            found = _by_engine[engine] = (MetricsStore(engine), RuleBook(engine))
        return found
