"""Fixtures of the storage tests: a migrated database and an empty log in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from ledger.storage import LedgerStore
from node.db import create_engine, upgrade

ORIGIN = "example.com/scnode-test"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> LedgerStore:
    return LedgerStore.create(engine, ORIGIN)
