"""/healthz and /metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.node.helpers import sqlite_url


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # HTTP behaviour only; the storage-backed routes run on every backend elsewhere.
    return sqlite_url(tmp_path)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "node_name": "test-node"}


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/v1/peers/0123456789abcdef")  # 401, counted under the template
    client.get("/nowhere")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    samples = _samples(r.text)
    key = (
        "scnode_http_requests_total",
        (("method", "GET"), ("route", "/healthz"), ("status", "200")),
    )
    assert samples[key] == 3
    peer_key = (
        "scnode_http_requests_total",
        (("method", "GET"), ("route", "/v1/peers/{peer_id}"), ("status", "401")),
    )
    assert samples[peer_key] == 1
    unmatched = (
        "scnode_http_requests_total",
        (("method", "GET"), ("route", "<unmatched>"), ("status", "404")),
    )
    assert samples[unmatched] == 1
    count = (
        "scnode_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/healthz")),
    )
    assert samples[count] == 3
    for gauge in (
        "scnode_ledger_size_entries",
        "scnode_checkpoint_age_seconds",
        "scnode_outbox_depth",
        "scnode_peers_active",
        "scnode_documents_refused",
    ):
        assert (gauge, ()) in samples


def test_each_app_has_its_own_registry(client: TestClient, settings: object) -> None:
    from node.app import create_app
    from node.settings import Settings

    assert isinstance(settings, Settings)
    client.get("/healthz")
    with TestClient(create_app(settings)) as other:
        samples = _samples(other.get("/metrics").text)
    assert not any(
        name == "scnode_http_requests_total" and ("route", "/healthz") in labels
        for name, labels in samples
    )
