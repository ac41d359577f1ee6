"""The host's tenant registry: create, list, look up, suspend and resume tenants.

Creating a tenant makes, in this order: its registry row (status
``provisioning``; the unique name is claimed first), its storage at the newest
schema, its ledger with a first signed checkpoint, its first admin API token, and
its keys sealed under the master key into the row, which then turns ``active``.
If any step fails, what was made is removed again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger import CosignatureSigner, FormatError, NoteSigner, check_key_name
from ledger.storage import LedgerStore
from node.api.transactions import write_transaction
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.tenancy._sealing import (
    MasterKey,
    TenantKeys,
    load_master_key,
    load_or_create_master_key,
    seal_keys,
    unseal_keys,
)
from node.tenancy._storage import TENANT_ID_RE, TenantStorage, tenant_schema
from node.tenancy._tables import tenants

__all__ = [
    "ACTIVE",
    "SUSPENDED",
    "NewTenant",
    "Tenant",
    "TenantError",
    "TenantRegistry",
]

ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"
PROVISIONING: Final = "provisioning"
TENANT_ID_BYTES: Final = 8
MAX_NAME: Final = 200
FIRST_TOKEN_NAME: Final = "tenant admin"  # noqa: S105  a label, not a secret


class TenantError(Exception):
    """A tenant cannot be created or changed; the message says why (no secrets)."""


@dataclass(frozen=True)
class Tenant:
    """A registry row, without its sealed keys."""

    id: str
    name: str
    status: str
    created_ms: int
    schema_name: str
    vkey: str

    def public(self) -> dict[str, str | int]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "created_ms": self.created_ms,
            "vkey": self.vkey,
        }


@dataclass(frozen=True)
class NewTenant:
    tenant: Tenant
    token: str  # the tenant's first admin token, shown once, never stored

    def __repr__(self) -> str:
        return f"NewTenant(tenant={self.tenant!r}, token=<hidden>)"


_COLUMNS = (
    tenants.c.id,
    tenants.c.name,
    tenants.c.status,
    tenants.c.created_ms,
    tenants.c.schema_name,
    tenants.c.vkey,
)


def _tenant(row: Row[Any, Any, Any, Any, Any, Any]) -> Tenant:
    id_, name, status, created_ms, schema_name, vkey = tuple(row)
    return Tenant(str(id_), str(name), str(status), int(created_ms), str(schema_name), str(vkey))


def check_tenant_name(name: str) -> str:
    """A tenant's name is its ledger origin and key name (e.g. ``acme.example/node``)."""
    if len(name) > MAX_NAME:
        raise TenantError(f"a tenant name has at most {MAX_NAME} characters")
    try:
        return check_key_name(name)
    except FormatError as exc:
        raise TenantError(f"invalid tenant name: {exc}") from None


class TenantRegistry:
    """The ``tenants`` table of the host database and the tenants' storage."""

    def __init__(self, storage: TenantStorage, master_key_file: Path) -> None:
        self.storage = storage
        self.master_key_file = master_key_file
        self._master: MasterKey | None = None

    @property
    def engine(self) -> Engine:
        return self.storage.engine

    def _master_key(self, *, create: bool) -> MasterKey:
        if self._master is None:
            path = self.master_key_file
            self._master = load_or_create_master_key(path) if create else load_master_key(path)
        return self._master

    # -- reading -------------------------------------------------------------

    def get(self, tenant_id: str) -> Tenant | None:
        if not TENANT_ID_RE.fullmatch(tenant_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(tenants.c.id == tenant_id)).first()
        return None if row is None else _tenant(row)

    def all(self) -> list[Tenant]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_COLUMNS)
                .where(tenants.c.status != PROVISIONING)
                .order_by(tenants.c.created_ms, tenants.c.id)
            )
            return [_tenant(r) for r in rows]

    def keys(self, tenant_id: str) -> TenantKeys:
        """The tenant's unsealed keys (SealingError if they do not open)."""
        with self.engine.connect() as conn:
            sealed = conn.execute(
                select(tenants.c.sealed_keys).where(tenants.c.id == tenant_id)
            ).scalar_one_or_none()
        if sealed is None:
            raise TenantError(f"no tenant {tenant_id}")
        return unseal_keys(self._master_key(create=False), tenant_id, str(sealed))

    # -- writing -------------------------------------------------------------

    def create(self, name: str, *, now_ms: int) -> NewTenant:
        """Onboard a tenant; returns it with its first admin token (shown once)."""
        check_tenant_name(name)
        master = self._master_key(create=True)
        tenant_id = secrets.token_hex(TENANT_ID_BYTES)
        log = NoteSigner.generate(name)
        keys = TenantKeys(log, CosignatureSigner.generate(name))
        row = {
            "id": tenant_id,
            "name": name,
            "status": PROVISIONING,
            "created_ms": now_ms,
            "schema_name": tenant_schema(tenant_id),
            "vkey": log.vkey,
            "sealed_keys": seal_keys(master, tenant_id, keys),
        }
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(insert(tenants).values(**row))
        except IntegrityError:
            raise TenantError(f"a tenant named {name!r} already exists") from None
        try:
            self.storage.provision(tenant_id)
            engine = self.storage.engine_for(tenant_id)
            try:
                LedgerStore.create(engine, name).sign_checkpoint([log], now_ms)
                with write_transaction(engine) as conn:
                    issued = create_token(conn, role=Role.ADMIN, name=FIRST_TOKEN_NAME)
            finally:
                self.storage.release(engine)
            with write_transaction(self.engine) as conn:
                conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(status=ACTIVE))
        except BaseException:
            self._remove(tenant_id)
            raise
        made = Tenant(tenant_id, name, ACTIVE, now_ms, tenant_schema(tenant_id), log.vkey)
        return NewTenant(made, issued.token)

    def _remove(self, tenant_id: str) -> None:
        try:
            self.storage.drop(tenant_id)
        finally:
            with write_transaction(self.engine) as conn:
                conn.execute(delete(tenants).where(tenants.c.id == tenant_id))

    def set_status(self, tenant_id: str, status: str) -> Tenant:
        """Suspend (``suspended``) or resume (``active``) a tenant."""
        if status not in (ACTIVE, SUSPENDED):
            raise TenantError(f"unknown tenant status {status!r}")
        with write_transaction(self.engine) as conn:
            changed = conn.execute(
                update(tenants)
                .where(tenants.c.id == tenant_id, tenants.c.status.in_((ACTIVE, SUSPENDED)))
                .values(status=status)
            ).rowcount
        found = self.get(tenant_id) if changed else None
        if found is None:
            raise TenantError(f"no tenant {tenant_id}")
        return found

    def upgrade_all(self) -> list[str]:
        """Bring every tenant's storage to the newest schema; the ids upgraded."""
        with self.engine.connect() as conn:
            ids = [
                str(i)
                for i in conn.execute(
                    select(tenants.c.id).where(tenants.c.status != PROVISIONING)
                ).scalars()
            ]
        for tenant_id in ids:
            self.storage.upgrade(tenant_id)
        return ids
