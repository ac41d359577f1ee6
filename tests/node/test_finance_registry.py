"""The banks' collateral registry: a second bank catches a double pledge by asking the
first bank's node over signed peer requests, whatever the borrower's node says, and
learns nothing of the first bank's amount or period from the answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner, Result

from ledger import JSONValue, NoteSigner, canonical_json, parse_json
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.finance import (
    COLLATERAL_KIND,
    Collateral,
    CollateralAnswer,
    CollateralRecord,
    DoublePledgeError,
    FinanceFormatError,
    FinanceVerificationError,
    SignedPledge,
    check_collateral,
    collateral_key,
    held_pledges,
    verify_collateral_answer,
)
from node.keys import load_keys
from node.settings import load_settings
from tests.node.helpers import free_port
from tests.node.test_finance import BORROWER, DAY, HOUR, T0, World, make_world

NETWORK_KEY = bytes(range(32))
A, B = "bank-a.example", "bank-b.example"


def _run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args])


def _ok(home: Path, *args: str) -> str:
    got = _run(home, *args)
    assert got.exit_code == 0, got.output
    return got.output


# -- pure ------------------------------------------------------------------------------


def test_collateral_key_is_the_documented_keyed_hash() -> None:
    c = Collateral("CHIP-000", "FAB1", "L7")
    fields: dict[str, JSONValue] = {
        "borrower_vkey": "v",
        "lot": "L7",
        "site": "FAB1",
        "sku": "CHIP-000",
    }
    expected = hmac.new(
        NETWORK_KEY, b"scnode-finance-collateral/v1\x00" + canonical_json(fields), hashlib.sha256
    ).hexdigest()
    assert collateral_key(NETWORK_KEY, "v", c) == expected
    others = {
        collateral_key(bytes(32), "v", c),  # another network key
        collateral_key(NETWORK_KEY, "w", c),  # another borrower
        collateral_key(NETWORK_KEY, "v", replace(c, lot=None)),
        collateral_key(NETWORK_KEY, "v", replace(c, site="FAB2")),
        collateral_key(NETWORK_KEY, "v", replace(c, sku="CHIP-001")),
    }
    assert expected not in others
    assert len(others) == 5
    with pytest.raises(FinanceFormatError):
        collateral_key(b"short", "v", c)


def test_held_pledges_follow_the_latest_record() -> None:
    k, p, q = "a" * 64, "1" * 32, "2" * 32
    records = [
        (3, CollateralRecord(k, p, "pledged")),
        (5, CollateralRecord(k, q, "pledged")),
        (9, CollateralRecord(k, p, "released")),
    ]
    assert held_pledges(records) == {k: {q: 5}}
    assert held_pledges(records[:1]) == {k: {p: 3}}
    bads: list[JSONValue] = [
        {"format": "scnode-finance-collateral/v1", "key": "x", "pledge": p, "state": "pledged"},
        {"format": "scnode-finance-collateral/v1", "key": k, "pledge": p, "state": "maybe"},
        {"format": "other", "key": k, "pledge": p, "state": "pledged"},
        {"key": k, "pledge": p, "state": "pledged"},
        [],
    ]
    for bad in bads:
        with pytest.raises(FinanceFormatError):
            CollateralRecord.from_body(bad)


# -- three nodes: a borrower, two banks over real HTTP -----------------------------------


@dataclass
class Bank:
    home: Path
    name: str
    vkey: str
    url: str = ""


@dataclass
class Net:
    world: World
    a: Bank
    b: Bank
    root: Path


def _serve(home: Path, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    app = create_app(load_settings(home=home))
    app.state.governance_sweep_s = 0
    app.state.finance_cover_s = 0
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "server stopped while starting"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    return server, thread


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    root = tmp_path_factory.mktemp("registry")
    banks = []
    for name in (A, B):
        home = root / name
        vkey = _ok(home, "init", "--name", name).strip()
        _ok(home, "finance", "registry-key", "--set", NETWORK_KEY.hex())
        banks.append(Bank(home, name, vkey, f"http://127.0.0.1:{free_port()}"))
    a, b = banks
    # each bank knows the other as a peer in the bank role: it may ask, and is asked
    _ok(a.home, "peer", "add", b.url, "--vkey", b.vkey, "--role", "bank")
    _ok(b.home, "peer", "add", a.url, "--vkey", a.vkey, "--role", "bank")
    served = [_serve(bank.home, int(bank.url.rsplit(":", 1)[1])) for bank in banks]
    try:
        for world in make_world(root, f"sqlite:///{root / 'borrower.sqlite'}", BORROWER, 11):
            world.publish({"CHIP-000": 1000, "CHIP-001": 800, "CHIP-002": 500})
            yield Net(world, a, b, root)
    finally:
        for server, thread in served:
            server.should_exit = True
            thread.join(timeout=15)


def _signer(bank: Bank) -> NoteSigner:
    return load_keys(bank.home).active


def _grant(net: Net, bank: Bank) -> str:
    grant, _, _ = net.world.finance.grant(
        bank=bank.name, skus=["CHIP-000"], sites=["FAB1"], from_ms=T0 - DAY, to_ms=T0 + 90 * DAY
    )
    return grant.id


def _request_file(net: Net, signed: SignedPledge, name: str) -> Path:
    doc = signed.to_body()
    doc["collateral"] = {"sku": "CHIP-000", "site": "FAB1", "lot": None}
    path = net.root / name
    path.write_bytes(canonical_json(doc))
    return path


def _sign(net: Net, bank: Bank, request: Path) -> Result:
    return _run(
        bank.home, "finance", "pledge", "sign", str(request), "--out", str(request) + ".sig"
    )


def _ask(asker: Bank, answerer: Bank, key: str) -> httpx.Response:
    from node.app import make_engine
    from node.peers import PeerRegistry
    from node.witness import client_for

    engine = make_engine(load_settings(home=asker.home).database_url)
    try:
        with engine.connect() as conn:
            (peer,) = [p for p in PeerRegistry(conn).list() if p.url == answerer.url]
    finally:
        engine.dispose()
    with client_for(peer, _signer(asker)) as client:
        return client.get("/v1/finance/collateral", params={"key": [key]})


def test_double_pledge_is_caught_by_the_second_bank_whatever_the_borrower_says(
    net: Net,
) -> None:
    world, a, b = net.world, net.a, net.b
    fin = world.finance
    # Bank A lends first: it asks bank B (nothing there), registers, co-signs.
    first = fin.request_pledge(
        grant_id=_grant(net, a),
        bank_vkey=a.vkey,
        sku="CHIP-000",
        site="FAB1",
        quantity=600,
        from_ms=T0 - HOUR,
        to_ms=T0 + 60 * DAY,
    )
    signed_a = _sign(net, a, _request_file(net, first, "a.json"))
    assert signed_a.exit_code == 0, signed_a.output
    assert "asked 1 other bank registry" in signed_a.output
    assert "collateral registered in this bank's log" in signed_a.output
    line = (net.root / "a.json.sig").read_text()
    fin.complete_pledge(first.pledge.id, line)

    # The borrower now asks bank B for a loan on the same stock and LIES: its request
    # names no earlier pledge, and its own registry route would answer nothing.
    grant_b = _grant(net, b)
    honest = fin.request_pledge(
        grant_id=grant_b,
        bank_vkey=b.vkey,
        sku="CHIP-000",
        site="FAB1",
        quantity=300,
        from_ms=T0 - HOUR,
        to_ms=T0 + 30 * DAY,
    )
    assert [pid for pid, _ in honest.pledge.prior] == [first.pledge.id]
    lying_pledge = replace(honest.pledge, prior=())
    lying = SignedPledge(lying_pledge, (lying_pledge.sign(world.signer).rstrip("\n"),))
    assert fin.registry(list(lying_pledge.registry))  # the log still shows it...
    refused = _sign(net, b, _request_file(net, lying, "b-lie.json"))
    assert refused.exit_code == 1
    assert f"{a.name} holds this collateral under pledge {first.pledge.id}" in refused.output
    assert "hides an earlier pledge" in refused.output
    assert "Traceback" not in refused.output
    assert not (net.root / "b-lie.json.sig").exists()

    # The honest request names bank A's pledge: bank B sees it and may lend junior.
    accepted = _sign(net, b, _request_file(net, honest, "b.json"))
    assert accepted.exit_code == 0, accepted.output
    assert f"{a.name} holds pledge {first.pledge.id} (named in the request)" in accepted.output

    # Bank A's loan ends: it releases; the collateral is free for a new lender.
    released = _ok(a.home, "finance", "release", first.pledge.id)
    assert "released" in released
    again = _sign(net, b, _request_file(net, lying, "b-lie2.json"))
    assert again.exit_code == 0, again.output


def test_the_answer_reveals_no_amount_or_period_and_is_bound_to_the_bank(net: Net) -> None:
    world, a, b = net.world, net.a, net.b
    grant, _, _ = world.finance.grant(
        bank=a.name, skus=["CHIP-002"], sites=["FAB1"], from_ms=T0 - DAY, to_ms=T0 + 9 * DAY
    )
    request = world.finance.request_pledge(
        grant_id=grant.id,
        bank_vkey=a.vkey,
        sku="CHIP-002",
        site="FAB1",
        quantity=321,
        from_ms=T0 - 3 * HOUR,
        to_ms=T0 + 8 * DAY,
    )
    doc_in = request.to_body()
    doc_in["collateral"] = {"sku": "CHIP-002", "site": "FAB1", "lot": None}
    path = net.root / "c2.json"
    path.write_bytes(canonical_json(doc_in))
    assert _sign(net, a, path).exit_code == 0
    key = collateral_key(NETWORK_KEY, world.signer.vkey, Collateral("CHIP-002", "FAB1"))
    got = _ask(b, a, key)
    assert got.status_code == 200, got.text
    answer = verify_collateral_answer(got.content, vkey=a.vkey, keys=[key])
    assert answer.bank == a.name
    assert answer.held() == {key: {request.pledge.id: answer.records[0][0]}}
    # Every record is {format, key, pledge, state}: nothing else exists to leak.
    doc = parse_json(got.content)
    assert isinstance(doc, dict)
    assert set(doc) == {"format", "bank", "keys", "size", "records", "evidence", "signature"}
    for _, rec in answer.records:
        assert set(rec.to_body()) == {"format", "key", "pledge", "state"}
    p = request.pledge
    for secret in (str(p.from_ms), str(p.to_ms), p.commitment.hex(), p.grant, p.subject):
        assert secret.encode() not in got.content
    with pytest.raises(FinanceVerificationError):  # another bank's key does not verify it
        verify_collateral_answer(got.content, vkey=b.vkey, keys=[key])
    with pytest.raises(FinanceVerificationError):  # an answer to other keys
        verify_collateral_answer(got.content, vkey=a.vkey, keys=["f" * 64])
    # A bank cannot pass off a release it never logged: the leaf no longer verifies.
    evidence = doc["evidence"]
    assert isinstance(evidence, dict)
    entries = evidence["entries"]
    assert isinstance(entries, list)
    first = entries[0]
    assert isinstance(first, dict)
    leaf = base64.b64decode(str(first["leaf"]))
    assert b'"pledged"' in leaf
    first["leaf"] = base64.b64encode(leaf.replace(b'"pledged"', b'"released"')).decode()
    with pytest.raises(FinanceVerificationError, match="does not verify"):
        verify_collateral_answer(canonical_json(doc), vkey=a.vkey, keys=[key])
    # Stripping the evidence (or any record) breaks the bank's signature over the answer.
    stripped = dict(doc)
    stripped["evidence"], stripped["records"] = None, []
    with pytest.raises(FinanceVerificationError, match="not signed"):
        verify_collateral_answer(canonical_json(stripped), vkey=a.vkey, keys=[key])
    # Any one changed byte: malformed, or does not verify; never a different answer.
    rng = random.Random(5)
    for at in [*rng.sample(range(len(got.content)), 40), *range(20, 40)]:
        changed = bytearray(got.content)
        changed[at] ^= 0x01
        try:
            other = verify_collateral_answer(bytes(changed), vkey=a.vkey, keys=[key])
        except (FinanceVerificationError, FinanceFormatError):
            continue
        assert other == answer, f"byte {at} changed the answer"
    # Unsigned or unknown callers get nothing.
    plain = httpx.get(a.url + "/v1/finance/collateral", params={"key": key}, timeout=30)
    assert plain.status_code == 401


def _admin(bank: Bank) -> str:
    engine = make_engine(load_settings(home=bank.home).database_url)
    try:
        with engine.begin() as conn:
            return create_token(conn, role=Role.ADMIN, name="admin").token
    finally:
        engine.dispose()


def _review(bank: Bank, signed: SignedPledge) -> httpx.Response:
    return httpx.post(
        bank.url + "/v1/finance/collateral/review",
        json={
            "request": signed.to_body(),
            "collateral": {"sku": "CHIP-001", "site": "FAB1", "lot": None},
        },
        headers={"Authorization": f"Bearer {_admin(bank)}"},
        timeout=60,
    )


def test_a_served_bank_vets_requests_over_its_api(net: Net) -> None:
    world, a, b = net.world, net.a, net.b
    fin = world.finance

    def request(bank: Bank, quantity: int) -> SignedPledge:
        grant, _, _ = fin.grant(
            bank=bank.name, skus=["CHIP-001"], sites=["FAB1"], from_ms=T0 - DAY, to_ms=T0 + DAY
        )
        return fin.request_pledge(
            grant_id=grant.id,
            bank_vkey=bank.vkey,
            sku="CHIP-001",
            site="FAB1",
            quantity=quantity,
            from_ms=T0 - HOUR,
            to_ms=T0 + DAY,
        )

    first = request(a, 300)
    vetted = _review(a, first)
    assert vetted.status_code == 201, vetted.text
    assert vetted.json()["asked"] == 1
    fin.complete_pledge(first.pledge.id, vetted.json()["signature"])

    honest = request(b, 200)
    lying_pledge = replace(honest.pledge, prior=())
    lying = SignedPledge(lying_pledge, (lying_pledge.sign(world.signer).rstrip("\n"),))
    refused = _review(b, lying)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("double-pledge")
    assert first.pledge.id in refused.json()["detail"]
    accepted = _review(b, honest)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["others"] == [{"bank": a.name, "pledge": first.pledge.id}]
    fin.complete_pledge(honest.pledge.id, accepted.json()["signature"])
    # A request for another bank's key is refused, not signed.
    wrong = _review(a, honest)
    assert wrong.status_code == 422, wrong.text


def test_a_hidden_pledge_is_refused_by_the_pure_check() -> None:
    import random

    from tests.node.test_finance_pure import _pledge  # a pledge body with a range proof

    pledge, _ = _pledge(random.Random(3))
    key = "c" * 64
    holder = CollateralAnswer(A, (key,), ((4, CollateralRecord(key, "9" * 32, "pledged")),))
    with pytest.raises(DoublePledgeError, match="hides an earlier pledge"):
        check_collateral(pledge, key, [holder])
    named = replace(pledge, prior=(("9" * 32, 7),))
    assert check_collateral(named, key, [holder]) == [(A, "9" * 32)]
    released = CollateralAnswer(
        A,
        (key,),
        (
            (4, CollateralRecord(key, "9" * 32, "pledged")),
            (6, CollateralRecord(key, "9" * 32, "released")),
        ),
    )
    assert check_collateral(pledge, key, [released]) == []
    # Its own registration does not count against a pledge.
    mine = CollateralAnswer(A, (key,), ((4, CollateralRecord(key, pledge.id, "pledged")),))
    assert check_collateral(pledge, key, [mine]) == []
    assert COLLATERAL_KIND == "finance.collateral"


def test_a_bank_that_cannot_be_asked_stops_the_signing(net: Net) -> None:
    home = net.root / "bank-c"
    vkey = _ok(home, "init", "--name", "bank-c.example").strip()
    c = Bank(home, "bank-c.example", vkey, "")
    dead = f"http://127.0.0.1:{free_port()}"
    _ok(home, "peer", "add", dead, "--vkey", net.a.vkey, "--role", "bank")
    fin = net.world.finance
    grant, _, _ = fin.grant(
        bank=c.name, skus=["CHIP-000"], sites=["FAB1"], from_ms=T0 - DAY, to_ms=T0 + DAY
    )
    request = fin.request_pledge(
        grant_id=grant.id,
        bank_vkey=c.vkey,
        sku="CHIP-000",
        site="FAB1",
        quantity=10,
        from_ms=T0 - HOUR,
        to_ms=T0 + DAY,
    )
    path = _request_file(net, request, "c.json")
    missing = _sign(net, c, path)  # no registry key yet
    assert missing.exit_code == 1
    assert "no network registry key" in missing.output
    _ok(home, "finance", "registry-key", "--set", NETWORK_KEY.hex())
    got = _sign(net, c, path)
    assert got.exit_code == 1
    assert f"cannot ask bank {net.a.name} at {dead}" in got.output
    assert "Traceback" not in got.output
    assert not Path(str(path) + ".sig").exists()
