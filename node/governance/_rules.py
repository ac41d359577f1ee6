"""The rule sets in force: stored, published as ledger entries, selected by time.

The first start stores governance's default rule set; ``scnode rules publish FILE``
adds others. Each is published as a ``governance.rule_set/v1`` ledger entry as
soon as the node has a ledger; until then its ``ledger_index`` is empty and the
next start (or sweep) publishes it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from governance import (
    RuleSet,
    RuleSetError,
    canonical_rule_set_bytes,
    default_rule_set,
    rule_set_digest,
    rule_set_entry,
    rule_set_from_json,
    select_rule_set,
)
from node.api.node_log import NodeLog
from node.governance._db import write_transaction
from node.governance._ledger import append_events
from node.governance._tables import governance_rule_sets

__all__ = ["RELOAD_S", "RuleBook", "StoredRuleSet", "rule_set_document"]

#: Seconds a process keeps its list of rule sets before reading it again.
RELOAD_S = 5.0
#: ``ledger_index`` of a rule set being published by some process right now.
CLAIMED = -1


@dataclass(frozen=True)
class StoredRuleSet:
    """A rule set this node holds, with when it was added and its ledger entry."""

    rules: RuleSet
    digest: str
    published_at: int
    ledger_index: int | None

    def to_dict(self) -> dict[str, object]:
        r = self.rules
        return {
            "id": r.id,
            "version": r.version,
            "ref": r.ref,
            "effective_from": r.effective_from,
            "digest": self.digest,
            "published_at": self.published_at,
            "ledger_index": self.ledger_index,
        }


@lru_cache(maxsize=1)
def _default() -> RuleSet:
    return default_rule_set()


class RuleBook:
    """Every stored rule set, cached; thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._cache: tuple[StoredRuleSet, ...] | None = None
        self._loaded_at = 0.0

    def _load(self, conn: Connection) -> tuple[StoredRuleSet, ...]:
        rows = conn.execute(select(governance_rule_sets).order_by(governance_rule_sets.c.id)).all()
        return tuple(
            StoredRuleSet(
                rules=rule_set_from_json(r.document.encode()),
                digest=r.digest,
                published_at=int(r.published_at),
                ledger_index=None if r.ledger_index in (None, CLAIMED) else int(r.ledger_index),
            )
            for r in rows
        )

    def all(self, *, reload: bool = False) -> tuple[StoredRuleSet, ...]:
        """Every stored rule set, oldest first; re-read after :data:`RELOAD_S` seconds
        (another process, e.g. ``scnode rules publish``, may have added one)."""
        with self._lock:
            stale = time.monotonic() - self._loaded_at > RELOAD_S
            if self._cache is None or reload or stale:
                with self.engine.connect() as conn:
                    self._cache = self._load(conn)
                self._loaded_at = time.monotonic()
            return self._cache

    def in_force(self, *, at: int) -> RuleSet:
        """The rule set in force at ``at`` (the earliest one if none is in force yet)."""
        stored = self.all()
        if not stored:
            return _default()
        sets = [s.rules for s in stored]
        try:
            return select_rule_set(sets, at=at)
        except RuleSetError:
            return min(sets, key=lambda r: (r.effective_from, r.version))

    def add(self, conn: Connection, rules: RuleSet, *, now: int) -> bool:
        """Store ``rules``; False if this exact version is already stored.

        A different rule set under a stored id and version is refused.
        """
        digest = rule_set_digest(rules)
        found = conn.execute(
            select(governance_rule_sets.c.digest).where(
                governance_rule_sets.c.rule_set_id == rules.id,
                governance_rule_sets.c.version == rules.version,
            )
        ).scalar_one_or_none()
        if found is not None:
            if found != digest:
                raise RuleSetError(
                    f"rule set {rules.ref} is already in force with other content; "
                    "publish it under a new version"
                )
            return False
        conn.execute(
            insert(governance_rule_sets).values(
                rule_set_id=rules.id,
                version=rules.version,
                effective_from=rules.effective_from,
                digest=digest,
                document=canonical_rule_set_bytes(rules).decode(),
                published_at=now,
                ledger_index=None,
            )
        )
        with self._lock:
            self._cache = None
        return True

    def ensure_default(self, *, now: int) -> None:
        """Store the default rule set if no rule set is stored yet (another process
        starting at the same time may store it first: that is fine)."""
        try:
            with write_transaction(self.engine) as conn:
                if conn.execute(select(governance_rule_sets.c.id).limit(1)).first() is None:
                    self.add(conn, default_rule_set(), now=now)
        except IntegrityError:
            pass  # stored by another process in between

    def publish_pending(self, node_log: NodeLog, *, now: int) -> int:
        """Append an entry for every stored rule set not yet in the ledger; how many.

        Rows are claimed first (``ledger_index`` set to :data:`CLAIMED` where it is
        still empty), so two processes starting together publish each rule set once.
        """
        if node_log.store_if_ready() is None:
            return 0
        c = governance_rule_sets.c
        with write_transaction(self.engine) as conn:
            pending = conn.execute(
                select(c.id, c.document).where(c.ledger_index.is_(None)).order_by(c.id)
            ).all()
            for row in pending:
                conn.execute(
                    update(governance_rule_sets).where(c.id == row.id).values(ledger_index=CLAIMED)
                )
        if not pending:
            return 0
        events = [rule_set_entry(rule_set_from_json(r.document.encode())) for r in pending]
        try:
            indexes = append_events(node_log, events, now=now)
        except BaseException:
            with write_transaction(self.engine) as conn:
                for row in pending:
                    conn.execute(
                        update(governance_rule_sets).where(c.id == row.id).values(ledger_index=None)
                    )
            raise
        with write_transaction(self.engine) as conn:
            for row, index in zip(pending, indexes, strict=True):
                conn.execute(
                    update(governance_rule_sets).where(c.id == row.id).values(ledger_index=index)
                )
        with self._lock:
            self._cache = None
        return len(pending)


def rule_set_document(stored: StoredRuleSet) -> object:
    """The rule set's full JSON form."""
    return json.loads(canonical_rule_set_bytes(stored.rules))
