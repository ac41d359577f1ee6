"""The dashboard in a real headless Chromium, against a real uvicorn server.

The node runs on a loopback port with seeded governance data; the page is opened,
given a token, and must show every partner with the figures the API reports,
update when new data arrives (no reload), drill down to fields, exceptions and
lineage, switch to English, and load nothing from outside the node. A screenshot
is kept in tests/artifacts/.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from governance import PeerFacts
from node.auth.roles import Role
from node.peers.faults import FaultKind, Probe, store_fault
from node.peers.registry import PeerRegistry
from tests.node.helpers import free_port, vkey_of
from tests.node.test_governance_helpers import (
    MINUTE,
    SUPPLIER_A,
    SUPPLIER_B,
    GovNode,
    make_gov_node,
    position,
)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SUPPLIER_C = "supplier-c.example"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists() and shutil.which("chromium") is None,
        reason="Debian's chromium is not installed at /usr/bin/chromium",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="the playwright package (dev dependency) is not installed",
    ),
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # Browser behaviour only; storage runs on every backend in test_governance_api.
    return f"sqlite:///{tmp_path / 'scnode.sqlite'}"


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[GovNode, str]]:
    for node in make_gov_node(database_url, tmp_path):
        _seed(node)
        port = free_port()
        config = uvicorn.Config(node.app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            assert thread.is_alive(), "server thread died"
            time.sleep(0.02)
        try:
            yield node, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)


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


def test_dashboard_in_chromium(served: tuple[GovNode, str]) -> None:
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
    outside = [r for r in requests if not r.startswith((url, "data:"))]
    assert outside == []
    assert [p for p in problems if "401" not in p] == []
