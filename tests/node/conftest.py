"""Fixtures of the node service tests: settings on a fresh database, an app, tokens, keys."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from node.app import create_app, make_engine, upgrade_database
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.settings import Settings
from tests.node.helpers import keyid_hex, vkey_of


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once (real migrations); tests start from copies of it."""
    path = tmp_path_factory.mktemp("template") / "scnode.sqlite"
    upgrade_database(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:  # fold the write-ahead log into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def settings(database_url: str, tmp_path: Path, sqlite_template: Path) -> Settings:
    if database_url.startswith("sqlite:///"):
        shutil.copyfile(sqlite_template, database_url.removeprefix("sqlite:///"))
    else:
        upgrade_database(database_url)  # the real migrations, as `scnode serve` runs them
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        node_name="test-node",
        run_migrations=False,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class Tokens:
    admin: str
    operator: str
    partner: str
    auditor: str
    bank: str

    def header(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role.value)}"}


@pytest.fixture
def tokens(settings: Settings) -> Tokens:
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            made = {r.value: create_token(conn, role=r, name=f"{r.value}-t").token for r in Role}
    finally:
        engine.dispose()
    return Tokens(**made)


@dataclass(frozen=True)
class PeerIdentity:
    name: str
    key: Ed25519PrivateKey

    @property
    def vkey(self) -> str:
        return vkey_of(self.name, self.key)

    @property
    def keyid(self) -> str:
        return f"{self.name}+{keyid_hex(self.name, self.key)}"


@pytest.fixture
def peer_identity() -> PeerIdentity:
    return PeerIdentity("peer.example/alpha", Ed25519PrivateKey.generate())
