"""Fixtures of the storage tests.

One migrated database per backend for the whole session (``engine``), and a
fresh log in it for every test (``store``): logs are keyed by ``log_id``, so
tests do not see each other, and the suite does not pay for creating a
PostgreSQL database per test. Tests that need an empty database (migrations)
use the ``database_url`` fixture instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.storage import LedgerStore
from node.db import create_engine, upgrade
from tests.conftest import PG_ENV, _fresh_postgres_database


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def shared_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        folder: Path = tmp_path_factory.mktemp("ledger-storage")
        yield f"sqlite:///{folder / 'scnode.sqlite'}"
        return
    base = os.environ.get(PG_ENV, "")
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://u:p@127.0.0.1/db)")
    yield from _fresh_postgres_database(base)


@pytest.fixture(scope="session")
def engine(shared_database_url: str) -> Iterator[Engine]:
    upgrade(shared_database_url)
    engine = create_engine(shared_database_url)
    yield engine
    engine.dispose()


def new_origin() -> str:
    return f"example.com/t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store(engine: Engine) -> LedgerStore:
    return LedgerStore.create(engine, new_origin())
