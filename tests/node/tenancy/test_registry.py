"""The tenant registry and tenant storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger import NoteVerifier
from ledger.storage import LedgerStore
from node.auth.tables import api_tokens
from node.auth.tokens import authenticate_token
from node.db import upgrade
from node.tenancy import (
    ACTIVE,
    SUSPENDED,
    TenantError,
    TenantRegistry,
    TenantStorage,
    metadata,
    tenant_schema,
    tenants,
)
from tests.node.schema_drift import schema_drift

NOW_MS = 1_795_000_000_000
# Behaviour no database backend changes: SQLite only, to keep the suite fast.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def registry(database_url: str, tmp_path: Path) -> Iterator[TenantRegistry]:
    home = tmp_path / "host"
    home.mkdir()
    upgrade(database_url)
    made = TenantRegistry(TenantStorage(database_url, home), home / "master.key")
    try:
        yield made
    finally:
        made.storage.dispose()


def test_the_migration_creates_the_registry_table(database_url: str) -> None:
    ours, drift = schema_drift(database_url, metadata)
    assert ours == {"tenants"}
    assert drift == []


def test_created_tenant_has_ledger_token_and_sealed_keys(registry: TenantRegistry) -> None:
    made = registry.create("acme.example/node", now_ms=NOW_MS)
    t = made.tenant
    assert t.status == ACTIVE
    assert t.schema_name == tenant_schema(t.id)
    assert made.token not in repr(made)
    engine = registry.storage.engine_for(t.id)
    try:
        store = LedgerStore.open(engine, "acme.example/node")
        state = store.verify_all([NoteVerifier.from_vkey(t.vkey)])
        assert state.size == 0
        assert store.checkpoint() is not None
        with engine.connect() as conn:
            principal = authenticate_token(conn, made.token)
        assert principal.role.value == "admin"
    finally:
        registry.storage.release(engine)
    keys = registry.keys(t.id)
    assert keys.log.vkey == t.vkey
    assert keys.witness.name == "acme.example/node"
    assert registry.get(t.id) == t
    assert registry.all() == [t]
    assert registry.storage.revision(t.id) is not None
    assert (registry.storage.tenant_home(t.id)).is_dir()
    assert registry.master_key_file.stat().st_mode & 0o777 == 0o600


def test_tenants_do_not_see_each_other(registry: TenantRegistry) -> None:
    a = registry.create("a.example/node", now_ms=NOW_MS).tenant
    b = registry.create("b.example/node", now_ms=NOW_MS).tenant
    engine = registry.storage.engine_for(a.id)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(api_tokens)).scalar_one() == 1
            # the host's registry is not reachable from a tenant's connection
            assert conn.execute(select(func.count()).select_from(tenants)).scalar_one() == 0
        with pytest.raises(Exception, match="no log"):
            LedgerStore.open(engine, b.name)
    finally:
        registry.storage.release(engine)
    # driver-level reads (the store's fast read path) are scoped the same way, and
    # connections shared through the tenants' pool follow whichever tenant took them
    for tenant in (a, b, a, b):
        engine = registry.storage.engine_for(tenant.id)
        try:
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("SELECT origin FROM ledger_logs")
                assert [r[0] for r in cursor.fetchall()] == [tenant.name]
                cursor.close()
            finally:
                raw.close()
            store = LedgerStore.open(engine, tenant.name)
            assert store.verify_all([NoteVerifier.from_vkey(tenant.vkey)]).size == 0
        finally:
            registry.storage.release(engine)
    with registry.engine.connect() as conn:  # the host sees no tenant's tokens
        assert conn.execute(select(func.count()).select_from(api_tokens)).scalar_one() == 0


@SQLITE_ONLY
@pytest.mark.parametrize("name", ["", "has space", "a+b", "x" * 201, "tab\there"])
def test_invalid_names_are_refused(registry: TenantRegistry, name: str) -> None:
    with pytest.raises(TenantError):
        registry.create(name, now_ms=NOW_MS)
    assert registry.all() == []


@SQLITE_ONLY
def test_a_name_is_taken_once(registry: TenantRegistry) -> None:
    registry.create("acme.example/node", now_ms=NOW_MS)
    with pytest.raises(TenantError, match="already exists"):
        registry.create("acme.example/node", now_ms=NOW_MS)
    assert len(registry.all()) == 1


def test_a_failed_creation_leaves_nothing(
    registry: TenantRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_tenant_id: str) -> None:
        raise RuntimeError("disk full")

    dropped: list[str] = []
    original = registry.storage.drop

    def drop(tenant_id: str) -> None:
        dropped.append(tenant_id)
        original(tenant_id)

    monkeypatch.setattr(registry.storage, "provision", broken)
    monkeypatch.setattr(registry.storage, "drop", drop)
    with pytest.raises(RuntimeError, match="disk full"):
        registry.create("acme.example/node", now_ms=NOW_MS)
    assert len(dropped) == 1
    with registry.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tenants)).scalar_one() == 0
    monkeypatch.undo()
    assert registry.create("acme.example/node", now_ms=NOW_MS).tenant.status == ACTIVE


@SQLITE_ONLY
def test_suspend_and_resume(registry: TenantRegistry) -> None:
    t = registry.create("acme.example/node", now_ms=NOW_MS).tenant
    assert registry.set_status(t.id, SUSPENDED).status == SUSPENDED
    assert registry.set_status(t.id, ACTIVE).status == ACTIVE
    with pytest.raises(TenantError, match="no tenant"):
        registry.set_status("0000000000000000", SUSPENDED)
    with pytest.raises(TenantError, match="unknown tenant status"):
        registry.set_status(t.id, "deleted")
    assert registry.get("not-an-id") is None


@SQLITE_ONLY
def test_upgrade_all_is_a_no_op_on_current_tenants(registry: TenantRegistry) -> None:
    t = registry.create("acme.example/node", now_ms=NOW_MS).tenant
    before = registry.storage.revision(t.id)
    assert registry.upgrade_all() == [t.id]
    assert registry.storage.revision(t.id) == before


def test_tenant_ids_are_checked_before_use(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="16 lowercase hex"):
        tenant_schema("x; DROP SCHEMA public")
    storage = TenantStorage(f"sqlite:///{tmp_path / 'h.sqlite'}", tmp_path)
    try:
        with pytest.raises(ValueError, match="16 lowercase hex"):
            storage.tenant_home("../../etc")
    finally:
        storage.dispose()
