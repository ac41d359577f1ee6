"""Shared pieces of the inventory and disclosure tests: a node, tokens, profiles, exports."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

import zk
from ledger import Entry
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.inventory import AT_LEAST, fact_context, subject_of
from node.settings import Settings, load_settings
from semantic_mapping import (
    MappingProfile,
    Vocabulary,
    load_vocabulary,
    new_profile,
    profile_to_turtle,
)

ORIGIN = "supplier.example/module-maker"
APPROVED_AT = datetime(2026, 11, 1, tzinfo=UTC)
ZH_SOURCE = "kingdee-plant1"
EN_SOURCE = "sap-wh2"
# A partner token's name is its party name in the disclosure policy.
PARTY_A = "phone-maker"
PARTY_B = "board-maker"
BANK = "bank-a"

ZH_FIELDS = {
    "物料编码": "sku",
    "仓库": "location",
    "批次": "lot",
    "在库": "available",
    "在途": "in_transit",
    "在检": "in_inspection",
    "安全库存": "safety_stock",
    "更新时间": "timestamp",
    "单价": "unit_cost",
}
EN_FIELDS = {
    "Material": "sku",
    "Plant": "location",
    "Available Stock": "available",
    "In Transit": "in_transit",
    "Quality Inspection": "in_inspection",
    "Safety Stock": "safety_stock",
    "Last Updated": "timestamp",
    "Sales Qty": "sales_qty",
}


def recent(offset_hours: int = 0, *, naive: bool = False) -> str:
    """A minute ago, in UTC+offset: fresh for the rules whenever the tests run."""
    zone = timezone(timedelta(hours=offset_hours))
    when = (datetime.now(UTC) - timedelta(minutes=1)).astimezone(zone).replace(microsecond=0)
    return when.replace(tzinfo=None).isoformat(sep=" ") if naive else when.isoformat()


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    return load_vocabulary()


def profile(source: str, fields: Mapping[str, str], timezone: str) -> MappingProfile:
    made = new_profile(source, timezone=timezone)
    for name, concept in fields.items():
        made = made.approve_field(
            vocabulary(), source_field=name, concept=concept, approved_by="ops", now=APPROVED_AT
        )
    return made


def write_profiles(home: Path) -> None:
    folder = home / "mapping" / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    for source, fields, tz in ((ZH_SOURCE, ZH_FIELDS, "+08:00"), (EN_SOURCE, EN_FIELDS, "Z")):
        (folder / f"{source}.ttl").write_text(profile_to_turtle(profile(source, fields, tz)))


def zh_csv(rows: int, *, below_every: int = 0, start: int = 0) -> bytes:
    """A Chinese export; every ``below_every``-th row is below its safety stock."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(ZH_FIELDS))
    as_of = recent(8, naive=True)
    for i in range(start, start + rows):
        available = 40 if below_every and i % below_every == 0 else 1200 + i
        writer.writerow(
            [f"MOD-{i:04d}", "深圳一仓", f"L{i % 7}", available, 30, 5, 100, as_of, "12.5"]
        )
    return out.getvalue().encode("utf-8")


def en_json(rows: int) -> bytes:
    items = [
        {
            "Material": f"PCB-{i:03d}",
            "Plant": "WH2",
            "Available Stock": "1,500",
            "In Transit": 20,
            "Quality Inspection": 0,
            "Safety Stock": 1600 if i == 0 else 300,
            "Last Updated": recent(0).replace("+00:00", "Z"),
            "Sales Qty": 77,
        }
        for i in range(rows)
    ]
    return json.dumps(items).encode()


def canonical(rows: int, *, prefix: str = "CHIP-", location: str = "FAB1") -> dict[str, Any]:
    return {
        "positions": [
            {
                "sku": f"{prefix}{i:03d}",
                "location": location,
                "as_of": recent(8),
                "quantities": {"available": 5000 + i, "in_transit": 100, "in_inspection": 3},
                "safety_stock": 2500,
            }
            for i in range(rows)
        ]
    }


@dataclass(frozen=True)
class Node:
    home: Path
    settings: Settings
    engine: Engine
    client: TestClient
    tokens: Mapping[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def count(self, table: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


TOKENS = {
    "admin": (Role.ADMIN, "owner-admin"),
    "operator": (Role.OPERATOR, "owner-ops"),
    "partner_a": (Role.PARTNER, PARTY_A),
    "partner_b": (Role.PARTNER, PARTY_B),
    "bank": (Role.BANK, BANK),
    "auditor": (Role.AUDITOR, "auditor-x"),
}

POLICY: dict[str, Any] = {
    "format": "scnode-disclosure-policy/v1",
    "version": 2,
    "roles": {
        "admin": {"views": ["quantities", "commitments", "facts", "openings"], "scope": "all"},
        "operator": {"views": ["quantities", "commitments", "facts", "openings"], "scope": "all"},
        "auditor": {"views": ["commitments", "facts"], "scope": "all"},
        "partner": {"views": ["facts"], "scope": "supplied"},
        "bank": {"views": ["commitments", "facts", "openings"], "scope": "granted"},
    },
    "parties": [
        {"party": PARTY_A, "role": "partner", "skus": ["MOD-*"], "locations": ["*"]},
        {"party": PARTY_B, "role": "partner", "skus": ["PCB-*"], "locations": ["WH2"]},
    ],
}


def make_node(database_url: str, tmp_path: Path, *, policy: bool = True) -> Iterator[Node]:
    home = tmp_path / "home"
    made = CliRunner().invoke(
        main, ["--home", str(home), "init", "--name", ORIGIN, "--database-url", database_url]
    )
    assert made.exit_code == 0, made.output
    write_profiles(home)
    if policy:
        (home / "disclosure-policy.json").write_text(json.dumps(POLICY))
    settings = load_settings(home=home)
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        tokens = {k: create_token(conn, role=r, name=n).token for k, (r, n) in TOKENS.items()}
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield Node(home, settings, engine, client, tokens)
    finally:
        engine.dispose()


def entry_body(node: Node, index: int, who: str = "auditor") -> dict[str, Any]:
    """The ledger entry as a reader gets it, decoded from its exact leaf bytes."""
    got = node.client.get(f"/v1/ledger/entries/{index}", headers=node.auth(who))
    assert got.status_code == 200, got.text
    leaf = base64.b64decode(got.json()["leaf"])
    entry = Entry.from_leaf(leaf)
    assert entry.kind == "inventory.snapshot"
    return dict(entry.body)


def verify_visible(item: Mapping[str, Any], origin: str, body: Mapping[str, Any]) -> int:
    """Check one /v1/facts item against the ledger entry with zk's verifiers.

    Recomputes the subject from the disclosed identity and salt, finds it in the
    entry, checks the commitments are the entry's, and verifies every proof with a
    context computed here (not the one the node offers). Returns the proofs verified.
    """
    subject = subject_of(item["sku"], item["location"], item["lot"], item["salt"])
    assert subject == item["subject"]
    [on_ledger] = [p for p in body["positions"] if p["subject"] == subject]
    for name, hexed in item["commitments"].items():
        assert on_ledger["commitments"][name] == hexed
    verified = 0
    for fact in item["facts"]:
        assert {
            "fact": fact["fact"],
            **({} if fact["proof"] is None else {"proof": fact["proof"], "bits": fact["bits"]}),
        } in on_ledger["facts"]
        if fact["fact"] != AT_LEAST:
            assert fact["proof"] is None
            continue
        available = zk.Commitment.from_bytes(bytes.fromhex(on_ledger["commitments"]["available"]))
        safety = zk.Commitment.from_bytes(bytes.fromhex(on_ledger["commitments"]["safety_stock"]))
        context = fact_context(origin, body["snapshot"], subject, AT_LEAST)
        assert base64.b64decode(fact["verification"]["context"]) == context
        proof = zk.RangeProof.from_bytes(base64.b64decode(fact["proof"]))
        zk.verify_at_least(available - safety, 0, proof, bits=fact["bits"], context=context)
        verified += 1
    return verified
