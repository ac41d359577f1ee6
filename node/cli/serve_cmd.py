"""``scnode serve`` (the API under uvicorn) and ``scnode db upgrade``."""

from __future__ import annotations

import os

import click

from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._service import cli_settings, upgrade_or_fail

__all__ = ["db", "serve"]

APP_FACTORY = "node.app:app_from_environment"


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1)")
@click.option("--port", type=int, default=None, help="TCP port (default 8470)")
@click.option("--workers", type=int, default=None, help="Worker processes (default 1)")
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: SQLite in home)")
@pass_cli
def serve(
    cli: CliContext,
    host: str | None,
    port: int | None,
    workers: int | None,
    database_url: str | None,
) -> None:
    """Run the node's API (migrates the database first)."""
    import uvicorn

    settings = cli_settings(cli, host=host, port=port, workers=workers, database_url=database_url)
    if settings.tenancy != "single":
        raise CliError('multi-tenant hosting (tenancy = "multi") is not available yet')
    upgrade_or_fail(settings)
    # Workers build their own app from the environment (uvicorn factory mode); the
    # schema is already current, so they skip the migration step.
    os.environ.update(settings.as_environment())
    os.environ["SCNODE_RUN_MIGRATIONS"] = "false"
    click.echo(
        f"scnode serving on http://{settings.host}:{settings.port} "
        f"({settings.workers} worker(s), database {settings.redacted_database_url()})",
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
    click.echo(f"database {settings.redacted_database_url()} is up to date")
