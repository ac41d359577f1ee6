"""Fixtures shared by the whole test suite.

* ``shared_dir``: the workspace's ``../shared`` folder of external test data
  (RFC 9162 corpus, GS1 EPCIS documents). Tests that need it skip with a clear
  reason when it is absent; it is never copied into the project.
* ``database_url``: a fresh, empty database for each test, on SQLite and, when
  ``SCNODE_TEST_DATABASE_URL`` points at PostgreSQL, on PostgreSQL too.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Timing belongs in benchmarks, not tests: no per-example deadline and no
# "generation is slow" failure when CI's machine is busy.
settings.register_profile("scnode", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("SCNODE_HYPOTHESIS_PROFILE", "scnode"))

# py-ecc raises the recursion limit to 100,000 when first imported (tests/zk
# imports it directly as the slow reference). Import it once here and restore the
# limit, so the suite runs under the same limit as the node: with py-ecc's limit,
# deeply nested JSON overflows the C stack instead of raising RecursionError.
_RECURSION_LIMIT = sys.getrecursionlimit()
import py_ecc.secp256k1  # noqa: E402,F401

sys.setrecursionlimit(_RECURSION_LIMIT)

REPO = Path(__file__).resolve().parents[1]
SHARED_ENV = "SCNODE_SHARED_DIR"
PG_ENV = "SCNODE_TEST_DATABASE_URL"


def shared_path(*parts: str) -> Path:
    """Path below the shared test-data folder; skips the test if it is absent."""
    base = Path(os.environ.get(SHARED_ENV, REPO.parent / "shared"))
    path = base.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"external test data not found at {path} (set {SHARED_ENV} to its folder)")
    return path


@pytest.fixture
def shared_dir() -> Path:
    return shared_path()


def _database_params() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a new empty database, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scnode.sqlite'}"
        return
    base = os.environ.get(PG_ENV, "")
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://u:p@127.0.0.1/db)")
    yield from _fresh_postgres_database(base)


def _fresh_postgres_database(base: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"scnode_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
