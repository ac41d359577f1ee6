"""The one function that decides what a caller sees: of one inventory position,
or of this node's ledger (its checkpoint and proofs, or one entry by its kind).

Every read route asks :func:`evaluate` for each position, and every ledger route
for the checkpoint, the proofs or each entry, before showing anything of it;
nothing else in the node decides disclosure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from node.auth.roles import Role
from node.disclosure._grants import Grant
from node.disclosure._patterns import matches
from node.disclosure._policy import OWNER_ROLES, Policy, Scope, View

__all__ = ["PROOFS", "Caller", "Decision", "Item", "LedgerItem", "evaluate", "may_list_quantities"]


@dataclass(frozen=True)
class Caller:
    """Who asks: a role and a party name (the token's or the peer key's name)."""

    role: Role
    party: str


@dataclass(frozen=True)
class Item:
    """What is asked about: one position's SKU, site and as-of time."""

    sku: str
    location: str | None
    as_of_ms: int


@dataclass(frozen=True)
class LedgerItem:
    """What is asked about on the ledger: an entry of ``kind``, or (``kind`` None)
    the signed checkpoint and the inclusion and consistency proofs."""

    kind: str | None = None


#: The checkpoint and the proofs (hashes and signatures, no entry content).
PROOFS: Final = LedgerItem()


@dataclass(frozen=True)
class Decision:
    quantities: bool = False
    commitments: bool = False
    facts: bool = False
    openings: frozenset[str] = field(default_factory=frozenset)
    ledger: bool = False  # a ledger item: may read it

    def may_open(self, bucket: str) -> bool:
        return "*" in self.openings or bucket in self.openings

    @property
    def visible(self) -> bool:
        return (
            self.quantities or self.commitments or self.facts or bool(self.openings) or self.ledger
        )


NOTHING = Decision()
READABLE = Decision(ledger=True)
_ALL_OPENINGS = frozenset({"*"})


def evaluate(
    policy: Policy, caller: Caller, item: Item | LedgerItem, grants: Iterable[Grant] = ()
) -> Decision:
    """What ``caller`` may see of ``item`` under ``policy`` and the caller's ``grants``.

    ``grants`` may hold anyone's grants: only active ones made to this caller's party
    and role count. Plaintext quantities go to the owner's roles only, whatever the
    policy says (the parser refuses such a policy too). A :class:`LedgerItem` is
    decided by the role's ledger rule alone (``Decision.ledger``).
    """
    rule = policy.rule(caller.role)
    if isinstance(item, LedgerItem):
        if item.kind is None:
            return READABLE if rule.ledger.proofs else NOTHING
        return READABLE if matches(rule.ledger.entries, item.kind) else NOTHING
    if not rule.views or rule.scope is Scope.NONE:
        return NOTHING
    openings: frozenset[str] = frozenset()
    if rule.scope is Scope.ALL:
        in_scope = True
        if View.OPENINGS in rule.views:
            openings = _ALL_OPENINGS
    elif rule.scope is Scope.SUPPLIED:
        in_scope = any(
            matches(p.skus, item.sku) and matches(p.locations, item.location)
            for p in policy.parties_of(caller.party, caller.role)
        )
    else:  # Scope.GRANTED
        covering = [
            g
            for g in grants
            if g.grantee == caller.party
            and g.role == caller.role
            and g.covers(item.sku, item.location, item.as_of_ms)
        ]
        in_scope = bool(covering)
        if View.OPENINGS in rule.views:
            openings = frozenset(b for g in covering for b in g.buckets)
    if not in_scope:
        return NOTHING
    return Decision(
        quantities=View.QUANTITIES in rule.views and caller.role in OWNER_ROLES,
        commitments=View.COMMITMENTS in rule.views,
        facts=View.FACTS in rule.views,
        openings=openings,
    )


def may_list_quantities(policy: Policy, role: Role) -> bool:
    """Whether ``role`` may see plaintext quantities of any position at all."""
    rule = policy.rule(role)
    return role in OWNER_ROLES and View.QUANTITIES in rule.views and rule.scope is Scope.ALL
