"""Who sees what: a partner token cannot read quantities by ANY route, partners see
only their own SKUs, a bank only what it was granted (and verifies the openings)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

import zk
from node.inventory import AT_LEAST
from tests.node.inventory_support import (
    EN_SOURCE,
    ORIGIN,
    ZH_FIELDS,
    ZH_SOURCE,
    Node,
    entry_body,
    make_node,
    recent,
    verify_visible,
)

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# Distinctive plaintext values: none of them may reach a partner.
MOD_AVAILABLE = 918273
MOD_TRANSIT = 646464
MOD_INSPECT = 535353
MOD_SAFETY = 727272
PRICE_TEXT = "8642.75"
PCB_AVAILABLE = 1357913
PCB_TRANSIT = 242424
PCB_INSPECT = 191919
PCB_SAFETY = 808080
PCB_SALES = 565656
CHIP_AVAILABLE = 2468024
CHIP_TRANSIT = 131313
CHIP_INSPECT = 171717
CHIP_SAFETY = 1111111
SECRETS = {
    MOD_AVAILABLE,
    MOD_AVAILABLE + 1,
    MOD_TRANSIT,
    MOD_INSPECT,
    MOD_SAFETY,
    PCB_AVAILABLE,
    PCB_TRANSIT,
    PCB_INSPECT,
    PCB_SAFETY,
    PCB_SALES,
    CHIP_AVAILABLE,
    CHIP_AVAILABLE + 1,
    CHIP_TRANSIT,
    CHIP_INSPECT,
    CHIP_SAFETY,
}
_TEXT_SECRETS = [str(s) for s in SECRETS] + [PRICE_TEXT, "1,357,913"]
_SECRET_RE = re.compile(
    r"(?<![0-9A-Za-z+/=_-])("
    + "|".join(re.escape(s) for s in _TEXT_SECRETS)
    + r")(?![0-9A-Za-z+/=_-])"
)


def _mod_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(ZH_FIELDS))
    for i in range(2):
        writer.writerow(
            [
                f"MOD-{i:04d}",
                "深圳一仓",
                "L1",
                MOD_AVAILABLE + i,
                MOD_TRANSIT,
                MOD_INSPECT,
                MOD_SAFETY,
                recent(8, naive=True),
                PRICE_TEXT,
            ]
        )
    return out.getvalue().encode()


def _pcb_json() -> bytes:
    return json.dumps(
        [
            {
                "Material": "PCB-001",
                "Plant": plant,
                "Available Stock": "1,357,913",
                "In Transit": PCB_TRANSIT,
                "Quality Inspection": PCB_INSPECT,
                "Safety Stock": PCB_SAFETY,
                "Last Updated": recent(0),
                "Sales Qty": PCB_SALES,
            }
            for plant in ("WH2", "WH9")
        ]
    ).encode()


def _chips() -> dict[str, Any]:
    return {
        "positions": [
            {
                "sku": f"CHIP-{i}",
                "location": site,
                "as_of": recent(8),
                "quantities": {
                    "available": CHIP_AVAILABLE + i,
                    "in_transit": CHIP_TRANSIT,
                    "in_inspection": CHIP_INSPECT,
                },
                "safety_stock": CHIP_SAFETY,
            }
            for i, site in ((0, "FAB1"), (1, "FAB2"))
        ]
    }


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[Node]:
    for made in make_node(database_url, tmp_path):
        ops = made.auth("operator")
        sent = [
            made.client.post(
                "/v1/inventory/snapshots",
                content=_mod_csv(),
                params={"source": ZH_SOURCE},
                headers={**ops, "Content-Type": "text/csv"},
            ),
            made.client.post(
                "/v1/inventory/snapshots",
                content=_pcb_json(),
                params={"source": EN_SOURCE},
                headers={**ops, "Content-Type": "application/json"},
            ),
            made.client.post("/v1/inventory/snapshots", json=_chips(), headers=ops),
        ]
        assert [r.status_code for r in sent] == [201, 201, 201], [r.text for r in sent]
        yield made


def _leaks(value: Any) -> list[str]:
    """Every plaintext secret found in a decoded JSON value."""
    found: list[str] = []
    if isinstance(value, bool):
        return found
    if isinstance(value, int | float) and value in SECRETS:
        found.append(str(value))
    elif isinstance(value, str):
        found += _SECRET_RE.findall(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            found += _leaks(k) + _leaks(v)
    elif isinstance(value, list):
        for v in value:
            found += _leaks(v)
    return found


def _body_leaks(content: bytes, media: str) -> list[str]:
    text = content.decode("utf-8", "replace")
    if "json" in media:
        try:
            return _leaks(json.loads(text))
        except json.JSONDecodeError:
            pass
    return _SECRET_RE.findall(text)


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
            else:
                yield route

    out = []
    for route in walk(list(app.routes)):
        for method in sorted(getattr(route, "methods", None) or []):
            if method != "HEAD":
                # "{node:path}" is documented as "{node}"
                out.append((method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)))
    documented = {(m.upper(), p) for p, item in app.openapi()["paths"].items() for m in item}
    assert documented <= set(out)  # the walk found every documented operation
    return out


PATH_VALUES = {"sku": "MOD-0000", "index": "0", "name": "app.js"}
QUERIES: list[dict[str, str]] = [
    {},
    {"sku": "MOD-0000"},
    {"sku": "CHIP-0"},
    {"start": "0", "end": "3", "index": "0", "size": "3", "old": "1", "new": "3"},
    {"entries": "0-2", "include_removed": "true", "limit": "1000"},
]


def _concrete(path: str) -> str:
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", lambda m: PATH_VALUES.get(m.group(1), "0" * 16), path)


@SQLITE_ONLY
def test_a_partner_token_reads_no_quantity_by_any_route(node: Node) -> None:
    # positive control: the owner does see these numbers, so the scan can fail
    owner = node.client.get("/v1/inventory/positions", headers=node.auth("operator"))
    seen = set(_body_leaks(owner.content, "application/json"))
    assert {str(MOD_AVAILABLE), str(PCB_AVAILABLE), str(CHIP_AVAILABLE), PRICE_TEXT} <= seen
    routes = _routes(node.client.app)  # type: ignore[arg-type]
    assert ("GET", "/v1/inventory/positions") in routes
    tried = 0
    for who in ("partner_a", "partner_b"):
        for method, path in routes:
            for query in QUERIES:
                got = node.client.request(
                    method,
                    _concrete(path),
                    params=query,
                    headers=node.auth(who),
                    json={} if method in ("POST", "PUT") else None,
                )
                tried += 1
                # (5xx are other tests' concern; a failed route must not leak either)
                leaks = _body_leaks(got.content, got.headers.get("content-type", ""))
                assert leaks == [], (who, method, path, query, leaks)
    assert tried >= 2 * len(QUERIES) * 20


@SQLITE_ONLY
def test_partners_see_facts_of_their_own_skus_only_and_can_verify_them(node: Node) -> None:
    a = node.client.get("/v1/facts", headers=node.auth("partner_a")).json()
    assert sorted(i["sku"] for i in a["items"]) == ["MOD-0000", "MOD-0001"]
    b = node.client.get("/v1/facts", headers=node.auth("partner_b")).json()
    assert [(i["sku"], i["location"]) for i in b["items"]] == [("PCB-001", "WH2")]
    for page, who in ((a, "partner_a"), (b, "partner_b")):
        for item in page["items"]:
            assert set(item["commitments"]) == {"available", "safety_stock"}
            assert item["openings"] == {}
            assert [f["fact"] for f in item["facts"]] == [AT_LEAST]
            body = entry_body(node, item["index"], who)
            assert verify_visible(item, ORIGIN, body) == 1
    not_theirs = node.client.get("/v1/facts/PCB-001", headers=node.auth("partner_a"))
    unknown = node.client.get("/v1/facts/NO-SUCH-SKU", headers=node.auth("partner_a"))
    assert not_theirs.status_code == unknown.status_code == 404
    assert not_theirs.json()["detail"] == unknown.json()["detail"]  # existence not revealed
    for who in ("partner_a", "bank", "auditor"):
        assert node.client.get("/v1/inventory/positions", headers=node.auth(who)).status_code == 403


def _grant(node: Node, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "grantee": "bank-a",
        "role": "bank",
        "skus": ["CHIP-*"],
        "locations": ["FAB1"],
        "from_ms": 0,
        "to_ms": 2**53 - 1,
        "buckets": ["available"],
    }
    body.update(changes)
    got = node.client.post("/v1/disclosure/grants", json=body, headers=node.auth("operator"))
    assert got.status_code == 201, got.text
    result: dict[str, Any] = got.json()
    return result


@SQLITE_ONLY
def test_a_bank_sees_only_what_was_granted_and_verifies_the_openings(node: Node) -> None:
    assert node.client.get("/v1/facts", headers=node.auth("bank")).json()["items"] == []
    grant = _grant(node)
    page = node.client.get("/v1/facts", headers=node.auth("bank")).json()
    [item] = page["items"]
    assert (item["sku"], item["location"]) == ("CHIP-0", "FAB1")
    assert set(item["openings"]) == {"available"}
    body = entry_body(node, item["index"], "bank")
    assert verify_visible(item, ORIGIN, body) == 1
    [on_ledger] = [p for p in body["positions"] if p["subject"] == item["subject"]]
    opened = item["openings"]["available"]
    opening = zk.Opening(opened["value"], int(opened["blinding"], 16))
    zk.verify_opening(
        zk.Commitment.from_bytes(bytes.fromhex(on_ledger["commitments"]["available"])), opening
    )
    assert opening.value == CHIP_AVAILABLE
    tampered = zk.Opening(opened["value"] + 1, int(opened["blinding"], 16))
    with pytest.raises(zk.ProofError):
        zk.verify_opening(
            zk.Commitment.from_bytes(bytes.fromhex(on_ledger["commitments"]["available"])), tampered
        )
    # no other quantity is opened, and nothing outside the grant is shown
    assert _leaks(page) == [str(CHIP_AVAILABLE)]
    assert node.client.get("/v1/facts/CHIP-1", headers=node.auth("bank")).status_code == 404
    assert node.client.get("/v1/facts/MOD-0000", headers=node.auth("bank")).status_code == 404
    # another bank sees nothing; a revoked grant discloses nothing; a past period neither
    other = node.client.get(
        "/v1/facts", headers={"Authorization": "Bearer " + node.tokens["auditor"]}
    )
    assert all(i["openings"] == {} for i in other.json()["items"])
    revoked = node.client.delete(
        f"/v1/disclosure/grants/{grant['id']}", headers=node.auth("operator")
    )
    assert revoked.status_code == 200
    assert revoked.json()["revoked_ms"] is not None
    assert node.client.get("/v1/facts", headers=node.auth("bank")).json()["items"] == []
    _grant(node, from_ms=0, to_ms=1_000_000)
    assert node.client.get("/v1/facts", headers=node.auth("bank")).json()["items"] == []


@SQLITE_ONLY
def test_policy_and_grants_are_managed_by_the_owner_only(node: Node) -> None:
    for who in ("partner_a", "bank", "auditor"):
        assert node.client.get("/v1/disclosure/policy", headers=node.auth(who)).status_code == 403
        got = node.client.post("/v1/disclosure/grants", json={}, headers=node.auth(who))
        assert got.status_code in (403, 422)
    current = node.client.get("/v1/disclosure/policy", headers=node.auth("admin")).json()
    assert current["version"] == 2
    document = {**current["document"], "version": 3}
    document["roles"]["partner"] = {"views": ["facts"], "scope": "none"}
    assert (
        node.client.put(
            "/v1/disclosure/policy", json=document, headers=node.auth("operator")
        ).status_code
        == 403
    )
    assert (
        node.client.put(
            "/v1/disclosure/policy", json=document, headers=node.auth("admin")
        ).status_code
        == 200
    )
    assert node.client.get("/v1/facts", headers=node.auth("partner_a")).json()["items"] == []
    again = node.client.put("/v1/disclosure/policy", json=document, headers=node.auth("admin"))
    assert again.status_code == 409
    unsafe = {
        **document,
        "version": 4,
        "roles": {"partner": {"views": ["quantities"], "scope": "all"}},
    }
    assert (
        node.client.put(
            "/v1/disclosure/policy", json=unsafe, headers=node.auth("admin")
        ).status_code
        == 422
    )
    bad = node.client.post(
        "/v1/disclosure/grants",
        json={"grantee": "x", "role": "partner", "skus": ["*"], "from_ms": 0, "to_ms": 1},
        headers=node.auth("operator"),
    )
    assert bad.status_code == 422
