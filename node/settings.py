"""Settings of a node service: home folder, database, listener, identity, tenancy.

Sources, strongest first: explicit values (command-line flags), ``SCNODE_*``
environment variables, ``HOME/scnode.toml``, defaults. Nothing is read at import
time: call :func:`load_settings` (or build :class:`Settings` directly in tests).

Defaults are safe: the listener binds to loopback, there is no default token or
password of any kind (API tokens are created with ``scnode token create`` and
stored hashed), and a database URL that carries a well-known placeholder password
for a non-local host is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from node.home import resolve_home

__all__ = ["SETTINGS_FILE", "Settings", "SettingsError", "load_settings"]

SETTINGS_FILE = "scnode.toml"
DATABASE_FILE = "scnode.sqlite"
MASTER_KEY_FILE = "master.key"
DEFAULT_PORT = 8470
# Placeholder passwords seen in sample configurations; never acceptable off-host.
PLACEHOLDER_PASSWORDS = frozenset(
    {"", "changethis", "changeme", "password", "postgres", "secret", "admin", "scnode"}
)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class SettingsError(ValueError):
    """The settings are invalid or insecure; the message says which one and why."""


class Settings(BaseSettings):
    """Everything a node service needs to start; immutable once built."""

    model_config = SettingsConfigDict(env_prefix="SCNODE_", frozen=True, extra="forbid")

    home: Path = Field(default_factory=lambda: resolve_home(None))
    database_url: str = Field(
        default="", description="SQLAlchemy URL; default sqlite:///HOME/scnode.sqlite"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    node_name: str = Field(default="", description="The node's name; default: the key name")
    tenancy: Literal["single", "multi"] = "single"
    public_url: str = Field(
        default="", description="Scheme and authority peers use to reach this node"
    )
    run_migrations: bool = Field(
        default=True, description="Upgrade the database schema when the app starts"
    )
    signature_tolerance_s: int = Field(
        default=300, ge=1, le=3600, description="Accepted clock skew of signed peer requests"
    )
    master_key_file: str = Field(
        default="",
        description="Multi-tenant host: file of the master key that seals the tenants' "
        "keys (default HOME/master.key, created on first tenant); keep it out of the "
        "database and its backups",
    )
    tenant_cache: int = Field(
        default=64,
        ge=1,
        le=100_000,
        description="Multi-tenant host: tenant apps each worker keeps loaded (least "
        "recently used ones are shut down beyond this)",
    )
    governance_sweep_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds between governance SLA sweeps (opening, flagging, clearing "
        "exception cases); 0 turns the background sweep off",
    )

    finance_cover_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds between rounds of the financing coverage worker (proving "
        "coverage of new snapshots under an active pledge); 0 turns it off",
    )
    peer_slow_ms: int = Field(
        default=2000,
        ge=1,
        le=600_000,
        description="A peer answering later than this (milliseconds) is shown as slow",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home = _home_from(init_settings(), env_settings())
        toml = TomlConfigSettingsSource(settings_cls, toml_file=home / SETTINGS_FILE)
        return (init_settings, env_settings, toml)

    @field_validator("node_name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if value and (any(c.isspace() for c in value) or "+" in value):
            raise ValueError("node_name must not contain spaces or '+'")
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_database(self) -> Settings:
        if not self.database_url:
            url = f"sqlite:///{(self.home / DATABASE_FILE).absolute()}"
            object.__setattr__(self, "database_url", url)
        try:
            parsed = make_url(self.database_url)
        except ArgumentError:
            raise ValueError("database_url is not a valid database URL") from None
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        if (
            parsed.get_backend_name() == "postgresql"
            and (parsed.host or "localhost") not in LOOPBACK_HOSTS
            and (parsed.password or "") in PLACEHOLDER_PASSWORDS
        ):
            raise ValueError(
                "database_url uses an empty or placeholder password for a remote host;"
                " set a real password"
            )
        return self

    @property
    def master_key_path(self) -> Path:
        """Where the multi-tenant host's master key is (see ``master_key_file``)."""
        if self.master_key_file:
            return Path(self.master_key_file).expanduser()
        return self.home / MASTER_KEY_FILE

    @property
    def database_backend(self) -> str:
        return make_url(self.database_url).get_backend_name()

    def redacted_database_url(self) -> str:
        """The database URL with any password masked, for logs and messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    def as_environment(self) -> dict[str, str]:
        """These settings as ``SCNODE_*`` variables (how uvicorn workers receive them)."""
        out: dict[str, str] = {}
        for name, value in self.model_dump().items():
            out[f"SCNODE_{name.upper()}"] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
        return out


def _home_from(*sources: Mapping[str, Any]) -> Path:
    for source in sources:
        value = source.get("home")
        if value:
            return Path(value).expanduser()
    return resolve_home(None, os.environ)


def load_settings(**overrides: Any) -> Settings:
    """Build settings from flags (``overrides``; ``None`` values are ignored),
    environment and the home folder's ``scnode.toml``; :class:`SettingsError` if invalid."""
    from pydantic import ValidationError

    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise SettingsError(f"invalid setting {where}: {first['msg']}") from None
