"""Publishing over real HTTP: ``scnode serve`` under uvicorn on a loopback port.

Exports in Chinese (CSV) and English (JSON) field names and canonical positions go
in; bad input comes back as problems; a partner reads its facts and the ledger
entry over HTTP and verifies every proof with zk's verifiers; concurrent
publishes to two workers never fork or skip the ledger.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from ledger import Entry
from node.app import make_engine
from node.auth.tokens import create_token
from node.cli import main
from node.settings import load_settings
from tests.node.helpers import free_port, wait_healthy
from tests.node.inventory_support import (
    EN_SOURCE,
    ORIGIN,
    POLICY,
    TOKENS,
    ZH_SOURCE,
    canonical,
    en_json,
    verify_visible,
    write_profiles,
    zh_csv,
)


@dataclass(frozen=True)
class Served:
    url: str
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("inventory-served") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCNODE_")}
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", ORIGIN], env=env)
    assert made.exit_code == 0, made.output
    write_profiles(home)
    (home / "disclosure-policy.json").write_text(json.dumps(POLICY))
    engine = make_engine(load_settings(home=home).database_url)
    try:
        with engine.begin() as conn:
            tokens = {k: create_token(conn, role=r, name=n).token for k, (r, n) in TOKENS.items()}
    finally:
        engine.dispose()
    port = free_port()
    # no background sweep: its case entries would interleave with the publishes
    # whose consecutive indexes a test checks
    env["SCNODE_GOVERNANCE_SWEEP_S"] = "0"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from node.cli import main; main()",
            "--home",
            str(home),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield Served(url, tokens)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _post(served: Served, data: bytes, media: str, source: str | None = None) -> httpx.Response:
    params = {"source": source} if source else {}
    return httpx.post(
        f"{served.url}/v1/inventory/snapshots",
        content=data,
        params=params,
        headers={**served.auth("operator"), "Content-Type": media},
        timeout=120,
    )


def _entry(served: Served, index: int, who: str) -> dict[str, Any]:
    got = httpx.get(f"{served.url}/v1/ledger/entries/{index}", headers=served.auth(who))
    assert got.status_code == 200, got.text
    entry = Entry.from_leaf(base64.b64decode(got.json()["leaf"]))
    return dict(entry.body)


def test_publish_over_http_and_verify_as_partners(served: Served) -> None:
    zh = _post(served, zh_csv(10, below_every=4), "text/csv", ZH_SOURCE)
    en = _post(served, en_json(3), "application/json", EN_SOURCE)
    canon = _post(served, json.dumps(canonical(4)).encode(), "application/json")
    assert [r.status_code for r in (zh, en, canon)] == [201, 201, 201], zh.text + en.text
    indexes = [r.json()["index"] for r in (zh, en, canon)]
    assert indexes == sorted(indexes)
    assert len(set(indexes)) == 3

    verified = 0
    for who, skus in (("partner_a", 10), ("partner_b", 3)):
        page = httpx.get(f"{served.url}/v1/facts", headers=served.auth(who)).json()
        assert len(page["items"]) == skus
        for item in page["items"]:
            verified += verify_visible(item, ORIGIN, _entry(served, item["index"], who))
    assert verified == 7 + 2  # rows below safety stock carry no proof
    checkpoint = httpx.get(f"{served.url}/v1/ledger/checkpoint", headers=served.auth("partner_a"))
    assert checkpoint.status_code == 200
    assert checkpoint.text.startswith(f"{ORIGIN}\n")


@pytest.mark.parametrize(
    ("data", "media", "source"),
    [
        (b"", "text/csv", ZH_SOURCE),
        (zh_csv(1).replace("单价".encode(), "颜色".encode()), "text/csv", ZH_SOURCE),
        (
            b'{"positions": [{"sku": "X", "quantities": {"available": -1}}]}',
            "application/json",
            None,
        ),
        (os.urandom(10 * 1024 * 1024), "text/csv", ZH_SOURCE),
    ],
    ids=["empty", "unknown-field", "negative-and-missing", "10MB-garbage"],
)
def test_bad_input_over_http_is_a_problem(
    served: Served, data: bytes, media: str, source: str | None
) -> None:
    before = httpx.get(f"{served.url}/v1/ledger/checkpoint", headers=served.auth("auditor")).text
    got = _post(served, data, media, source)
    assert 400 <= got.status_code < 500
    assert got.headers["content-type"] == "application/problem+json"
    after = httpx.get(f"{served.url}/v1/ledger/checkpoint", headers=served.auth("auditor")).text
    assert before == after


def test_concurrent_publishes_get_distinct_consecutive_entries(served: Served) -> None:
    docs = [json.dumps(canonical(3, prefix=f"CON{i}-")).encode() for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda d: _post(served, d, "application/json"), docs))
    assert [r.status_code for r in results] == [201] * 6
    indexes = sorted(r.json()["index"] for r in results)
    assert indexes == list(range(indexes[0], indexes[0] + 6))
    for r in results:
        body = _entry(served, r.json()["index"], "auditor")
        assert body["snapshot"] == r.json()["snapshot"]
