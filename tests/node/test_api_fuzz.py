"""Fuzzing the API with hostile parameters, bodies and headers: never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.api.transactions import write_transaction
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.settings import load_settings

ROUTES = (
    ("GET", "/v1/ledger/entries/{a}"),
    ("GET", "/v1/ledger/entries?start={a}&end={b}"),
    ("GET", "/v1/ledger/proof/inclusion?index={a}&size={b}"),
    ("GET", "/v1/ledger/proof/consistency?old={a}&new={b}"),
    ("GET", "/v1/ledger/bundle?entries={a}"),
    ("GET", "/v1/peers/{a}"),
    ("DELETE", "/v1/peers/{a}"),
    ("DELETE", "/v1/tokens/{a}"),
    ("POST", "/v1/peers"),
    ("POST", "/v1/tokens"),
    ("POST", "/v1/peers/hello"),
)
values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=30),
    st.sampled_from(["0", "1", "5", "0-3", "1,2", "", "%00", "0123456789abcdef"]),
)
bodies = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(
        st.text(max_size=10), st.one_of(st.none(), st.integers(), st.text(max_size=20))
    ).map(lambda d: repr(d).encode()),
    st.sampled_from([b'{"role": "admin", "name": "x"}', b'{"url": 1, "vkey": [], "role": null}']),
)
headers = st.dictionaries(
    st.sampled_from(["signature-input", "signature", "content-digest", "authorization"]),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
    max_size=4,
)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    home: Path = tmp_path_factory.mktemp("fuzz") / "home"
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", "fuzz.example/node"])
    assert made.exit_code == 0, made.output
    settings_ = load_settings(home=home)
    engine = make_engine(settings_.database_url)
    with write_transaction(engine) as conn:
        token = create_token(conn, role=Role.ADMIN, name="fuzz").token
    engine.dispose()
    with TestClient(create_app(settings_), raise_server_exceptions=False) as client:
        yield client, token


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=st.tuples(st.sampled_from(ROUTES), values, values, bodies, headers, st.booleans()))
def test_no_server_errors(
    fuzz_client: tuple[TestClient, str],
    case: tuple[tuple[str, str], str, str, bytes, dict[str, str], bool],
) -> None:
    client, token = fuzz_client
    (method, template), a, b, body, extra, authorised = case
    path = template.format(a=quote(a, safe=""), b=quote(b, safe=""))
    sent = {"content-type": "application/json", **extra}
    if authorised:
        sent["authorization"] = f"Bearer {token}"
    r = client.request(method, path, content=body if method != "GET" else None, headers=sent)
    assert r.status_code < 500, (method, path, r.status_code, r.text)
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json", (method, path)
        assert "Traceback" not in r.text


def test_oversized_body_is_refused(fuzz_client: tuple[TestClient, str]) -> None:
    client, _ = fuzz_client
    r = client.post(
        "/v1/peers/hello", content=b"{}", headers={"content-length": str(64 * 1024 * 1024 + 1)}
    )
    assert r.status_code == 413
