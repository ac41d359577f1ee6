"""Building a :class:`Publisher` for a node: its engine, ledger, keys and home folder."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from governance import RuleSet
from ledger import NoteSigner
from ledger.storage import LedgerStore
from node.disclosure import sync_home_policy
from node.inventory._pool import default_jobs
from node.inventory._profiles import HomeMapping
from node.inventory._service import Publisher

__all__ = ["home_mapping", "now_ms", "open_publisher"]

_homes: dict[Path, HomeMapping] = {}
_homes_lock = threading.Lock()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def home_mapping(home: Path) -> HomeMapping:
    """The (cached) mapping files of a home folder."""
    key = home.absolute()
    with _homes_lock:
        found = _homes.get(key)
        if found is None:
            found = _homes[key] = HomeMapping(key)
        return found


def rules_in_force(engine: Engine) -> RuleSet:
    """The rule set in force now: the node's governance rule book (its stored rule
    sets, published in its ledger), which falls back to governance's default."""
    from node.governance import RuleBook

    return RuleBook(engine).in_force(at=now_ms())


def open_publisher(
    *,
    engine: Engine,
    store: LedgerStore,
    signers: Callable[[int], Sequence[NoteSigner]],
    home: Path,
    jobs: int | None = None,
) -> Publisher:
    """A publisher with the real clock and the system's cryptographic randomness.

    ``jobs``: prover processes for the range proofs (default: the cores this
    process may use; 1 proves in this process).

    Loads the home folder's disclosure policy first when it is newer than the
    stored one (:class:`~node.disclosure.PolicyError` if that file is malformed).
    """
    sync_home_policy(engine, home, now_ms=now_ms())
    mapping = home_mapping(home)
    return Publisher(
        engine=engine,
        store=store,
        signers=signers,
        origin=store.origin,
        mapping=mapping.context,
        rules=rules_in_force(engine),
        clock=now_ms,
        rng=secrets.SystemRandom(),
        jobs=default_jobs() if jobs is None else jobs,
    )
