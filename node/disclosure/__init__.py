"""Disclosure by role: policies as data, grant records, and the one evaluation function.

* :class:`Policy` (``parse_policy``, ``default_policy``): per role, which views
  (``quantities``, ``commitments``, ``facts``, ``openings``) of which positions
  (scope ``all``, ``supplied``, ``granted``, ``none``); per party, the SKUs and sites
  it is scoped to. Stored versioned in the database, loadable from the home folder.
* :class:`Grant`: what the owner granted one bank or auditor (SKUs, sites, period,
  buckets to open).
* :func:`evaluate`: what one caller may see of one position, or of the ledger
  (:class:`LedgerItem`: the checkpoint and proofs, or an entry by kind). Every
  read route of inventory data and of the ledger goes through it.
* :class:`PolicyCache`: the policy in force, re-read at most every second, for
  the hot read routes.

See docs/publishing.md for the policy format.
"""

from node.disclosure._cache import POLICY_CACHE_TTL_S, PolicyCache
from node.disclosure._errors import GrantError, PolicyError
from node.disclosure._evaluate import (
    PROOFS,
    Caller,
    Decision,
    Item,
    LedgerItem,
    evaluate,
    may_list_quantities,
)
from node.disclosure._grants import GRANTABLE_ROLES, OPENABLE, Grant, new_grant
from node.disclosure._policy import (
    NO_LEDGER,
    OWNER_ROLES,
    POLICY_FORMAT,
    LedgerRule,
    Party,
    Policy,
    RoleRule,
    Scope,
    View,
    canonical_policy_bytes,
    default_policy,
    parse_policy,
    policy_digest,
    policy_to_dict,
)
from node.disclosure._store import (
    POLICY_FILES,
    active_policy,
    add_grant,
    grants_for,
    list_grants,
    revoke_grant,
    store_policy,
    sync_home_policy,
)
from node.disclosure._tables import disclosure_grants, disclosure_policies

__all__ = [
    "GRANTABLE_ROLES",
    "NO_LEDGER",
    "OPENABLE",
    "OWNER_ROLES",
    "POLICY_CACHE_TTL_S",
    "POLICY_FILES",
    "POLICY_FORMAT",
    "PROOFS",
    "Caller",
    "Decision",
    "Grant",
    "GrantError",
    "Item",
    "LedgerItem",
    "LedgerRule",
    "Party",
    "Policy",
    "PolicyCache",
    "PolicyError",
    "RoleRule",
    "Scope",
    "View",
    "active_policy",
    "add_grant",
    "canonical_policy_bytes",
    "default_policy",
    "disclosure_grants",
    "disclosure_policies",
    "evaluate",
    "grants_for",
    "list_grants",
    "may_list_quantities",
    "new_grant",
    "parse_policy",
    "policy_digest",
    "policy_to_dict",
    "revoke_grant",
    "store_policy",
    "sync_home_policy",
]
