"""Multi-tenant hosting: many light nodes (tenants) in one deployment.

Each tenant is a complete single-tenant node app (:func:`node.app.create_app`)
with its own home folder (``HOME/tenants/<id>/``), its own storage (a PostgreSQL
schema ``t_<id>``, or an SQLite file in its home folder), its own tokens and
peers, and its own keys, sealed under the host's master key in the host's
``tenants`` table. The host routes ``/t/<id>/...`` to the tenant's app.
"""

from node.tenancy._apps import TenantApps, tenant_settings
from node.tenancy._host import TENANT_PREFIX, TenantDispatcher, create_host, host_registry
from node.tenancy._registry import (
    ACTIVE,
    SUSPENDED,
    NewTenant,
    Tenant,
    TenantError,
    TenantRegistry,
    check_tenant_name,
)
from node.tenancy._sealing import (
    SEALED_PREFIX,
    MasterKey,
    SealingError,
    TenantKeys,
    load_master_key,
    load_or_create_master_key,
    seal_keys,
    unseal_keys,
)
from node.tenancy._storage import TenantStorage, tenant_schema
from node.tenancy._tables import metadata, tenants

__all__ = [
    "ACTIVE",
    "SEALED_PREFIX",
    "SUSPENDED",
    "TENANT_PREFIX",
    "MasterKey",
    "NewTenant",
    "SealingError",
    "Tenant",
    "TenantApps",
    "TenantDispatcher",
    "TenantError",
    "TenantKeys",
    "TenantRegistry",
    "TenantStorage",
    "check_tenant_name",
    "create_host",
    "host_registry",
    "load_master_key",
    "load_or_create_master_key",
    "metadata",
    "seal_keys",
    "tenant_schema",
    "tenant_settings",
    "tenants",
    "unseal_keys",
]
