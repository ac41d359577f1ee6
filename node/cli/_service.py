"""Shared by the service's commands (serve, db, token, peer): settings and database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from node.cli._app import CliContext, CliError
from node.settings import Settings, SettingsError, load_settings

__all__ = ["cli_settings", "migrated_engine", "upgrade_or_fail"]


def cli_settings(cli: CliContext, **flags: Any) -> Settings:
    """Settings for this invocation: flags, then env, then HOME/scnode.toml."""
    try:
        return load_settings(home=cli.home, **flags)
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def upgrade_or_fail(settings: Settings) -> None:
    from node.app import upgrade_database

    try:
        if settings.database_backend == "sqlite":
            settings.home.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings.database_url)
    except Exception as exc:  # noqa: BLE001  any failure becomes one clear line, no traceback
        message = str(exc).replace(settings.database_url, settings.redacted_database_url())
        raise CliError(f"database upgrade failed: {message}") from None


@contextmanager
def migrated_engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the settings' database, brought to the newest schema first."""
    from node.app import make_engine

    upgrade_or_fail(settings)
    engine = make_engine(settings.database_url)
    try:
        yield engine
    finally:
        engine.dispose()
