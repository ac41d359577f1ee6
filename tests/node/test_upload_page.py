"""The supplier upload page: its routes, its preview and approval API, and the page
itself in a real headless Chromium against a real uvicorn server under a path prefix.

The preview must predict the publish: a column it calls approved is the profile's,
a row it lists as refused is refused by ``POST /v1/inventory/snapshots`` with the
same rule at the same place, and it stores nothing.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from starlette.applications import Starlette
from starlette.routing import Mount

from ledger.storage import LedgerStore
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.inventory import inventory_positions, inventory_snapshots
from node.settings import Settings, load_settings
from semantic_mapping import load_vocabulary, profile_from_turtle
from tests.node.browser_support import ARTIFACTS, BROWSER_ARGS, CHROMIUM, needs_browser, serve
from tests.node.inventory_support import ORIGIN, ZH_FIELDS, recent, zh_csv

if TYPE_CHECKING:
    from playwright.sync_api import FilePayload

PREVIEW = "/v1/upload/preview"
MAPPING = "/v1/upload/mapping"
SNAPSHOTS = "/v1/inventory/snapshots"
NEW_SOURCE = "u8-plant2"  # no approved profile until a test approves one
PREFIX = "/t/acme"
#: Tests of HTTP behaviour alone run on SQLite; the storage-backed ones on every backend.
HTTP_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TOKENS = {
    "operator": (Role.OPERATOR, "supplier-ops"),
    "admin": (Role.ADMIN, "supplier-admin"),
    "partner": (Role.PARTNER, "phone-maker"),
    "auditor": (Role.AUDITOR, "auditor-x"),
}


@dataclass(frozen=True)
class Site:
    home: Path
    settings: Settings
    engine: Engine
    app: FastAPI
    tokens: dict[str, str]

    def auth(self, who: str = "operator") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def count(self, table: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def snapshot_entries(self) -> int:
        store = LedgerStore.open(self.engine, ORIGIN)
        return sum(e.kind == "inventory.snapshot" for e in store.entries(0, store.size()))

    def profile_path(self, source: str) -> Path:
        return self.home / "mapping" / "profiles" / f"{source}.ttl"


def with_upload(app: FastAPI) -> FastAPI:
    """The app as ``create_app`` builds it: it serves the upload page and API."""
    return app


@pytest.fixture
def site(database_url: str, tmp_path: Path, sqlite_template: Path) -> Iterator[Site]:
    if database_url.startswith("sqlite:///"):  # already migrated: a faster init
        shutil.copyfile(sqlite_template, database_url.removeprefix("sqlite:///"))
    home = tmp_path / "home"
    made = CliRunner().invoke(
        main, ["--home", str(home), "init", "--name", ORIGIN, "--database-url", database_url]
    )
    assert made.exit_code == 0, made.output
    settings = load_settings(home=home)
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        tokens = {k: create_token(conn, role=r, name=n).token for k, (r, n) in TOKENS.items()}
    try:
        yield Site(home, settings, engine, with_upload(create_app(settings)), tokens)
    finally:
        engine.dispose()


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(site.app, raise_server_exceptions=False) as c:
        yield c


def prefixed(app: FastAPI) -> Starlette:
    """A host that serves ``app`` under ``PREFIX`` (its ``root_path``), as a multi-tenant
    host serves each tenant."""
    return Starlette(routes=[Mount(PREFIX, app=app)])


def _preview(
    client: TestClient,
    site: Site,
    data: bytes,
    *,
    source: str = NEW_SOURCE,
    who: str = "operator",
    media_type: str = "text/csv",
    **params: str,
) -> httpx.Response:
    headers = {**site.auth(who), "Content-Type": media_type}
    response: httpx.Response = client.post(
        PREVIEW, content=data, params={"source": source, **params}, headers=headers
    )
    return response


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(ZH_FIELDS))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _row(
    i: int, *, sku: str | None = None, available: object = 1500, as_of: str | None = None
) -> list[object]:
    when = recent(8, naive=True) if as_of is None else as_of
    code = f"MOD-{i:04d}" if sku is None else sku
    return [code, "深圳一仓", "L1", available, 30, 5, 100, when, "12.5"]


# -- the page and its assets -------------------------------------------------------------


def _asset_text(name: str) -> str:
    return resources.files("node.upload").joinpath(name).read_text("utf-8")


@HTTP_ONLY
def test_page_and_assets_are_served_without_a_token(client: TestClient) -> None:
    page = client.get("/upload")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "connect-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert 'src="upload/assets/upload.js"' in page.text
    assert 'href="upload/assets/upload.css"' in page.text
    for name, media_type in (
        ("upload.js", "text/javascript; charset=utf-8"),
        ("upload.css", "text/css; charset=utf-8"),
    ):
        got = client.get(f"/upload/assets/{name}")
        assert got.status_code == 200, name
        assert got.headers["content-type"] == media_type
        assert got.text == _asset_text(name)
    for bad in ("index.html", "nope.js", "..%2F..%2Fapp.py", "__init__.py"):
        missing = client.get(f"/upload/assets/{bad}")
        assert missing.status_code == 404, bad
        assert missing.headers["content-type"] == "application/problem+json"
    slash = client.get("/upload/", follow_redirects=False)
    assert slash.status_code == 308
    assert slash.headers["location"] == "../upload"


def test_page_and_assets_hold_no_external_or_root_relative_url() -> None:
    html, js, css = (_asset_text(n) for n in ("index.html", "upload.js", "upload.css"))
    for name, text in (("index.html", html), ("upload.js", js), ("upload.css", css)):
        assert not re.search(r"\b(?:https?|wss?|ftp):", text), name
        assert not re.search(r"""(["'`(])//""", text), name  # protocol-relative
    # attributes that load or send something: relative paths only
    refs = re.findall(r"""\b(?:src|href|action)\s*=\s*["']([^"']*)["']""", html)
    assert sorted(refs) == ["data:,", "upload/assets/upload.css", "upload/assets/upload.js"]
    # JS: no string literal starting at the root; every call goes through endpoint()
    assert not re.search(r"""["'`]/[A-Za-z0-9]""", js)
    assert re.findall(r"\bfetch\((.*?),\s*\{", js) == ["endpoint(path, params)"]
    assert "new URL(path, document.baseURI)" in js
    assert sorted(set(re.findall(r"""call\("([^"]+)\"""", js))) == [
        "v1/inventory/snapshots",
        "v1/upload/mapping",
        "v1/upload/preview",
    ]
    assert "url(" not in css
    assert "@import" not in css
    # the token lives in sessionStorage only
    assert "localStorage.setItem(TOKEN_KEY" not in js
    assert js.count("sessionStorage.setItem(TOKEN_KEY") == 1


@HTTP_ONLY
def test_page_assets_and_api_resolve_under_a_prefix(site: Site) -> None:
    with TestClient(prefixed(site.app), raise_server_exceptions=False) as host:
        page_url = f"{PREFIX}/upload"
        page = host.get(page_url)
        assert page.status_code == 200
        for ref in re.findall(r"""(?:src|href)="(upload/[^"]+)\"""", page.text):
            resolved = urljoin(page_url, ref)
            assert resolved.startswith(f"{PREFIX}/upload/assets/"), resolved
            assert host.get(resolved).status_code == 200, resolved
        # the page's relative API paths reach this node under the prefix
        got = host.post(
            urljoin(page_url, "v1/upload/preview"),
            params={"source": NEW_SOURCE},
            content=_csv([_row(0)]),
            headers={**site.auth(), "Content-Type": "text/csv"},
        )
        assert got.status_code == 200, got.text
        assert got.json()["rows"] == 1
        refused = host.post(urljoin(page_url, "v1/upload/preview"), params={"source": "x"})
        assert refused.status_code == 401
        assert refused.json()["instance"] == f"{PREFIX}/v1/upload/preview"
        # the 308 of /upload/ points back at this tenant's page
        slash = host.get(f"{PREFIX}/upload/", follow_redirects=False)
        assert urljoin(f"{PREFIX}/upload/", slash.headers["location"]) == page_url


# -- preview and approval ------------------------------------------------------------------


def _stored_nothing(site: Site, *, entries: int = 0) -> None:
    assert site.snapshot_entries() == entries
    assert site.count(inventory_snapshots) == entries
    assert site.count(inventory_positions) == 0 if entries == 0 else True


def test_preview_proposes_every_column_with_skos_labels_and_stores_nothing(
    client: TestClient, site: Site
) -> None:
    got = _preview(client, site, zh_csv(4), timezone="+08:00")
    assert got.status_code == 200, got.text
    out = got.json()
    assert out["source"] == NEW_SOURCE
    assert out["profile_version"] is None
    assert out["rows"] == 4
    assert out["ready"] is False  # nothing approved yet
    assert [c["name"] for c in out["columns"]] == list(ZH_FIELDS)
    vocabulary = load_vocabulary()
    for column in out["columns"]:
        assert column["concept"] == ZH_FIELDS[column["name"]], column
        assert column["approved"] is False
        assert 0.8 <= column["confidence"] <= 1.0
        concept = vocabulary[column["concept"]]
        assert column["labels"] == {
            "id": concept.id,
            "zh": concept.label_zh,
            "en": concept.label_en,
            "value_type": concept.value_type,
        }
    by_name = {c["name"]: c for c in out["columns"]}
    assert by_name["在库"]["labels"]["zh"] == "可用库存"
    assert by_name["在库"]["labels"]["en"] == "available stock"
    assert by_name["物料编码"]["labels"]["en"] == "item code"
    assert out["problems"] == []
    assert {c["id"] for c in out["concepts"]} == set(vocabulary.concepts)
    assert "1200" not in got.text  # the preview never echoes the export's quantities
    _stored_nothing(site)
    assert not site.profile_path(NEW_SOURCE).exists()


def test_approving_the_proposals_makes_the_preview_ready_and_the_publish_match(
    client: TestClient, site: Site
) -> None:
    data = zh_csv(3, below_every=2)
    proposed = _preview(client, site, data).json()["columns"]
    fields = {c["name"]: c["concept"] for c in proposed}
    approved = client.post(
        MAPPING,
        json={"source": NEW_SOURCE, "timezone": "+08:00", "fields": fields},
        headers=site.auth(),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json() == {
        "source": NEW_SOURCE,
        "version": len(fields),
        "timezone": "+08:00",
        "fields": len(fields),
    }
    profile = profile_from_turtle(site.profile_path(NEW_SOURCE).read_text("utf-8"))
    assert profile.timezone == "+08:00"
    assert {m.source_field: m.concept for m in profile.fields} == ZH_FIELDS
    assert {m.approved_by for m in profile.fields} == {"supplier-ops"}  # the token's name

    ready = _preview(client, site, data).json()
    assert ready["ready"] is True
    assert ready["profile_version"] == len(fields)
    assert all(c["approved"] and c["confidence"] == 1.0 for c in ready["columns"])
    _stored_nothing(site)

    published = client.post(
        SNAPSHOTS,
        params={"source": NEW_SOURCE},
        content=data,
        headers={**site.auth(), "Content-Type": "text/csv"},
    )
    assert published.status_code == 201, published.text
    assert published.json()["mapping_profile_version"] == ready["profile_version"]
    assert len(published.json()["positions"]) == ready["rows"] == 3
    assert site.snapshot_entries() == 1


def test_preview_lists_the_rows_a_publish_refuses_with_the_same_rules(
    client: TestClient, site: Site
) -> None:
    approval = {"source": NEW_SOURCE, "timezone": "+08:00", "fields": dict(ZH_FIELDS)}
    ok = client.post(MAPPING, json=approval, headers=site.auth())
    assert ok.status_code == 200, ok.text
    rows = [_row(0), _row(1, as_of=""), _row(2, available="-5"), _row(3), _row(4, sku="MOD-0003")]
    data = _csv(rows)
    got = _preview(client, site, data)
    assert got.status_code == 200, got.text
    out = got.json()
    assert out["ready"] is False
    assert out["rows"] == 5
    problems = out["problems"]
    assert {p["loc"][1] for p in problems} == {1, 2, 4}  # rows 0 and 3 pass
    assert all(p["loc"][0] == "positions" and p["msg"] for p in problems)
    assert "node.duplicate_position" in {p["type"] for p in problems}
    refused = _publish(client, site, data)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == problems  # the preview predicted the refusal exactly

    # a record the mapping itself cannot use: one problem for the whole export, the
    # publish's own reason
    unusable = _csv([_row(0), _row(1, sku="")])
    whole = _preview(client, site, unusable).json()
    assert whole["ready"] is False
    [problem] = whole["problems"]
    assert problem["loc"] == ["export"]
    refused = _publish(client, site, unusable)
    assert refused.status_code == 400
    assert problem["msg"] == refused.json()["detail"]
    assert "sku" in problem["msg"]
    _stored_nothing(site)


def _publish(client: TestClient, site: Site, data: bytes) -> httpx.Response:
    response: httpx.Response = client.post(
        SNAPSHOTS,
        params={"source": NEW_SOURCE},
        content=data,
        headers={**site.auth(), "Content-Type": "text/csv"},
    )
    return response


@HTTP_ONLY
def test_preview_marks_only_the_columns_the_profile_maps_as_approved(
    client: TestClient, site: Site
) -> None:
    partial = {k: v for k, v in ZH_FIELDS.items() if k != "单价"}
    assert (
        client.post(
            MAPPING,
            json={"source": NEW_SOURCE, "timezone": "+08:00", "fields": partial},
            headers=site.auth("admin"),
        ).status_code
        == 200
    )
    out = _preview(client, site, zh_csv(2)).json()
    states = {c["name"]: c["approved"] for c in out["columns"]}
    assert states == {k: k != "单价" for k in ZH_FIELDS}
    assert out["ready"] is False
    assert out["problems"] == []  # the draft mapping of 单价 (unit_cost) breaks no rule


@HTTP_ONLY
def test_json_export_and_canonical_positions_preview(client: TestClient, site: Site) -> None:
    rows = [{"Material": "PCB-1", "Plant": "WH2", "Available Stock": 10, "Last Updated": recent(0)}]
    exported = _preview(client, site, _json(rows), media_type="application/json").json()
    assert [c["concept"] for c in exported["columns"]] == [
        "sku",
        "location",
        "available",
        "timestamp",
    ]
    canonical = {
        "positions": [
            {
                "sku": "C-1",
                "location": "F1",
                "as_of": recent(8),
                "quantities": {"available": 5, "in_transit": 0, "in_inspection": 0},
            }
        ]
    }
    got = _preview(client, site, _json(canonical), media_type="application/json")
    assert got.status_code == 200, got.text
    assert got.json()["columns"] == []
    assert got.json()["problems"] == []
    assert got.json()["ready"] is True
    assert got.json()["rows"] == 1


def _json(value: object) -> bytes:
    import json

    return json.dumps(value).encode()


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("partner", 403), ("auditor", 403)])
@HTTP_ONLY
def test_preview_and_approval_need_an_operator_token(
    client: TestClient, site: Site, who: str | None, status: int
) -> None:
    headers = site.auth(who) if who else {}
    got = client.post(
        PREVIEW,
        params={"source": NEW_SOURCE},
        content=zh_csv(1),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert got.status_code == status
    assert got.headers["content-type"] == "application/problem+json"
    assert got.json()["title"]
    assert got.json()["detail"]
    approval = client.post(
        MAPPING, json={"source": NEW_SOURCE, "fields": {"仓库": "location"}}, headers=headers
    )
    assert approval.status_code == status
    assert not site.profile_path(NEW_SOURCE).exists()


@pytest.mark.parametrize(
    ("body", "media_type", "params", "status", "slug"),
    [
        (b"", "text/csv", {}, 400, "inventory-input"),
        (b"\x00\x01\x02binary", "text/csv", {}, 400, "inventory-input"),
        (b"a,b\n1,2\n", "text/plain", {}, 400, "inventory-input"),
        (b"[1, 2", "application/json", {}, 400, "inventory-input"),
        (b'{"positions": 3}', "application/json", {}, 400, "inventory-input"),
        (b'[{"qty": ' + b"9" * 5000 + b"}]", "application/json", {}, 400, "inventory-input"),
        (
            b'{"positions": [{"sku": ' + b"1" * 5000 + b"}]}",
            "application/json",
            {},
            400,
            "inventory-input",
        ),
        (b"a,b\n1,2\n", "text/csv", {"source": "../etc"}, 422, "validation"),
        (b"a,b\n1,2\n", "text/csv", {"timezone": "Asia/Shanghai"}, 422, "validation"),
    ],
)
@HTTP_ONLY
def test_preview_refuses_unusable_input_with_a_problem(
    *,
    client: TestClient,
    site: Site,
    body: bytes,
    media_type: str,
    params: dict[str, str],
    status: int,
    slug: str,
) -> None:
    query = {"source": NEW_SOURCE, **params}
    got = client.post(
        PREVIEW, params=query, content=body, headers={**site.auth(), "Content-Type": media_type}
    )
    assert got.status_code == status, got.text
    problem = got.json()
    assert problem["type"].endswith("/" + slug)
    assert problem["title"]
    assert problem["status"] == status
    _stored_nothing(site)


@HTTP_ONLY
def test_preview_refuses_an_oversized_body(client: TestClient, site: Site) -> None:
    from node.inventory import MAX_UPLOAD_BYTES

    got = _preview(client, site, b"a,b\n" + b"1,2\n" * (MAX_UPLOAD_BYTES // 4 + 1))
    assert got.status_code == 413
    assert got.json()["type"].endswith("/inventory-too-large")


@pytest.mark.parametrize(
    "body",
    [
        {"source": NEW_SOURCE, "fields": {"仓库": "warehouse_name"}},  # unknown concept
        {"source": NEW_SOURCE, "fields": {}},  # nothing to approve
        {"source": "a/b", "fields": {"仓库": "location"}},
        {"source": NEW_SOURCE, "timezone": "CST", "fields": {"仓库": "location"}},
        {"source": NEW_SOURCE, "fields": {"": "location"}},
        {"source": NEW_SOURCE, "fields": {"仓" * 257: "location"}},
        {"source": NEW_SOURCE, "fields": {"仓库\x00": "location"}},
        {"source": NEW_SOURCE, "fields": {"仓库": "location"}, "approved_by": "someone"},
    ],
)
@HTTP_ONLY
def test_a_refused_approval_writes_no_profile(
    client: TestClient, site: Site, body: dict[str, Any]
) -> None:
    got = client.post(MAPPING, json=body, headers=site.auth())
    assert got.status_code == 422, got.text
    assert got.headers["content-type"] == "application/problem+json"
    assert not (site.home / "mapping" / "profiles").exists() or not any(
        (site.home / "mapping" / "profiles").iterdir()
    )


@HTTP_ONLY
def test_an_approval_extends_the_stored_profile(client: TestClient, site: Site) -> None:
    first = client.post(
        MAPPING,
        json={"source": NEW_SOURCE, "timezone": "+08:00", "fields": {"仓库": "location"}},
        headers=site.auth(),
    )
    second = client.post(
        MAPPING,
        json={"source": NEW_SOURCE, "timezone": "Z", "fields": {"仓库": "none", "在库": "on_hand"}},
        headers=site.auth("admin"),
    )
    assert first.status_code == second.status_code == 200
    assert second.json() == {"source": NEW_SOURCE, "version": 3, "timezone": "+08:00", "fields": 2}
    profile = profile_from_turtle(site.profile_path(NEW_SOURCE).read_text("utf-8"))
    assert {m.source_field: (m.concept, m.approved_by) for m in profile.fields} == {
        "仓库": ("none", "supplier-admin"),
        "在库": ("on_hand", "supplier-admin"),
    }


# -- the page in a real browser ---------------------------------------------------------


def _tenant_host(app: FastAPI) -> Starlette:
    """``prefixed(app)`` with the node app's lifespan run by the host (uvicorn)."""

    @asynccontextmanager
    async def lifespan(_host: Starlette) -> AsyncIterator[None]:
        async with app.router.lifespan_context(app):
            yield

    return Starlette(routes=[Mount(PREFIX, app=app)], lifespan=lifespan)


def _file(data: bytes) -> FilePayload:
    return {"name": "库存导出.csv", "mimeType": "text/csv", "buffer": data}


@needs_browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # browser behaviour only
def test_upload_page_in_chromium_under_a_tenant_prefix(site: Site) -> None:
    from playwright.sync_api import sync_playwright

    bad_rows = _csv([_row(0), _row(1, available="-5"), _row(2)])
    good_rows = zh_csv(3, below_every=2)
    requests: list[str] = []
    errors: list[str] = []
    with serve(_tenant_host(site.app)) as url, sync_playwright() as p:
        base = f"{url}{PREFIX}"
        refused = httpx.post(
            f"{base}/v1/upload/preview",
            params={"source": NEW_SOURCE},
            content=good_rows,
            headers={"Authorization": "Bearer scn_not-a-token", "Content-Type": "text/csv"},
        )
        assert refused.status_code == 401
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/upload")
            page.wait_for_selector("#login:not([hidden])")

            # a refused token: the problem's title and detail, and the token form again
            page.fill("#token", "scn_not-a-token")
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#pick:not([hidden])")
            page.fill("#source", NEW_SOURCE)
            page.select_option("#zone", "+08:00")
            page.set_input_files("#file", files=[_file(good_rows)])
            page.wait_for_selector('#error:not([hidden])[data-status="401"]')
            assert page.inner_text("#error-title") == f"{refused.json()['title']} (401)"
            assert page.inner_text("#error-detail") == refused.json()["detail"]
            page.wait_for_selector("#login:not([hidden])")
            assert page.evaluate("sessionStorage.getItem('scnode.upload.token')") is None

            # the operator's token: columns with proposals and SKOS labels, no approval yet
            page.fill("#token", site.tokens["operator"])
            page.click("#login-form button[type=submit]")
            page.set_input_files("#file", files=[_file(bad_rows)])
            page.wait_for_selector('#column-rows tr[data-column="物料编码"]')
            assert (
                page.evaluate("sessionStorage.getItem('scnode.upload.token')")
                == (site.tokens["operator"])
            )
            assert site.tokens["operator"] not in page.url
            assert page.is_hidden("#error")
            vocabulary = load_vocabulary()
            for name, concept in ZH_FIELDS.items():
                row = page.locator(f'#column-rows tr[data-column="{name}"]')
                assert row.get_attribute("data-concept") == concept
                assert row.get_attribute("data-state") == "proposed"
                chosen = row.locator("select option:checked").inner_text()
                assert chosen == f"{vocabulary[concept].label_zh} · {concept}"
                assert "100 %" in row.inner_text()
            assert page.is_disabled("#publish")
            # the row breaking a rule, with the rule and the reason; row numbers from 1
            bad = page.locator('#problem-rows tr[data-row="2"]')
            bad.wait_for()
            assert (
                page.locator("#problem-rows tr").count()
                == page.locator('#problem-rows tr[data-row="2"]').count()
            )
            assert bad.first.locator("td").nth(3).inner_text()

            # approve the proposals: the profile is written, the columns are approved
            page.click("#approve")
            page.wait_for_selector('#column-rows tr[data-column="物料编码"][data-state="approved"]')
            assert site.profile_path(NEW_SOURCE).exists()
            assert page.is_disabled("#publish")  # the bad row still blocks the publish

            # a clean export: ready, published, the appended entry shown
            page.set_input_files("#file", files=[_file(good_rows)])
            page.wait_for_selector("#publish:not([disabled])")
            assert page.locator("#problem-rows tr").count() == 0
            assert site.snapshot_entries() == 0
            page.click("#publish")
            page.wait_for_selector("#result:not([hidden])", timeout=120_000)
            store = LedgerStore.open(site.engine, ORIGIN)
            [entry] = [e for e in store.entries(0, store.size()) if e.kind == "inventory.snapshot"]
            assert page.inner_text("#result-index") == str(entry.seq)
            assert page.inner_text("#result-hash") == entry.leaf_hash.hex()
            assert page.inner_text("#result-positions") == "3"
            assert page.inner_text("#result-proven") == "1"  # row 1 is at or above its safety stock
            assert page.inner_text("#result-below") == "2"  # rows 0 and 2 are below
            assert int(page.inner_text("#result-checkpoint")) > entry.seq
            assert page.locator("#result-rows tr").count() == 3
            assert "1200" not in page.inner_text("#result")  # no quantity shown
            assert page.is_disabled("#publish")  # one publish per chosen file

            # English labels on request
            page.click("#lang")
            page.wait_for_function(
                "document.getElementById('title').innerText === 'Upload inventory'"
            )
            assert page.inner_text("#result h2") == "appended to the ledger"
            assert page.inner_text("#status") == "published"
            option = page.locator('#column-rows tr[data-column="在库"] select option:checked')
            assert option.inner_text() == f"{vocabulary['available'].label_en} · available"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)
        finally:
            browser.close()
    assert site.snapshot_entries() == 1
    outside = [r for r in requests if not r.startswith((f"{url}{PREFIX}/", "data:"))]
    assert outside == []
    assert [e for e in errors if "401" not in e] == []


@HTTP_ONLY
def test_openapi_documents_the_upload_api_but_not_the_page(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert not any(p.startswith("/upload") for p in spec["paths"])
    for path, codes in (
        (PREVIEW, {"400", "401", "403", "413", "422"}),
        (MAPPING, {"401", "403", "422"}),
    ):
        op = spec["paths"][path]["post"]
        assert "200" in op["responses"]
        assert codes <= set(op["responses"]), path
        for code in codes:
            content = op["responses"][code]["content"]
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (path, code)
    assert set(spec["paths"][PREVIEW]["post"]["requestBody"]["content"]) == {
        "text/csv",
        "application/json",
    }


_NAMES = st.text(min_size=0, max_size=30)
_CONCEPTS = st.sampled_from(["sku", "available", "none", "location", "nope", ""])


@HTTP_ONLY
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.lists(st.lists(_NAMES, min_size=1, max_size=4), min_size=1, max_size=4).map(
            lambda rows: "\n".join(",".join(r) for r in rows).encode()
        ),
    ),
    media_type=st.sampled_from(["text/csv", "application/json", "text/plain"]),
    fields=st.dictionaries(_NAMES, _CONCEPTS, max_size=4),
)
def test_hostile_previews_and_approvals_get_a_problem_never_a_500(
    client: TestClient, site: Site, body: bytes, media_type: str, fields: dict[str, str]
) -> None:
    got = _preview(client, site, body, media_type=media_type)
    assert got.status_code in {200, 400, 413, 422}, got.text
    if got.status_code != 200:
        assert got.headers["content-type"] == "application/problem+json"
    approval = client.post(
        MAPPING, json={"source": NEW_SOURCE, "fields": fields}, headers=site.auth()
    )
    assert approval.status_code in {200, 422}, approval.text
    if approval.status_code == 200:  # what was approved reads back
        profile = profile_from_turtle(site.profile_path(NEW_SOURCE).read_text("utf-8"))
        for name, concept in fields.items():
            mapped = profile.mapping_for(name)
            assert mapped is not None
            assert mapped.concept == concept
    assert site.snapshot_entries() == 0
