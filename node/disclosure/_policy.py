"""Disclosure policies as data: who may see which view of which inventory position.

A policy is a JSON (or TOML) document, versioned, with one rule per role and a
list of parties (peer companies) with the SKUs and sites each one is scoped to::

    {"format": "scnode-disclosure-policy/v1", "version": 2,
     "roles": {"partner": {"views": ["facts"], "scope": "supplied",
                           "ledger": {"proofs": true,
                                      "entries": ["inventory.snapshot", "key.rotate"]}},
               ...},
     "parties": [{"party": "module-maker", "role": "partner",
                  "skus": ["CHIP-*"], "locations": ["*"]}]}

A role's ``ledger`` rule says what it may read of this node's ledger over HTTP:
``proofs`` (the signed checkpoint, inclusion and consistency proofs: hashes and
signatures, no entry content) and ``entries``, patterns of the entry kinds whose
entries (leaf and body) it may read (``*``, ``PREFIX*`` or an exact kind). A rule
without ``ledger`` gets the built-in policy's ledger rule for that role (policies
stored before ledger rules existed keep their meaning); an explicit empty rule
(``{"proofs": false, "entries": []}``) shows nothing.

The parser refuses unknown keys, unknown roles, views and scopes, and any policy
that would show plaintext quantities to anyone but the owner's roles (``admin``,
``operator``), or openings to a partner: an unsafe policy cannot be loaded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any, Final

import rfc8785

from node.auth.roles import Role
from node.disclosure._errors import PolicyError
from node.disclosure._patterns import check_patterns

__all__ = [
    "NO_LEDGER",
    "OWNER_ROLES",
    "POLICY_FORMAT",
    "LedgerRule",
    "Party",
    "Policy",
    "RoleRule",
    "Scope",
    "View",
    "canonical_policy_bytes",
    "default_policy",
    "parse_policy",
    "policy_digest",
    "policy_to_dict",
]

POLICY_FORMAT: Final = "scnode-disclosure-policy/v1"
MAX_POLICY_BYTES: Final = 1024 * 1024
MAX_PARTIES: Final = 10_000


class View(StrEnum):
    """What of a position a caller may see."""

    QUANTITIES = "quantities"  # plaintext quantities, safety stock and attributes
    COMMITMENTS = "commitments"  # every bucket's commitment
    FACTS = "facts"  # the statements (at/below safety stock) with their proofs
    OPENINGS = "openings"  # openings (value + blinding) of committed buckets


class Scope(StrEnum):
    """Which positions a role's views apply to."""

    ALL = "all"  # every position of this node
    SUPPLIED = "supplied"  # positions whose SKU and site match the caller's party entry
    GRANTED = "granted"  # positions covered by an active grant record to the caller
    NONE = "none"


#: The node owner's roles: the only ones that may ever see plaintext quantities.
OWNER_ROLES: Final = frozenset({Role.ADMIN, Role.OPERATOR})
_OPENING_SCOPES: Final = frozenset({Scope.ALL, Scope.GRANTED})


@dataclass(frozen=True)
class LedgerRule:
    """What a role may read of the ledger: proofs (checkpoint, inclusion and
    consistency proofs) and the entries of the kinds matching ``entries``."""

    proofs: bool = False
    entries: tuple[str, ...] = ()


NO_LEDGER: Final = LedgerRule()


@dataclass(frozen=True)
class RoleRule:
    views: frozenset[View]
    scope: Scope
    ledger: LedgerRule = NO_LEDGER


@dataclass(frozen=True)
class Party:
    """A peer company (matched by token or peer key name) and the items it is scoped to."""

    party: str
    role: Role
    skus: tuple[str, ...]
    locations: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    version: int
    roles: Mapping[Role, RoleRule]
    parties: tuple[Party, ...]

    def rule(self, role: Role) -> RoleRule:
        return self.roles.get(role, RoleRule(frozenset(), Scope.NONE, NO_LEDGER))

    def parties_of(self, party: str, role: Role) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.party == party and p.role == role)


def _keys(obj: Mapping[str, Any], allowed: set[str], required: set[str], where: str) -> None:
    unknown = set(obj) - allowed
    if unknown:
        raise PolicyError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    missing = required - set(obj)
    if missing:
        raise PolicyError(f"{where}: missing key {sorted(missing)[0]!r}")


def _role(value: object, where: str) -> Role:
    try:
        return Role(str(value))
    except ValueError:
        raise PolicyError(f"{where}: unknown role {value!r}") from None


def _ledger_rule(raw: object, where: str) -> LedgerRule:
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: must be an object")
    _keys(raw, {"proofs", "entries"}, {"proofs", "entries"}, where)
    proofs = raw["proofs"]
    if not isinstance(proofs, bool):
        raise PolicyError(f"{where}.proofs: must be true or false")
    kinds = raw["entries"]
    if isinstance(kinds, list) and not kinds:
        return LedgerRule(proofs, ())
    try:
        return LedgerRule(proofs, check_patterns(kinds, "entries"))
    except ValueError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def _rule(role: Role, raw: object, defaults: Mapping[Role, LedgerRule] | None) -> RoleRule:
    where = f"$.roles.{role.value}"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: must be an object")
    _keys(raw, {"views", "scope", "ledger"}, {"views", "scope"}, where)
    views_raw = raw["views"]
    if not isinstance(views_raw, list) or not all(isinstance(v, str) for v in views_raw):
        raise PolicyError(f"{where}.views: must be a list of strings")
    try:
        views = frozenset(View(v) for v in views_raw)
        scope = Scope(str(raw["scope"]))
    except ValueError as exc:
        raise PolicyError(f"{where}: {exc}") from None
    if View.QUANTITIES in views and (role not in OWNER_ROLES or scope is not Scope.ALL):
        raise PolicyError(f"{where}: plaintext quantities are for the owner's roles only")
    if View.OPENINGS in views and (role is Role.PARTNER or scope not in _OPENING_SCOPES):
        raise PolicyError(f"{where}: openings only for owner roles or by grant, never partners")
    if "ledger" in raw:
        ledger = _ledger_rule(raw["ledger"], f"{where}.ledger")
    else:
        ledger = (_default_ledger() if defaults is None else defaults).get(role, NO_LEDGER)
    return RoleRule(views, scope, ledger)


def _party(raw: object, index: int) -> Party:
    where = f"$.parties[{index}]"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: must be an object")
    _keys(raw, {"party", "role", "skus", "locations"}, {"party", "role", "skus"}, where)
    name = raw["party"]
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise PolicyError(f"{where}.party: must be a name of 1-200 characters")
    role = _role(raw["role"], f"{where}.role")
    if role in OWNER_ROLES:
        raise PolicyError(f"{where}.role: parties are peers, not {role.value}")
    try:
        skus = check_patterns(raw["skus"], "skus")
        locations = check_patterns(raw.get("locations", ["*"]), "locations")
    except ValueError as exc:
        raise PolicyError(f"{where}: {exc}") from None
    return Party(name, role, skus, locations)


def parse_policy(data: bytes | str | Mapping[str, Any]) -> Policy:
    """A :class:`Policy` from JSON or TOML text (or an already parsed mapping)."""
    return _parse(data, None)


def _load(data: bytes | str) -> object:
    """A policy's JSON or TOML text as Python values; :class:`PolicyError` otherwise."""
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(f"a policy is at most {MAX_POLICY_BYTES} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise PolicyError("a policy must be UTF-8 text") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        try:
            return tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError, RecursionError):
            raise PolicyError("a policy must be a JSON or TOML document") from None
    except ValueError:  # an integer beyond Python's digit limit for int() (4300)
        raise PolicyError("a policy's number is too long") from None


def _parse(
    data: bytes | str | Mapping[str, Any], defaults: Mapping[Role, LedgerRule] | None
) -> Policy:
    raw = _load(data) if isinstance(data, bytes | str) else data
    if not isinstance(raw, Mapping):
        raise PolicyError("$: a policy must be an object")
    _keys(raw, {"format", "version", "roles", "parties"}, {"format", "version", "roles"}, "$")
    if raw["format"] != POLICY_FORMAT:
        raise PolicyError(f"$.format: must be {POLICY_FORMAT!r}")
    version = raw["version"]
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 2**31:
        raise PolicyError("$.version: must be an integer >= 1")
    roles_raw = raw["roles"]
    if not isinstance(roles_raw, Mapping):
        raise PolicyError("$.roles: must be an object of role -> rule")
    roles = {}
    for name, rule in roles_raw.items():
        role = _role(name, "$.roles")
        roles[role] = _rule(role, rule, defaults)
    parties_raw = raw.get("parties", [])
    if not isinstance(parties_raw, list) or len(parties_raw) > MAX_PARTIES:
        raise PolicyError(f"$.parties: must be a list of at most {MAX_PARTIES} parties")
    parties = tuple(_party(p, i) for i, p in enumerate(parties_raw))
    return Policy(version, roles, parties)


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The JSON form of ``policy`` (inverse of :func:`parse_policy`)."""
    return {
        "format": POLICY_FORMAT,
        "version": policy.version,
        "roles": {
            role.value: {
                "views": sorted(v.value for v in rule.views),
                "scope": rule.scope.value,
                "ledger": {"proofs": rule.ledger.proofs, "entries": list(rule.ledger.entries)},
            }
            for role, rule in sorted(policy.roles.items())
        },
        "parties": [
            {
                "party": p.party,
                "role": p.role.value,
                "skus": list(p.skus),
                "locations": list(p.locations),
            }
            for p in policy.parties
        ],
    }


def canonical_policy_bytes(policy: Policy) -> bytes:
    """RFC 8785 bytes of the policy (what its digest covers)."""
    return rfc8785.dumps(policy_to_dict(policy))


def policy_digest(policy: Policy) -> str:
    return "sha256:" + hashlib.sha256(canonical_policy_bytes(policy)).hexdigest()


def _default_text() -> bytes:
    return resources.files("node.disclosure").joinpath("default_policy.json").read_bytes()


@functools.cache
def _default_ledger() -> Mapping[Role, LedgerRule]:
    """The built-in policy's ledger rules (filling rules that have none)."""
    policy = _parse(_default_text(), {})
    return {role: rule.ledger for role, rule in policy.roles.items()}


def default_policy() -> Policy:
    """The built-in policy (version 1): owners see all, partners facts of supplied SKUs,
    banks what they were granted, auditors commitments and facts; on the ledger,
    everyone proofs, and entries by kind (see ``default_policy.json``)."""
    return parse_policy(_default_text())
