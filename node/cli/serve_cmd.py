"""``scnode serve`` (the API under uvicorn) and ``scnode db upgrade``.

``scnode serve --multi-tenant`` (or ``tenancy = "multi"``) serves the
multi-tenant host of :mod:`node.tenancy` instead of one node.
"""

from __future__ import annotations

import os

import click

from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._service import cli_settings, upgrade_or_fail
from node.settings import Settings

__all__ = ["db", "serve"]

APP_FACTORY = "node.app:app_from_environment"


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1)")
@click.option("--port", type=int, default=None, help="TCP port (default 8470)")
@click.option("--workers", type=int, default=None, help="Worker processes (default 1)")
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: SQLite in home)")
@click.option(
    "--multi-tenant",
    is_flag=True,
    default=False,
    help="Host many light nodes (tenants) under /t/<id>/ (see docs/multi-tenant.md)",
)
@click.option(
    "--tenant-cache",
    type=int,
    default=None,
    help="Multi-tenant: tenant apps each worker keeps loaded (default 64)",
)
@pass_cli
def serve(  # noqa: PLR0917  click passes options as arguments
    cli: CliContext,
    host: str | None,
    port: int | None,
    workers: int | None,
    database_url: str | None,
    multi_tenant: bool,
    tenant_cache: int | None,
) -> None:
    """Run the node's API (migrates the database first)."""
    import uvicorn

    settings = cli_settings(
        cli,
        host=host,
        port=port,
        workers=workers,
        database_url=database_url,
        tenancy="multi" if multi_tenant else None,
        tenant_cache=tenant_cache,
    )
    upgrade_or_fail(settings)
    tenants = _upgrade_tenants(settings)
    # Workers build their own app from the environment (uvicorn factory mode); the
    # schema is already current, so they skip the migration step.
    os.environ.update(settings.as_environment())
    os.environ["SCNODE_RUN_MIGRATIONS"] = "false"
    what = f"{tenants} tenant(s), " if settings.tenancy == "multi" else ""
    click.echo(
        f"scnode serving on http://{settings.host}:{settings.port} "
        f"({what}{settings.workers} worker(s), database {settings.redacted_database_url()})",
        err=True,
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )


@main.group()
def db() -> None:
    """The node database."""


@db.command("upgrade")
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: SQLite in home)")
@pass_cli
def db_upgrade(cli: CliContext, database_url: str | None) -> None:
    """Bring the database schema to the newest revision."""
    settings = cli_settings(cli, database_url=database_url)
    upgrade_or_fail(settings)
    tenants = _upgrade_tenants(settings)
    also = f" (and its {tenants} tenant(s))" if tenants else ""
    click.echo(f"database {settings.redacted_database_url()}{also} is up to date")


def _upgrade_tenants(settings: Settings) -> int:
    """Upgrade the storage of every tenant registered in this database (a
    multi-tenant host's); the number of tenants (0 for a single node)."""
    from node.db import DatabaseError
    from node.tenancy import host_registry

    registry = host_registry(settings)
    try:
        return len(registry.upgrade_all())
    except DatabaseError as exc:
        message = str(exc).replace(settings.database_url, settings.redacted_database_url())
        raise CliError(f"tenant upgrade failed: {message}") from None
    finally:
        registry.storage.dispose()
