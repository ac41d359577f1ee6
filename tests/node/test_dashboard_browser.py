"""The dashboard in a real headless Chromium, against a real uvicorn server.

The node runs on a loopback port with seeded governance data, served under a
tenant's path prefix as on a multi-tenant host; the page is opened, given a token,
and must show every partner with the figures the API reports, update when new data
arrives (no reload), drill down to fields, exceptions and lineage, switch to
English, and load nothing from outside the node (nor from outside its prefix). A
screenshot is kept in tests/artifacts/. Without the browser: the page and its
assets hold no root-relative URL, and resolve under a prefix.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from governance import PeerFacts
from node.auth.roles import Role
from node.peers.faults import FaultKind, Probe, store_fault
from node.peers.registry import PeerRegistry
from tests.node.browser_support import ARTIFACTS, BROWSER_ARGS, CHROMIUM, needs_browser, serve
from tests.node.helpers import vkey_of
from tests.node.test_governance_helpers import (
    MINUTE,
    SUPPLIER_A,
    SUPPLIER_B,
    GovNode,
    make_gov_node,
    position,
)

SUPPLIER_C = "supplier-c.example"
PREFIX = "/t/acme"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # Browser behaviour only; storage runs on every backend in test_governance_api.
    return f"sqlite:///{tmp_path / 'scnode.sqlite'}"


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[GovNode]:
    for made in make_gov_node(database_url, tmp_path):
        _seed(made)
        yield made


def tenant_host(app: FastAPI) -> Starlette:
    """A host serving ``app`` under ``PREFIX`` (its ``root_path``), as a multi-tenant
    host does, running the node app's lifespan itself."""

    @asynccontextmanager
    async def lifespan(_host: Starlette) -> AsyncIterator[None]:
        async with app.router.lifespan_context(app):
            yield

    return Starlette(routes=[Mount(PREFIX, app=app)], lifespan=lifespan)


@pytest.fixture
def served(node: GovNode) -> Iterator[tuple[GovNode, str]]:
    """The node under ``PREFIX`` on a loopback port; yields it and its base URL."""
    # no peer rounds: the test stores the peers' faults itself, and a round probing
    # their (unreachable) addresses would overwrite them with "down"
    node.app.state.peer_interval_s = 0
    with serve(tenant_host(node.app)) as url:
        yield node, url + PREFIX


def _asset_text(name: str) -> str:
    return resources.files("node.dashboard").joinpath(name).read_text(encoding="utf-8")


def test_page_and_assets_hold_no_external_or_root_relative_url() -> None:
    html, js, css = (_asset_text(n) for n in ("index.html", "dashboard.js", "dashboard.css"))
    # the SVG namespace name is an identifier, never fetched
    assert js.count('"http://www.w3.org/2000/svg"') == 1
    loaded = js.replace('"http://www.w3.org/2000/svg"', "")
    for name, text in (("index.html", html), ("dashboard.js", loaded), ("dashboard.css", css)):
        assert not re.search(r"\b(?:https?|wss?|ftp):", text), name
        assert not re.search(r"""(["'`(])//""", text), name  # protocol-relative
    # attributes that load or send something: relative paths only
    refs = re.findall(r"""\b(?:src|href|action)\s*=\s*["']([^"']*)["']""", html)
    assert sorted(refs) == [
        "dashboard/assets/dashboard.css",
        "dashboard/assets/dashboard.js",
        "data:,",
    ]
    # JS: no string literal starting at the root; every fetch resolves against the page
    assert not re.search(r"""["'`]/[A-Za-z0-9]""", js)
    assert re.findall(r"\bfetch\((.*?),\s*\{", js) == ["new URL(path, document.baseURI)"]
    called = sorted(re.findall(r"""\bapi\("([^"?]+)""", js))
    assert called == ["v1/governance/dashboard", "v1/governance/lineage"]
    assert "url(" not in css
    assert "@import" not in css


@pytest.mark.parametrize("prefix", ["", PREFIX])
def test_page_assets_and_api_resolve_under_a_prefix(node: GovNode, prefix: str) -> None:
    app = tenant_host(node.app) if prefix else node.app
    with TestClient(app) as host:
        page_url = f"{prefix}/dashboard"
        page = host.get(page_url)
        assert page.status_code == 200
        assert "base-uri 'none'" in page.headers["content-security-policy"]
        refs = re.findall(r"""(?:src|href)="(dashboard/[^"]+)\"""", page.text)
        assert len(refs) == 2
        for ref in refs:
            resolved = urljoin(page_url, ref)
            assert resolved.startswith(f"{prefix}/dashboard/assets/"), resolved
            assert host.get(resolved).status_code == 200, resolved
        assert host.get(f"{prefix}/dashboard/assets/index.html").status_code == 404
        got = host.get(
            urljoin(page_url, "v1/governance/dashboard"),
            params={"window": "day"},
            headers=node.auth("operator"),
        )
        assert got.status_code == 200, got.text
        assert {r["partner"] for r in got.json()["rows"]} == {SUPPLIER_A, SUPPLIER_B}
        assert host.get(urljoin(page_url, "v1/governance/dashboard")).status_code == 401
        # /dashboard/ sends the browser back to this (tenant's) page
        slash = host.get(f"{prefix}/dashboard/", follow_redirects=False)
        assert slash.status_code == 308
        assert urljoin(f"{prefix}/dashboard/", slash.headers["location"]) == page_url


def _seed(node: GovNode) -> None:
    t = node.clock.now
    source = {"sku": "物料编码", "location": "仓库", "available": "在库数量"}
    for i, lag in enumerate((40, 80, 120, 160)):
        node.service.record_inbound(
            SUPPLIER_A,
            position(t - 30 * MINUTE - lag, sku=f"MOD-{i}"),
            received_at=t - 30 * MINUTE,
            record_ref=f"a-export-1/row-{i}",
            ledger_index=10 + i,
            mapping_profile="sap-mm@2",
            source_fields=source,
        )
    node.service.record_mapping(SUPPLIER_A, mapped=10, total=10, mapping_profile="sap-mm@2")
    node.service.record_checkpoint(SUPPLIER_A, witnesses=3)
    for i in range(3):
        node.service.record_inbound(
            SUPPLIER_B,
            position(t - 20 * MINUTE, sku=f"WAF-{i}", drop=("quantities.in_transit",)),
            received_at=t,
            record_ref=f"b-export-7/row-{i}",
            ledger_index=200 + i,
            mapping_profile="u8-stock@1",
            source_fields={"sku": "存货编码", "location": "仓库"},
        )
    node.service.record_mapping(SUPPLIER_B, mapped=6, total=10, mapping_profile="u8-stock@1")
    node.service.record_checkpoint(SUPPLIER_B, witnesses=1)
    node.service.record_facts(
        PeerFacts(SUPPLIER_B, safety_stock={"WAF-1@FAB2": "below", "WAF-2@FAB2": "at_or_above"})
    )
    node.service.sweep()
    _fault(node, SUPPLIER_B, FaultKind.DOWN, "ConnectError")


def _fault(node: GovNode, partner: str, kind: FaultKind, detail: str) -> None:
    """``partner`` as a registered peer whose last round showed ``kind``."""
    with node.engine.begin() as conn:
        registry = PeerRegistry(conn)
        found = [p for p in registry.list() if p.key.name == partner]
        if found:
            peer = found[0]
        else:
            vkey = vkey_of(partner, Ed25519PrivateKey.generate())
            peer = registry.add(url="http://127.0.0.1:9", vkey=vkey, role=Role.PARTNER)
    failure = kind if kind in (FaultKind.DOWN, FaultKind.GARBAGE) else None
    probe = Probe(None if kind is FaultKind.DOWN else 2500, failure=failure)
    store_fault(node.engine, peer.id, (kind, detail), now_ms=node.clock.now, probe=probe)


def _api(url: str, node: GovNode) -> dict[str, Any]:
    got = httpx.get(f"{url}/v1/governance/dashboard?window=day", headers=node.auth("admin"))
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


@needs_browser
def test_dashboard_in_chromium_under_a_tenant_prefix(served: tuple[GovNode, str]) -> None:
    from playwright.sync_api import sync_playwright

    node, url = served
    api = _api(url, node)
    assert {r["partner"] for r in api["rows"]} == {SUPPLIER_A, SUPPLIER_B}
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{url}/dashboard")
            # without a token: the login form, no data
            page.wait_for_selector("#login:not([hidden])")
            assert page.locator("tr[data-partner]").count() == 0
            page.fill("#token", node.tokens["operator"])
            page.click("#login-form button[type=submit]")
            page.wait_for_selector(f'tr[data-partner="{SUPPLIER_B}"]')
            assert (
                page.evaluate("sessionStorage.getItem('scnode.dashboard.token')")
                == (node.tokens["operator"])
            )
            assert node.tokens["operator"] not in page.url

            # every partner, in the API's order, with the API's figures and colours
            rows = page.locator("tr[data-partner]")
            assert [rows.nth(i).get_attribute("data-partner") for i in range(rows.count())] == [
                r["partner"] for r in api["rows"]
            ]
            for row in api["rows"]:
                tr = page.locator(f'tr[data-partner="{row["partner"]}"]')
                assert tr.get_attribute("data-status") == row["status"]
                for cell in row["cells"]:
                    td = tr.locator(f'td[data-key="{cell["key"]}"]')
                    assert td.get_attribute("data-status") == cell["status"], cell["key"]
                    if cell["label"] is None:
                        assert td.inner_text().strip() == cell["display"], cell["key"]
                assert tr.locator("svg.spark").count() == 3
            b_row = page.locator(f'tr[data-partner="{SUPPLIER_B}"]')
            assert b_row.get_attribute("data-status") == "alert"
            witnesses = b_row.locator('td[data-key="witnesses"]')
            assert witnesses.get_attribute("class") == "cell s-warn"  # 1 witness: warn band
            assert "1 低于" in b_row.locator('td[data-key="safety_stock"]').inner_text()
            a_cov = page.locator(f'tr[data-partner="{SUPPLIER_A}"] td[data-key="mapping_coverage"]')
            assert a_cov.inner_text().strip() == "100.00 %"  # 10 of 10 source fields mapped

            # network faults: a badge on the partner's row, coloured, zh label, detail on hover
            b_api_fault = next(r for r in api["rows"] if r["partner"] == SUPPLIER_B)["fault"]
            assert b_api_fault["kind"] == "down"
            badge = b_row.locator("span.fault")
            assert badge.get_attribute("data-fault") == "down"
            assert badge.get_attribute("class") == "fault s-alert"
            assert badge.inner_text() == "节点不可达"
            assert badge.get_attribute("data-since") == str(b_api_fault["since_ms"])
            assert "ConnectError" in (badge.get_attribute("title") or "")
            assert page.locator(f'tr[data-partner="{SUPPLIER_A}"] span.fault').count() == 0

            # drill-down: fields and exceptions of a partner, then the lineage of a field
            b_row.locator("button.partner").click()
            page.wait_for_selector(f'#detail[data-partner="{SUPPLIER_B}"]')
            in_transit = page.locator('#detail-fields tr[data-field="quantities.in_transit"]')
            assert in_transit.count() == 1
            b_api = next(r for r in api["rows"] if r["partner"] == SUPPLIER_B)
            for case in b_api["exceptions"]:
                assert page.locator(f'#detail-exceptions tr[data-case="{case["id"]}"]').count() == 1
            in_transit.locator("a").click()
            page.wait_for_selector("#lineage:not([hidden]) tr[data-record]")
            assert page.locator("#lineage-records tr[data-record]").count() == 3
            facts = page.locator("#lineage-facts").inner_text()
            assert "u8-stock@1" in facts
            assert "存货编码" in facts
            assert "200, 201, 202" in facts

            # new data arrives: the page updates without a reload
            page.evaluate("window.__same_document = true")
            node.clock.advance(MINUTE)
            for i in range(2):
                node.service.record_inbound(
                    SUPPLIER_C, position(node.clock.now - 90, sku=f"PHN-{i}")
                )
            node.service.sweep()
            _fault(node, SUPPLIER_A, FaultKind.SLOW, "answered in 2500 ms (slow above 2000 ms)")
            page.wait_for_selector(f'tr[data-partner="{SUPPLIER_C}"]', timeout=15_000)
            slow = page.locator(f'tr[data-partner="{SUPPLIER_A}"] span.fault[data-fault="slow"]')
            slow.wait_for(timeout=15_000)
            assert slow.get_attribute("class") == "fault s-warn"
            assert page.evaluate("window.__same_document === true")
            c_api = next(r for r in _api(url, node)["rows"] if r["partner"] == SUPPLIER_C)
            c_p50 = next(c for c in c_api["cells"] if c["key"] == "latency_p50_ms")
            page.wait_for_function(
                "(want) => document.querySelector("
                f'\'tr[data-partner="{SUPPLIER_C}"] td[data-key="latency_p50_ms"]\')'
                ".innerText.trim() === want",
                arg=c_p50["display"],
            )

            # English labels on request
            page.click("#lang")
            page.wait_for_function(
                "document.getElementById('title').innerText === 'Collaboration health dashboard'"
            )
            assert page.locator('th[data-col="latency_p95_ms"]').inner_text() == "latency p95"
            assert b_row.locator("span.fault").inner_text() == "peer down"
            assert slow.inner_text() == "slow peer"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            # a refused token sends the user back to the form
            page.evaluate("sessionStorage.setItem('scnode.dashboard.token', 'scn_bad')")
            page.wait_for_selector("#login:not([hidden])", timeout=15_000)
        finally:
            browser.close()
    # everything from this tenant's node, under its prefix
    assert any(r.startswith(f"{url}/dashboard/assets/") for r in requests)
    assert any(r.startswith(f"{url}/v1/governance/dashboard") for r in requests)
    outside = [r for r in requests if not r.startswith((url + "/", "data:"))]
    assert outside == []
    assert [p for p in problems if "401" not in p] == []
