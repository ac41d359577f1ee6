"""Attack: a tenant reading another tenant's data on a shared (SaaS) host.

Two tenants with data (a published snapshot, a registered peer, a second token).
For EVERY route of the tenant node app (its route table, not a hand-picked list),
with path parameters filled with tenant B's real ids:

* under A's prefix with A's admin token, nothing of B appears in the response;
* under B's prefix with A's token, the request is refused (or, for a public
  route, gets nothing an anonymous caller would not get);

and afterwards B's data is intact. Also: host tokens cannot read tenant data,
tenant tokens cannot manage tenants, sealed keys and private keys never appear in
a response or a log line, and the registry row holds no plaintext key.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.routing import Route

from node.app import create_app, make_engine
from node.peers.client import SignatureAuth
from node.settings import load_settings
from node.tenancy import SEALED_PREFIX, host_registry, tenants
from tests.node.helpers import keyid_hex, vkey_of
from tests.node.tenancy.support import Host, TenantInfo, running_host

REFUSED = {401, 403, 404}
# routes any caller may read (no token): liveness, metrics, the API description,
# the node's public witness key endorsement
PUBLIC = {
    "/healthz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/v1/witness/key",
}
A_SKU = "AAAPART-"
B_SKU = "BBBSECRET-"
PEER_NAME = "peer-of-b.example/node"
# Dispatch and auth behaviour no database backend changes: SQLite only, to keep
# the suite fast (storage isolation itself is tested on both backends).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class World:
    host: Host
    a: TenantInfo
    b: TenantInfo
    secrets_of_b: list[str]
    private: list[str]
    values: dict[str, str]
    b_size: int
    b_leaves: list[str]


def _peer_key() -> tuple[Ed25519PrivateKey, str, str]:
    key = Ed25519PrivateKey.generate()
    return key, vkey_of(PEER_NAME, key), f"{PEER_NAME}+{keyid_hex(PEER_NAME, key)}"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with running_host(database_url, tmp_path) as host:
        a = host.create_tenant("tenant-a.example/node")
        b = host.create_tenant("tenant-b.example/node")
        host.publish(a, A_SKU)
        snap = host.publish(b, B_SKU)
        _key, peer_vkey, _keyid = _peer_key()
        peer = host.client.post(
            f"{b.prefix}/v1/peers",
            json={"url": "https://peer-of-b.example", "vkey": peer_vkey, "role": "partner"},
            headers=b.auth(),
        )
        assert peer.status_code == 201, peer.text
        second = host.client.post(
            f"{b.prefix}/v1/tokens", json={"name": "b-ops", "role": "operator"}, headers=b.auth()
        )
        assert second.status_code == 201, second.text
        checkpoint = host.client.get(f"{b.prefix}/v1/ledger/checkpoint", headers=b.auth())
        assert checkpoint.status_code == 200
        registry = host_registry(host.settings)
        try:
            private = [
                k
                for t in (a, b)
                for keys in [registry.keys(t.id)]
                for k in (keys.log.skey(), keys.witness.skey())
            ]
        finally:
            registry.storage.dispose()
        values = {
            "token_id": second.json()["id"],
            "peer_id": peer.json()["id"],
            "index": "1",
            "grant_id": "1",
            "key": snap["snapshot"],
            "node": b.name.split("/")[0],
            "case_id": "1",
            "pledge_id": snap["snapshot"],
            "fact_id": snap["snapshot"],
            "sku": f"{B_SKU}000",
            "source": "b-erp",
        }
        secrets_of_b = [
            b.id,
            b.name,
            b.vkey.split("+", 2)[2],  # name+keyid+key: base64 may hold "+"
            b.token,
            second.json()["token"],
            B_SKU,
            snap["snapshot"],
            snap["leaf_hash"],
            peer.json()["id"],
            peer_vkey.split("+", 2)[2],
            "peer-of-b.example",
            checkpoint.text.split("\n")[2],  # B's root hash
        ]
        assert all(secrets_of_b), secrets_of_b  # an empty one would be found everywhere
        size = int(checkpoint.text.split("\n")[1])
        listing = host.client.get(f"{b.prefix}/v1/ledger/entries", headers=b.auth()).json()
        leaves = [e["leaf_hash"] for e in listing["entries"]]
        assert len(leaves) == size
        yield World(host, a, b, secrets_of_b, private, values, size, leaves)


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, descending into included routers."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:  # an included router (FastAPI keeps them as branches)
            inner = prefix + str(getattr(route.include_context, "prefix", ""))
            yield from _walk(list(nested.routes), inner)
        elif isinstance(route, APIRoute | Route) and route.methods:
            yield prefix + route.path, set(route.methods)


def _routes(tmp_path: Path) -> list[tuple[str, str, list[str]]]:
    """(method, path, required query parameter names) of every route of a node app."""
    (tmp_path / "probe").mkdir()
    app = create_app(load_settings(home=tmp_path / "probe"))
    spec = app.openapi()["paths"]
    walked = list(_walk(list(app.routes)))
    documented = {(m.upper(), p) for p, ops in spec.items() for m in ops}
    found = {(m, re.sub(r"\{(\w+):\w+\}", r"{\1}", p)) for p, methods in walked for m in methods}
    assert documented <= found  # the walk sees every documented route, and more
    out = []
    for path, methods in walked:
        for method in sorted(methods - {"HEAD"}):
            op = spec.get(re.sub(r"\{(\w+):\w+\}", r"{\1}", path), {}).get(method.lower(), {})
            required = [
                p["name"]
                for p in op.get("parameters", [])
                if p.get("in") == "query" and p.get("required")
            ]
            out.append((method, path, required))
    return out


def _fill(path: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return values.get(name, values["key"])

    return re.sub(r"\{([^}]+)\}", one, path)


def _query(names: list[str], values: dict[str, str]) -> dict[str, str]:
    numeric = {"index", "size", "first", "second", "from", "to", "start", "end", "seq"}
    return {n: ("1" if n in numeric else values.get(n, values["sku"])) for n in names}


def _without_echo(response: httpx.Response, sent: list[str]) -> str:
    """The response text, minus a problem's ``instance`` (the request's own path)
    and the values the request itself carried (an echo of the input is no leak;
    a leak of B's object would show B's other data)."""
    text = response.text
    if response.headers.get("content-type") == "application/problem+json":
        body = response.json()
        body.pop("instance", None)
        text = json.dumps(body, ensure_ascii=False)
    for value in sent:
        text = text.replace(value, "")
    return text


def _call(
    host: Host, method: str, url: str, query: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
    extra = {"content-type": "application/json"} if body is not None else {}
    request = host.client.build_request(
        method, url, params=query, content=body, headers={**headers, **extra}
    )
    response: httpx.Response = host.client.send(request, stream=True)
    try:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            # an endless stream: its first chunk is enough to see whose events it carries
            first = next(response.iter_raw(), b"")
            return httpx.Response(response.status_code, headers=response.headers, content=first)
        response.read()
        return response
    finally:
        response.close()


def test_a_cannot_reach_b_by_any_route(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    host, a, b = world.host, world.a, world.b
    routes = _routes(tmp_path)
    assert len(routes) > 50  # the whole node API, not a sample
    seen = []
    for method, path, required in routes:
        local = _fill(path, world.values)
        query = _query(required, world.values)
        sent = [v for v in [*world.values.values(), *query.values()] if v in local + str(query)]
        mine = _call(host, method, a.prefix + local, query, a.auth())
        seen.append(mine)
        for secret in world.secrets_of_b:
            assert secret not in _without_echo(mine, sent), (method, path, secret)
        assert mine.status_code < 500, (method, path, mine.status_code, mine.text)
        theirs = _call(host, method, b.prefix + local, query, a.auth())
        seen.append(theirs)
        if theirs.status_code not in REFUSED:
            # A's token must add nothing: an anonymous caller gets the same answer
            # (a refusal of the malformed body, or a route open to anyone)
            anonymous = _call(host, method, b.prefix + local, query, {})
            assert anonymous.status_code == theirs.status_code, (method, path)
            if theirs.status_code < 400 and path not in PUBLIC:
                # a static page (dashboard, its assets): the same bytes for every tenant
                same = _call(host, method, a.prefix + local, query, {})
                assert same.content == theirs.content, (method, path)
    # B is untouched: its token, second token, peer and ledger are as they were
    check = host.client.get(f"{b.prefix}/v1/peers/{world.values['peer_id']}", headers=b.auth())
    assert check.status_code == 200
    assert check.json()["status"] == "active"
    tokens = host.client.get(f"{b.prefix}/v1/tokens", headers=b.auth()).json()
    assert all(t["revoked_at"] is None for t in tokens)
    listing = host.client.get(f"{b.prefix}/v1/ledger/entries", headers=b.auth()).json()
    entries = listing["entries"]
    assert [e["leaf_hash"] for e in entries[: world.b_size]] == world.b_leaves
    # nothing was added: refused requests write nothing (not even the rule set
    # governance publishes on its first use)
    assert [e["kind"] for e in entries[world.b_size :]] == []
    # no private key, sealed blob or token of B in any response or log line
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in [*(r.text for r in seen), logged]:
        for key in world.private:
            assert key not in text
        assert SEALED_PREFIX not in text
    assert b.token not in logged


@SQLITE_ONLY
def test_host_tokens_do_not_open_tenants_and_tenant_tokens_do_not_manage_the_host(
    world: World,
) -> None:
    host, a = world.host, world.a
    for url in ("/v1/inventory/positions", "/v1/tokens", "/v1/peers", "/v1/ledger/entries"):
        assert host.client.get(a.prefix + url, headers=host.admin()).status_code == 401
    for headers in (a.auth(), world.b.auth(), {}):
        assert host.client.get("/v1/tenants", headers=headers).status_code == 401
        made = host.client.post("/v1/tenants", json={"name": "evil.example/x"}, headers=headers)
        assert made.status_code == 401
        stop = host.client.post(f"/v1/tenants/{world.b.id}/suspend", headers=headers)
        assert stop.status_code == 401
    listed = host.client.get("/v1/tenants", headers=host.admin())
    assert listed.status_code == 200
    assert {t["id"] for t in listed.json()} == {a.id, world.b.id}
    for key in world.private:
        assert key not in listed.text
    assert SEALED_PREFIX not in listed.text
    assert a.token not in listed.text


def test_a_peer_of_b_is_admitted_by_b_only(world: World) -> None:
    host, a, b = world.host, world.a, world.b
    key, vkey, keyid = _peer_key()
    added = host.client.post(
        f"{b.prefix}/v1/peers",
        json={"url": "https://peer2.example", "vkey": vkey, "role": "partner"},
        headers=b.auth(),
    )
    assert added.status_code == 201, added.text
    # the signature covers the whole URL, /t/<id> included
    hello = host.client.post(f"{b.prefix}/v1/peers/hello", auth=SignatureAuth(key, keyid))
    assert hello.status_code == 200, hello.text
    assert hello.json()["node_name"] == b.name
    assert (
        host.client.post(f"{a.prefix}/v1/peers/hello", auth=SignatureAuth(key, keyid)).status_code
        == 401
    )
    # a request signed for B's URL replayed against A's prefix is refused too
    signed = host.client.build_request("POST", f"{b.prefix}/v1/peers/hello", content=b"")
    flow = SignatureAuth(key, keyid).auth_flow(signed)
    request = next(flow)
    replay = host.client.post(
        f"{a.prefix}/v1/peers/hello", content=b"", headers=dict(request.headers)
    )
    assert replay.status_code == 401


def test_the_registry_row_holds_no_plaintext_key(world: World) -> None:
    engine = make_engine(world.host.settings.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(tenants)).mappings().all()
    finally:
        engine.dispose()
    assert len(rows) == 2
    dumped = repr([dict(r) for r in rows])
    for key in world.private:
        assert key not in dumped
        assert key.split("+", 4)[4] not in dumped  # not even the key bytes (base64: may hold "+")
    assert all(r["sealed_keys"].startswith(SEALED_PREFIX) for r in rows)


@SQLITE_ONLY
def test_unknown_and_malformed_tenant_ids_are_404_problems(world: World) -> None:
    client = world.host.client
    for path in ("/t/0000000000000000/healthz", "/t/zz/v1/tokens", "/t//healthz", "/t/"):
        r = client.get(path, headers=world.a.auth())
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
    # a tenant's own prefix with another tenant's id appended is still tenant A's app
    r = client.get(f"{world.a.prefix}/t/{world.b.id}/v1/tokens", headers=world.a.auth())
    assert r.status_code == 404
    assert world.b.id in r.json().get("instance", "")  # echo of the path only
    assert world.b.name not in r.text
