"""A node for fuzzing: initialised home, fresh SQLite database, seeded ledger, tokens."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import Engine, func, inspect, select, table

from node.api.transactions import write_transaction
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.settings import load_settings
from tests.node.helpers import vkey_of

ORIGIN = "fuzz.example/node"
QUIET_S = 24 * 3600.0


@dataclass(frozen=True)
class FuzzNode:
    home: Path
    app: FastAPI
    tokens: dict[Role, str]
    seeded_size: int

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def row_counts(self) -> dict[str, int]:
        """Rows in every table of the node database (what a refused request must not change)."""
        engine: Engine = self.app.state.services.engine
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            counts = [select(func.count()).select_from(table(n)).scalar_subquery() for n in names]
            row = conn.execute(select(*counts)).one()
        return dict(zip(names, (int(c) for c in row), strict=True))


def ledger_report(home: Path) -> dict[str, Any]:
    """``scnode ledger verify --json`` on ``home``: re-verifies chain, tree and signatures."""
    result = CliRunner().invoke(main, ["--home", str(home), "ledger", "verify", "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


@pytest.fixture(scope="package")
def fuzz_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzNode]:
    """One node for the whole package, so state built by one operation is seen by the next.

    Its ledger is seeded with membership entries (two peers added over the API) so
    the ledger, proof and bundle routes have real entries to serve; after every
    operation was fuzzed, the ledger must still verify and must not have shrunk.
    """
    home = tmp_path_factory.mktemp("fuzz") / "home"
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", ORIGIN])
    assert made.exit_code == 0, made.output
    settings = load_settings(home=home)
    engine = make_engine(settings.database_url)
    try:
        with write_transaction(engine) as conn:
            tokens = {r: create_token(conn, role=r, name=f"fuzz-{r.value}").token for r in Role}
    finally:
        engine.dispose()
    app = create_app(settings)
    # Background loops (peer pushes, delivery retries, SLA sweeps) would write to the
    # database between requests; quiet them so a refused request's writes are its own.
    app.state.peer_interval_s = QUIET_S
    app.state.documents_retry_s = QUIET_S
    app.state.planning_retry_s = 0
    app.state.governance_sweep_s = 0
    admin = {"Authorization": f"Bearer {tokens[Role.ADMIN]}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        for n, role in enumerate(("partner", "auditor")):
            name = f"peer{n}.example/node"
            vkey = vkey_of(name, Ed25519PrivateKey.generate())
            r = client.post(
                "/v1/peers",
                json={"url": f"http://127.0.0.1:{9000 + n}", "vkey": vkey, "role": role},
                headers=admin,
            )
            assert r.status_code == 201, r.text
    seeded = ledger_report(home)
    assert seeded["ok"], seeded
    assert seeded["size"] >= 2, seeded
    node = FuzzNode(home=home, app=app, tokens=tokens, seeded_size=int(seeded["size"]))
    yield node
    # Stop the app's background loops (schemathesis started its lifespan on first use)
    # before the ledger is read for the last time.
    shutdown_lifespans()
    after = ledger_report(home)
    assert after["ok"], after
    assert after["size"] >= node.seeded_size, (after, node.seeded_size)


@pytest.fixture(scope="package")
def api_schema(fuzz_node: FuzzNode) -> OpenApiSchema:
    """The node's own OpenAPI document, served by the app, driving requests in-process."""
    coverage = os.environ.get("SCNODE_FUZZ_COVERAGE", "0") == "1"
    config = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": coverage}}})
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_node.app, config=config)
