"""The financing routes over a real uvicorn server on loopback: the borrower's
operator grants and pledges, the bank fetches, co-signs and downloads its bundle,
another bank sees the pledge in the registry and its over-pledge is refused."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import NoteSigner
from node.api.routes import finance as finance_routes
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.finance import period_keys, verify_financing
from node.settings import load_settings
from tests.node.helpers import free_port

BORROWER = "borrower.example/module-maker"
BANK_A = NoteSigner("bank-a.example", bytes([51]) * 32)
BANK_B = NoteSigner("bank-b.example", bytes([52]) * 32)
DAY = 86_400_000


class Served:
    def __init__(self, url: str, tokens: dict[str, str], vkey: str, from_ms: int) -> None:
        self.url, self.tokens, self.vkey, self.from_ms = url, tokens, vkey, from_ms

    def call(self, method: str, path: str, who: str, **kw: object) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.tokens[who]}",
            "content-type": "application/json",
        }
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("finance-api") / "home"
    runner = CliRunner()
    made = runner.invoke(main, ["--home", str(home), "init", "--name", BORROWER])
    assert made.exit_code == 0, made.output
    as_of = datetime.now(UTC) - timedelta(minutes=1)
    stock = home / "stock.json"
    stock.write_text(
        json.dumps(
            {
                "positions": [
                    {
                        "sku": "CHIP-000",
                        "location": "FAB1",
                        "as_of": as_of.replace(microsecond=0).isoformat(),
                        "quantities": {"available": 1000, "in_transit": 0, "in_inspection": 0},
                        "safety_stock": 10,
                    }
                ]
            }
        )
    )
    published = runner.invoke(main, ["--home", str(home), "publish", str(stock), "--json"])
    assert published.exit_code == 0, published.output
    settings = load_settings(home=home)
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        tokens = {
            "operator": create_token(conn, role=Role.OPERATOR, name="ops").token,
            "bank-a": create_token(conn, role=Role.BANK, name=BANK_A.name).token,
            "bank-b": create_token(conn, role=Role.BANK, name=BANK_B.name).token,
        }
    engine.dispose()
    app = create_app(settings)
    if not any(getattr(r, "path", "").startswith("/v1/finance") for r in app.routes):
        app.include_router(finance_routes.router)
    app.state.governance_sweep_s = 0
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "server stopped while starting"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    start = int(as_of.timestamp() * 1000) - DAY
    try:
        yield Served(f"http://127.0.0.1:{port}", tokens, made.output.strip(), start)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _pledge(s: Served, grant: str, bank: NoteSigner, quantity: int) -> dict[str, object]:
    got = s.call(
        "POST",
        "/v1/finance/pledges",
        "operator",
        json={
            "grant": grant,
            "bank_vkey": bank.vkey,
            "sku": "CHIP-000",
            "site": "FAB1",
            "quantity": quantity,
            "from_ms": s.from_ms,
            "to_ms": s.from_ms + 3 * DAY,
        },
    )
    assert got.status_code == 201, got.text
    body: dict[str, object] = got.json()
    return body


def _grant(s: Served, bank: str) -> str:
    got = s.call(
        "POST",
        "/v1/finance/grants",
        "operator",
        json={
            "bank": bank,
            "skus": ["CHIP-000"],
            "sites": ["FAB1"],
            "from_ms": s.from_ms,
            "to_ms": s.from_ms + 10 * DAY,
        },
    )
    assert got.status_code == 201, got.text
    return str(got.json()["grant"]["id"])


def test_pledge_cosign_registry_refusal_and_bundle_over_http(served: Served) -> None:
    s = served
    first = _pledge(s, _grant(s, BANK_A.name), BANK_A, 700)
    pid = str(first["id"])
    assert first["state"] == "requested"
    # The bank fetches what it signs; another bank may not.
    fetched = s.call("GET", f"/v1/finance/pledges/{pid}", "bank-a")
    assert fetched.status_code == 200
    # what the bank needs for its registry check, point to point
    assert fetched.json()["collateral"] == {"sku": "CHIP-000", "site": "FAB1", "lot": None}
    assert s.call("GET", f"/v1/finance/pledges/{pid}", "bank-b").status_code == 403
    line = BANK_A.sign_line(fetched.json()["text"])
    assert (
        s.call("POST", f"/v1/finance/pledges/{pid}/cosign", "operator", json={"signature": line})
    ).status_code == 403
    done = s.call("POST", f"/v1/finance/pledges/{pid}/cosign", "bank-a", json={"signature": line})
    assert done.status_code == 201, done.text
    assert done.json()["state"] == "active"

    # Bank B asks the registry before lending against the same stock.
    keys = period_keys(BORROWER, "CHIP-000", "FAB1", s.from_ms, s.from_ms + 3 * DAY)
    hits = s.call("GET", "/v1/finance/registry", "bank-b", params={"key": list(keys)})
    assert hits.status_code == 200
    assert [h["pledge"] for h in hits.json()["pledges"]] == [pid]
    assert s.call("GET", "/v1/finance/registry", "bank-b").status_code == 422

    second = _pledge(s, _grant(s, BANK_B.name), BANK_B, 400)
    line_b = BANK_B.sign_line(str(second["text"]))
    refused = s.call(
        "POST", f"/v1/finance/pledges/{second['id']}/cosign", "bank-b", json={"signature": line_b}
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("pledge-refused")

    # Bank A downloads its bundle and checks it offline.
    assert (
        s.call(
            "GET",
            "/v1/finance/bundle",
            "bank-b",
            params={"bank": BANK_A.name, "from_ms": s.from_ms, "to_ms": s.from_ms + DAY},
        ).status_code
        == 403
    )
    got = s.call(
        "GET",
        "/v1/finance/bundle",
        "bank-a",
        params={"bank": BANK_A.name, "from_ms": s.from_ms, "to_ms": s.from_ms + 2 * DAY},
    )
    assert got.status_code == 200, got.text
    report = verify_financing(
        got.content, vkeys=[s.vkey], bank_vkeys=[BANK_A.vkey], max_gap_ms=4 * DAY
    )
    assert report.lowest_ratio_bp == 12_500
    assert [p.bank for p in report.pledges] == [BANK_A.name]


def test_unknown_pledge_and_bad_bodies_are_problems(served: Served) -> None:
    s = served
    missing = s.call("GET", f"/v1/finance/pledges/{'0' * 32}", "operator")
    assert missing.status_code == 404
    bad = s.call("POST", "/v1/finance/pledges", "operator", json={"grant": "x"})
    assert bad.status_code == 422
    no_grant = s.call(
        "POST",
        "/v1/finance/pledges",
        "operator",
        json={
            "grant": "nope",
            "bank_vkey": BANK_A.vkey,
            "sku": "CHIP-000",
            "site": "FAB1",
            "quantity": 1,
            "from_ms": 0,
            "to_ms": 1,
        },
    )
    assert no_grant.status_code == 404
    assert s.call("GET", "/v1/finance/registry", "bank-a", params={"key": "x"}).status_code == 200


FUZZ_ROUTES = (
    ("GET", "/v1/finance/pledges/{a}"),
    ("POST", "/v1/finance/pledges/{a}/cosign"),
    ("GET", "/v1/finance/registry?key={a}&key={b}"),
    ("GET", "/v1/finance/bundle?bank={a}&from_ms={b}&to_ms={b}"),
    ("POST", "/v1/finance/grants"),
    ("POST", "/v1/finance/pledges"),
)
_values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
    st.sampled_from(["0" * 32, "f" * 32, BANK_A.name, "", "%00"]),
)
_bodies = st.one_of(
    st.binary(max_size=200),
    st.fixed_dictionaries(
        {},
        optional={
            "bank": st.text(max_size=20),
            "skus": st.lists(st.text(max_size=8), max_size=3),
            "sites": st.lists(st.text(max_size=8), max_size=3),
            "from_ms": st.integers(-5, 2**54),
            "to_ms": st.integers(-5, 2**54),
            "grant": st.text(max_size=40),
            "bank_vkey": st.sampled_from([BANK_A.vkey, "x", ""]),
            "sku": st.text(max_size=10),
            "site": st.text(max_size=10),
            "quantity": st.integers(-5, 2**40),
            "signature": st.text(max_size=100),
        },
    ).map(lambda d: json.dumps(d).encode()),
)


@settings(max_examples=60, deadline=None)
@given(
    case=st.tuples(
        st.sampled_from(FUZZ_ROUTES),
        _values,
        _values,
        _bodies,
        st.sampled_from(["operator", "bank-a", "bank-b"]),
    )
)
def test_hostile_requests_get_problems_never_server_errors(
    served: Served, case: tuple[tuple[str, str], str, str, bytes, str]
) -> None:
    (method, template), a, b, body, who = case
    path = template.format(a=quote(a, safe=""), b=quote(b, safe=""))
    got = served.call(
        method,
        path,
        who,
        content=body if method == "POST" else None,
    )
    assert got.status_code < 500, (method, path, got.status_code, got.text)
    if got.status_code >= 400:
        assert got.headers["content-type"] == "application/problem+json", (method, path)
