"""Helpers of the governance and dashboard tests: a node with a ledger, tokens for
its staff and two partners, and a controlled clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import Engine

from ledger.storage import LedgerStore
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.governance import GovernanceService, governance_service
from node.governance._db import write_transaction
from node.settings import load_settings

NODE = "core.example"
SUPPLIER_A = "supplier-a.example"
SUPPLIER_B = "supplier-b.example"
#: 2027-01-04T00:00:00Z, after any real checkpoint the node signed at ``init``.
START = int(datetime(2027, 1, 4, tzinfo=UTC).timestamp() * 1000)
MINUTE = 60_000
HOUR = 60 * MINUTE


@dataclass
class Clock:
    now: int = START

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> int:
        self.now += ms
        return self.now


@dataclass
class GovNode:
    home: Path
    app: FastAPI
    engine: Engine
    tokens: dict[str, str]
    clock: Clock = field(default_factory=Clock)

    @property
    def service(self) -> GovernanceService:
        return governance_service(self.app)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def store(self) -> LedgerStore:
        return LedgerStore.open(self.engine, NODE)

    def entry_kind(self, index: int) -> str:
        return self.store().entry(index).kind


def make_gov_node(database_url: str, root: Path) -> Iterator[GovNode]:
    """A node initialised with ``scnode init`` on ``database_url``, its app built, the
    SLA loop off (tests sweep explicitly) and the governance clock controlled."""
    home = root / "home"
    made = CliRunner().invoke(
        main, ["--home", str(home), "init", "--name", NODE, "--database-url", database_url]
    )
    assert made.exit_code == 0, made.output
    settings = load_settings(home=home, run_migrations=False)  # init migrated it
    app = create_app(settings)
    app.state.governance_sweep_s = 0
    engine = make_engine(database_url)
    with write_transaction(engine) as conn:
        tokens = {
            "admin": create_token(conn, role=Role.ADMIN, name="ops-admin").token,
            "operator": create_token(conn, role=Role.OPERATOR, name="ops").token,
            "auditor": create_token(conn, role=Role.AUDITOR, name="audit").token,
            "bank": create_token(conn, role=Role.BANK, name="bank").token,
            "a": create_token(conn, role=Role.PARTNER, name=SUPPLIER_A).token,
            "b": create_token(conn, role=Role.PARTNER, name=SUPPLIER_B).token,
        }
    node = GovNode(home=home, app=app, engine=engine, tokens=tokens)
    node.service.clock = node.clock
    try:
        yield node
    finally:
        engine.dispose()


def position(
    as_of: int | str | None,
    *,
    sku: str = "MOD-1",
    location: str = "WH1",
    drop: tuple[str, ...] = (),
    **quantities: Any,
) -> dict[str, Any]:
    """A canonical inventory position; ``drop`` leaves required fields out."""
    q: dict[str, Any] = {"available": 10, "in_transit": 0, "in_inspection": 0, **quantities}
    record: dict[str, Any] = {"sku": sku, "location": location, "as_of": as_of, "quantities": q}
    for name in drop:
        if name.startswith("quantities."):
            q.pop(name.removeprefix("quantities."))
        else:
            record.pop(name)
    return record
