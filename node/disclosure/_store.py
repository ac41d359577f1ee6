"""Policies and grants in the node database; the policy file in the home folder.

The policy in force is the stored version with the highest number, or the
built-in default when none is stored. ``HOME/disclosure-policy.json`` (or
``.toml``) is loaded by :func:`sync_home_policy` when its version is newer than
the stored one; a stored version never changes and versions only increase.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine, insert, select, update

from node.api.transactions import write_transaction
from node.auth.roles import Role
from node.disclosure._errors import GrantError, PolicyError
from node.disclosure._grants import Grant, new_grant
from node.disclosure._policy import (
    Policy,
    canonical_policy_bytes,
    default_policy,
    parse_policy,
    policy_digest,
)
from node.disclosure._tables import disclosure_grants, disclosure_policies

__all__ = [
    "POLICY_FILES",
    "active_policy",
    "add_grant",
    "grants_for",
    "list_grants",
    "revoke_grant",
    "store_policy",
    "sync_home_policy",
]

POLICY_FILES: Final = ("disclosure-policy.json", "disclosure-policy.toml")


def active_policy(conn: Connection) -> Policy:
    """The policy in force: the newest stored version, else the built-in default."""
    row = conn.execute(
        select(disclosure_policies.c.document)
        .order_by(disclosure_policies.c.version.desc())
        .limit(1)
    ).first()
    return default_policy() if row is None else parse_policy(str(row[0]))


def store_policy(conn: Connection, policy: Policy, *, now_ms: int, source: str) -> Policy:
    """Store ``policy`` as the new version in force; its version must be the highest."""
    current = conn.execute(
        select(disclosure_policies.c.version)
        .order_by(disclosure_policies.c.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    if current is not None and policy.version <= int(current):
        raise PolicyError(
            f"policy version {policy.version} is not newer than the one in force ({current})"
        )
    conn.execute(
        insert(disclosure_policies).values(
            version=policy.version,
            document=canonical_policy_bytes(policy).decode("utf-8"),
            digest=policy_digest(policy),
            source=source,
            stored_ms=now_ms,
        )
    )
    return policy


def _home_policy_file(home: Path) -> Path | None:
    for name in POLICY_FILES:
        if (home / name).is_file():
            return home / name
    return None


def sync_home_policy(engine: Engine, home: Path, *, now_ms: int) -> Policy:
    """Load the home folder's policy file if it is newer than the stored policy;
    returns the policy in force. A malformed file raises :class:`PolicyError`."""
    path = _home_policy_file(home)
    with engine.connect() as conn:
        current = active_policy(conn)
    if path is None:
        return current
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read {path.name}: {exc.strerror}") from None
    try:
        found = parse_policy(data)
    except PolicyError as exc:
        raise PolicyError(f"{path.name}: {exc}") from None
    if found.version <= current.version:
        return current
    with write_transaction(engine) as conn:  # the write lock first, then re-read
        current = active_policy(conn)
        if found.version <= current.version:
            return current
        return store_policy(conn, found, now_ms=now_ms, source="home")


def _grant_row(row: object) -> Grant:
    r = row._mapping  # type: ignore[attr-defined]
    grant = new_grant(
        grant_id=str(r["id"]),
        grantee=r["grantee"],
        role=r["role"],
        skus=json.loads(r["skus"]),
        locations=json.loads(r["locations"]),
        from_ms=int(r["from_ms"]),
        to_ms=int(r["to_ms"]),
        buckets=json.loads(r["buckets"]),
        created_ms=int(r["created_ms"]),
    )
    revoked = r["revoked_ms"]
    if revoked is None:
        return grant
    return replace(grant, revoked_ms=int(revoked))


def add_grant(
    conn: Connection,
    *,
    now_ms: int,
    grantee: object,
    role: object,
    skus: object,
    locations: object,
    from_ms: object,
    to_ms: object,
    buckets: object,
) -> Grant:
    """Record a grant (checked by :func:`new_grant`); the caller commits."""
    if not isinstance(buckets, list | tuple):
        raise GrantError("buckets must be a list")
    grant = new_grant(
        grant_id=secrets.token_hex(8),
        grantee=grantee,
        role=role,
        skus=skus,
        locations=locations,
        from_ms=from_ms,
        to_ms=to_ms,
        buckets=buckets,
        created_ms=now_ms,
    )
    conn.execute(
        insert(disclosure_grants).values(
            id=grant.id,
            grantee=grant.grantee,
            role=grant.role.value,
            skus=json.dumps(list(grant.skus)),
            locations=json.dumps(list(grant.locations)),
            from_ms=grant.from_ms,
            to_ms=grant.to_ms,
            buckets=json.dumps(sorted(grant.buckets)),
            created_ms=grant.created_ms,
        )
    )
    return grant


def list_grants(conn: Connection) -> list[Grant]:
    rows = conn.execute(
        select(disclosure_grants).order_by(disclosure_grants.c.created_ms, disclosure_grants.c.id)
    )
    return [_grant_row(r) for r in rows]


def grants_for(conn: Connection, party: str, role: Role) -> list[Grant]:
    """Active grants made to ``party`` in ``role``."""
    rows = conn.execute(
        select(disclosure_grants).where(
            disclosure_grants.c.grantee == party,
            disclosure_grants.c.role == role.value,
            disclosure_grants.c.revoked_ms.is_(None),
        )
    )
    return [_grant_row(r) for r in rows]


def revoke_grant(conn: Connection, grant_id: str, *, now_ms: int) -> Grant:
    """Revoke a grant; :class:`GrantError` if there is no such grant."""
    conn.execute(
        update(disclosure_grants)
        .where(disclosure_grants.c.id == grant_id, disclosure_grants.c.revoked_ms.is_(None))
        .values(revoked_ms=now_ms)
    )
    row = conn.execute(select(disclosure_grants).where(disclosure_grants.c.id == grant_id)).first()
    if row is None:
        raise GrantError(f"no grant {grant_id!r}")
    return _grant_row(row)
