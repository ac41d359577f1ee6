"""``scnode tenant create|list|suspend|resume|token``: the tenants of a multi-tenant host.

Run on the host's home folder (its ``scnode.toml`` names the host database). The
first ``tenant create`` makes the master key file (``master_key_file``, default
``HOME/master.key``, mode 0600) if it does not exist yet.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click

from node.api.transactions import write_transaction
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._service import cli_settings, upgrade_or_fail
from node.tenancy import (
    ACTIVE,
    SUSPENDED,
    SealingError,
    Tenant,
    TenantError,
    TenantRegistry,
    host_registry,
)

__all__ = ["tenant"]


@contextmanager
def _registry(cli: CliContext) -> Iterator[TenantRegistry]:
    settings = cli_settings(cli)
    upgrade_or_fail(settings)
    registry = host_registry(settings)
    try:
        yield registry
    except (TenantError, SealingError) as exc:
        raise CliError(str(exc)) from None
    finally:
        registry.storage.dispose()


def _line(t: Tenant) -> str:
    return f"{t.id}  {t.status:<9}  /t/{t.id}  {t.name}"


@main.group()
def tenant() -> None:
    """Tenants of a multi-tenant host (scnode serve --multi-tenant)."""


@tenant.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def tenant_create(cli: CliContext, name: str, as_json: bool) -> None:
    """Onboard tenant NAME (its node name, e.g. modules.example/node): keys, ledger,
    and its first admin token, printed once."""
    with _registry(cli) as registry:
        made = registry.create(name, now_ms=time.time_ns() // 1_000_000)
    t = made.tenant
    if as_json:
        click.echo(json.dumps({**t.public(), "path": f"/t/{t.id}", "token": made.token}))
        return
    click.echo(made.token)
    click.echo(
        f"tenant {t.id} ({t.name}) created: API under /t/{t.id}/, verifier key {t.vkey};"
        " its admin token above is shown only this once",
        err=True,
    )


@tenant.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def tenant_list(cli: CliContext, as_json: bool) -> None:
    """List the tenants (never keys or tokens)."""
    with _registry(cli) as registry:
        found = registry.all()
    if as_json:
        click.echo(json.dumps([{**t.public(), "path": f"/t/{t.id}"} for t in found]))
        return
    for t in found:
        click.echo(_line(t))


def _set(cli: CliContext, tenant_id: str, status: str) -> None:
    with _registry(cli) as registry:
        click.echo(_line(registry.set_status(tenant_id, status)))


@tenant.command("suspend")
@click.argument("tenant_id")
@pass_cli
def tenant_suspend(cli: CliContext, tenant_id: str) -> None:
    """Stop serving a tenant (within seconds on every worker); data and keys are kept."""
    _set(cli, tenant_id, SUSPENDED)


@tenant.command("resume")
@click.argument("tenant_id")
@pass_cli
def tenant_resume(cli: CliContext, tenant_id: str) -> None:
    """Serve a suspended tenant again."""
    _set(cli, tenant_id, ACTIVE)


@tenant.command("token")
@click.argument("tenant_id")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default=None, help="What the token is for (default: the role)")
@pass_cli
def tenant_token(cli: CliContext, tenant_id: str, role: str, name: str | None) -> None:
    """Create an API token of a tenant and print it (once)."""
    label = name or role
    if not 1 <= len(label) <= 200:
        raise CliError("--name must be 1-200 characters")
    with _registry(cli) as registry:
        if registry.get(tenant_id) is None:
            raise CliError(f"no tenant {tenant_id!r}")
        engine = registry.storage.engine_for(tenant_id)
        try:
            with write_transaction(engine) as conn:
                issued = create_token(conn, role=Role(role), name=label)
        finally:
            registry.storage.release(engine)
    click.echo(issued.token)
    click.echo(
        f"token {issued.info.id} of tenant {tenant_id} created; shown only this once", err=True
    )
