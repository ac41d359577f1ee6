"""Financing end to end on a real database and ledger: grants, co-signed pledges,
the double-pledge attempt, coverage proofs, the offline bundle and its tamperings,
tier-N forwarded facts, the CLI."""

from __future__ import annotations

import base64
import json
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import zk
from ledger import (
    CosignatureSigner,
    Entry,
    NoteSigner,
    SignedNote,
    build_bundle,
    canonical_json,
    parse_json,
)
from ledger.storage import LedgerStore
from node.app import make_engine
from node.db import upgrade
from node.finance import (
    COVERAGE_KIND,
    PLEDGE_KIND,
    Finance,
    FinanceFormatError,
    FinanceVerificationError,
    FinancingVerificationError,
    ForwardedFact,
    PledgeRef,
    PledgeRefusedError,
    SignedPledge,
    build_forwarded,
    finance_pledges,
    period_keys,
    prove_coverage_at,
    render_report,
    verify_financing,
    verify_forwarded,
)
from node.inventory import AT_LEAST, BELOW, Publisher, open_publisher
from tests.node.schema_drift import schema_drift

BORROWER = "borrower.example/module-maker"
SUPPLIER = "supplier.example/wafer-fab"
T0 = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1000)
HOUR = 3_600_000
DAY = 24 * HOUR


def bank_key(name: str) -> NoteSigner:
    return NoteSigner(name, bytes([len(name) + 40]) * 32)


WITNESS = CosignatureSigner("witness.example", bytes([77]) * 32)
BANK_A = bank_key("bank-a.example")
BANK_B = bank_key("bank-bb.example")


@dataclass
class Clock:
    now: int

    def __call__(self) -> int:
        return self.now


@dataclass
class World:
    origin: str
    signer: NoteSigner
    store: LedgerStore
    publisher: Publisher
    finance: Finance
    clock: Clock

    def publish(self, available: dict[str, int], *, safety: int = 100) -> int:
        """One snapshot of SKUs at FAB1 as of a minute ago; returns its entry index."""
        as_of = datetime.fromtimestamp((self.clock.now - 60_000) / 1000, tz=UTC).isoformat()
        doc = {
            "positions": [
                {
                    "sku": sku,
                    "location": "FAB1",
                    "as_of": as_of,
                    "quantities": {"available": qty, "in_transit": 0, "in_inspection": 0},
                    "safety_stock": safety,
                }
                for sku, qty in available.items()
            ]
        }
        done = self.publisher.publish(
            json.dumps(doc).encode(), "application/json", None, published_by="test"
        )
        return done.seq

    def cosign(self) -> None:
        """The witness cosigns the newest checkpoint (a second after the clock)."""
        cp = self.store.sign_checkpoint([self.signer], self.clock.now)
        body = SignedNote.parse(cp.note).text
        line = WITNESS.cosign_line(body, self.clock.now // 1000 + 1).rstrip("\n")
        self.store.add_cosignatures(cp.size, [line])

    def pledge(self, grant: str, bank: NoteSigner, quantity: int, days: int = 10) -> SignedPledge:
        request = self.finance.request_pledge(
            grant_id=grant,
            bank_vkey=bank.vkey,
            sku="CHIP-000",
            site="FAB1",
            quantity=quantity,
            from_ms=T0 - HOUR,
            to_ms=T0 + days * DAY,
        )
        signature = request.pledge.sign(bank)  # on the bank's own node
        signed, _ = self.finance.complete_pledge(request.pledge.id, signature)
        return signed


def make_world(tmp_path: Path, database_url: str, origin: str, seed: int) -> Iterator[World]:
    upgrade(database_url)
    engine = make_engine(database_url)
    signer = NoteSigner(origin, bytes([seed]) * 32)
    store = LedgerStore.create(engine, origin)
    clock = Clock(T0)
    rng = random.Random(seed)
    home = tmp_path / f"home{seed}"
    home.mkdir()
    publisher = open_publisher(engine=engine, store=store, signers=lambda _t: [signer], home=home)
    publisher.clock = clock
    publisher.rng = rng
    finance = Finance(engine, store, lambda _t: [signer], clock, rng)
    try:
        yield World(origin, signer, store, publisher, finance, clock)
    finally:
        engine.dispose()


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    yield from make_world(tmp_path, database_url, BORROWER, 5)


def _stock_over_a_day(world: World) -> list[int]:
    """Three snapshots, twelve hours apart: 1000, 900, 1200 available."""
    seqs = []
    for step, qty in enumerate((1000, 900, 1200)):
        world.clock.now = T0 + step * 12 * HOUR
        seqs.append(world.publish({"CHIP-000": qty, "CHIP-001": 50}))
    world.clock.now = T0 + 36 * HOUR
    return seqs


def _grants(world: World) -> tuple[str, str]:
    a, record_a, _ = world.finance.grant(
        bank=BANK_A.name, skus=["CHIP-000"], sites=["FAB1"], from_ms=T0 - DAY, to_ms=T0 + 30 * DAY
    )
    b, _, _ = world.finance.grant(
        bank=BANK_B.name, skus=["CHIP-000"], sites=["FAB1"], from_ms=T0 - DAY, to_ms=T0 + 30 * DAY
    )
    assert len(record_a.subjects) == 1  # CHIP-000 at FAB1 only, as a salted hash
    return a.id, b.id


def _export(world: World, bank: str = BANK_A.name) -> bytes:
    world.cosign()
    return world.finance.export(
        bank=bank, from_ms=T0 - DAY, to_ms=T0 + 2 * DAY, vkeys=[world.signer.vkey]
    )


def _verify(world: World, data: bytes, **kw: Any) -> Any:
    return verify_financing(
        data,
        vkeys=[world.signer.vkey],
        witnesses=[WITNESS.vkey],
        quorum=1,
        bank_vkeys=[BANK_A.vkey],
        max_gap_ms=kw.pop("max_gap_ms", 2 * DAY),
        **kw,
    )


# -- the double-pledge attempt -------------------------------------------------------


def test_second_bank_sees_the_pledge_and_an_overpledge_is_refused(world: World) -> None:
    _stock_over_a_day(world)
    grant_a, grant_b = _grants(world)
    first = world.pledge(grant_a, BANK_A, 600)

    # Bank B, asked to lend against the same stock, queries the registry: a pledge
    # exists (id, period, commitment) and nothing says how much or on what terms.
    keys = period_keys(BORROWER, "CHIP-000", "FAB1", T0 - HOUR, T0 + 10 * DAY)
    hits = world.finance.registry(keys)
    assert {h.pledge for h in hits} == {first.pledge.id}
    assert all(
        set(h.to_json()) == {"key", "pledge", "seq", "from_ms", "to_ms", "commitment"} for h in hits
    )
    assert world.finance.registry(period_keys(BORROWER, "CHIP-001", "FAB1", T0, T0)) == []

    # 600 + 400 > 900 at the second snapshot: refused, nothing logged.
    size = world.store.size()
    with pytest.raises(PledgeRefusedError, match="cannot cover"):
        world.pledge(grant_b, BANK_B, 400)
    assert world.store.size() == size
    with world.finance.engine.connect() as conn:
        states = sorted(r[0] for r in conn.execute(select(finance_pledges.c.state)))
    assert states == ["active", "refused"]

    # ...and the zero-knowledge side refuses to prove it too.
    [snap] = [
        s
        for s in world.finance.snapshots(first.pledge.subject, T0 - DAY, T0 + DAY)
        if s.available.value == 900
    ]
    opening = zk.commit(400, rng=random.Random(1))[1]
    mine = zk.commit(600, rng=random.Random(2))[1]

    got = prove_coverage_at(
        origin=BORROWER,
        snapshot=snap.snapshot,
        snapshot_seq=snap.seq,
        subject=snap.subject,
        as_of_ms=snap.as_of_ms,
        available=snap.available,
        pledges=[(PledgeRef("a" * 32, 1), mine), (PledgeRef("b" * 32, 2), opening)],
        rng=random.Random(3),
    )
    assert got is None
    with pytest.raises(zk.StatementError):
        zk.prove_coverage(
            snap.available, [mine, opening], bits=64, context=b"", rng=random.Random(4)
        )

    # A pledge the stock can carry next to the first one is accepted; every
    # snapshot is re-proven over BOTH pledges.
    stale = world.finance.request_pledge(
        grant_id=grant_b,
        bank_vkey=BANK_B.vkey,
        sku="CHIP-000",
        site="FAB1",
        quantity=10,
        from_ms=T0,
        to_ms=T0 + DAY,
    )
    first_seq = world.finance.pledge(first.pledge.id)[2]
    assert first_seq is not None
    assert stale.pledge.prior == ((first.pledge.id, first_seq),)  # what bank B signs
    second = world.pledge(grant_b, BANK_B, 250)
    assert second.pledge.prior == ((first.pledge.id, first_seq),)
    # A request made before the second pledge names a stale list: refused.
    with pytest.raises(PledgeRefusedError, match="changed since the request"):
        world.finance.complete_pledge(stale.pledge.id, stale.pledge.sign(BANK_B))
    latest: dict[int, Any] = {}
    for stored in world.store.entries_of_kind(COVERAGE_KIND):
        body: Any = Entry.from_leaf(stored.leaf or b"").body
        latest[body["snapshot_seq"]] = body
    assert len(latest) == 3
    for body in latest.values():
        assert {p["id"] for p in body["pledges"]} == {first.pledge.id, second.pledge.id}
    # 1000, 900, 1200 against 850 pledged: at least 110 %, 100 %, 125 %.
    assert sorted(b["ratio_bp"] for b in latest.values()) == [10_000, 11_000, 12_500]


def test_colluding_borrower_who_logs_an_uncovered_pledge_fails_verification(
    world: World,
) -> None:
    _stock_over_a_day(world)
    grant_a, grant_b = _grants(world)
    world.pledge(grant_a, BANK_A, 600)
    # The borrower bypasses its own refusal and logs bank B's 400 anyway.
    request = world.finance.request_pledge(
        grant_id=grant_b,
        bank_vkey=BANK_B.vkey,
        sku="CHIP-000",
        site="FAB1",
        quantity=400,
        from_ms=T0 - HOUR,
        to_ms=T0 + 10 * DAY,
    )
    forced = SignedPledge(request.pledge, (*request.signatures, request.pledge.sign(BANK_B)))
    world.store.append(PLEDGE_KIND, forced.to_body(), world.clock.now)
    # Bank A's bundle now holds a pledge its coverage proofs leave out.
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(world, _export(world))
    problems = [p for s in caught.value.report.snapshots for p in s.problems]
    assert any(f"leaves out pledge {forced.pledge.id}" in p for p in problems)
    assert "FAILED" in render_report(caught.value.report)


# -- the financing bundle, offline -------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, bytes]]:
    """One borrower with two banks' pledges and its bundle for bank A (built once)."""
    folder = tmp_path_factory.mktemp("finance")
    for world in make_world(folder, f"sqlite:///{folder / 'node.sqlite'}", BORROWER, 6):
        _stock_over_a_day(world)
        grant_a, grant_b = _grants(world)
        world.pledge(grant_a, BANK_A, 600)
        world.pledge(grant_b, BANK_B, 250)
        yield world, _export(world)


@pytest.fixture
def exported(built: tuple[World, bytes]) -> bytes:
    return built[1]


@pytest.fixture
def bworld(built: tuple[World, bytes]) -> World:
    return built[0]


def test_financing_bundle_verifies_offline_with_sockets_disabled(
    bworld: World, exported: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*_a: object, **_k: object) -> None:
        raise AssertionError("network access during offline verification")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    report = _verify(bworld, exported)
    assert report.ok
    assert report.lowest_ratio_bp == 10_000
    assert [s.ratio_bp for s in report.snapshots if s.subject == report.snapshots[0].subject] == [
        11_000,
        10_000,
        12_500,
    ]
    assert report.witnesses == ("witness.example",)
    assert {p.bank for p in report.pledges} == {BANK_A.name, BANK_B.name}
    assert report.gaps == ()
    text = render_report(report)
    assert "Lowest proven coverage: 100 %" in text
    assert "OK: the financing evidence verifies" in text
    # No plaintext quantity anywhere in the bundle.
    for number in (b"600", b"250", b"1200"):
        assert b'":' + number not in exported


def test_a_bundle_that_hides_an_earlier_pledge_from_the_later_bank_fails(bworld: World) -> None:
    fin = bworld.finance
    header = fin.select_entries(BANK_B.name, T0 - DAY, T0 + 2 * DAY)
    honest = fin.export_entries(header, vkeys=[bworld.signer.vkey])
    report = verify_financing(
        honest, vkeys=[bworld.signer.vkey], bank_vkeys=[BANK_B.vkey], max_gap_ms=2 * DAY
    )
    assert report.lowest_ratio_bp == 10_000
    # The borrower drops bank A's pledge (and signs the shortened header itself).
    pledges = header.roles["pledges"]
    first = min(pledges)
    kept = {**header.roles, "pledges": tuple(p for p in pledges if p != first)}
    hidden = fin.export_entries(replace(header, roles=kept), vkeys=[bworld.signer.vkey])
    with pytest.raises(FinancingVerificationError) as caught:
        verify_financing(
            hidden, vkeys=[bworld.signer.vkey], bank_vkeys=[BANK_B.vkey], max_gap_ms=2 * DAY
        )
    assert any("signed knowing of pledge" in p for p in caught.value.report.problems)


def test_gaps_and_quorum_and_wrong_keys_fail(bworld: World, exported: bytes) -> None:
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(bworld, exported, max_gap_ms=6 * HOUR)
    # Snapshots twelve hours apart, then twelve hours to the newest entry of the
    # evidence (the pledge runs on for days: that future is no gap).
    gaps = caught.value.report.gaps
    assert len(gaps) == 3
    assert gaps[-1] == (T0 + 24 * HOUR - 60_000, T0 + 36 * HOUR)
    other = NoteSigner(BORROWER, bytes([9]) * 32)
    with pytest.raises(FinancingVerificationError):
        verify_financing(exported, vkeys=[other.vkey], max_gap_ms=30 * DAY)
    with pytest.raises(FinancingVerificationError) as pinned:
        verify_financing(
            exported,
            vkeys=[bworld.signer.vkey],
            bank_vkeys=[
                bank_key("bank-a.example").vkey,
                NoteSigner("bank-a.example", bytes(32)).vkey,
            ][1:],
            max_gap_ms=30 * DAY,
        )
    assert any("pinned key" in p for p in pinned.value.report.problems)


def _members(data: bytes) -> dict[str, Any]:
    doc = parse_json(data)
    assert isinstance(doc, dict)
    return doc


def _with_leaf(data: bytes, kind: str, change: Any) -> bytes:
    """The bundle with one entry's leaf bytes changed by ``change(leaf) -> leaf``."""
    doc = _members(data)
    for item in doc["entries"]:
        leaf = base64.b64decode(item["leaf"])
        if Entry.from_leaf(leaf).kind == kind:
            item["leaf"] = base64.b64encode(change(leaf)).decode()
            return canonical_json(doc)
    raise AssertionError(f"no {kind} entry")


def _flip_in(leaf: bytes, marker: bytes, offset: int = 10) -> bytes:
    """Change one base64 character of the value after ``marker`` inside the leaf."""
    at = leaf.index(marker) + len(marker) + offset
    swapped = b"A" if leaf[at : at + 1] != b"A" else b"B"
    return leaf[:at] + swapped + leaf[at + 1 :]


@pytest.mark.parametrize(
    ("kind", "marker"),
    [
        pytest.param("inventory.snapshot", b'"available":"', id="leaf-commitment"),
        pytest.param(PLEDGE_KIND, b"\xe2\x80\x94 bank-a.example ", id="pledge-signature"),
        pytest.param(COVERAGE_KIND, b'"proof":"', id="zk-proof"),
        pytest.param(PLEDGE_KIND, b'"range_proof":"', id="pledge-range-proof"),
    ],
)
def test_one_changed_byte_in_an_entry_is_rejected(
    bworld: World, exported: bytes, kind: str, marker: bytes
) -> None:
    def change(leaf: bytes) -> bytes:
        return _flip_in(leaf, marker)

    if b"bank-a" in marker:
        # pick the pledge to bank A
        doc = _members(exported)
        for item in doc["entries"]:
            leaf = base64.b64decode(item["leaf"])
            if marker in leaf:
                item["leaf"] = base64.b64encode(_flip_in(leaf, marker)).decode()
        tampered = canonical_json(doc)
    else:
        tampered = _with_leaf(exported, kind, change)
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(bworld, tampered)
    assert not caught.value.report.ok


def test_one_changed_byte_in_an_inclusion_proof_is_rejected(bworld: World, exported: bytes) -> None:
    doc = _members(exported)
    proof = doc["entries"][0]["proof"]
    lines = proof.split("\n")
    hashed = base64.b64decode(lines[2])
    lines[2] = base64.b64encode(bytes([hashed[0] ^ 1]) + hashed[1:]).decode()
    doc["entries"][0]["proof"] = "\n".join(lines)
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(bworld, canonical_json(doc))
    assert any("not proven" in p for p in caught.value.report.problems)


def test_any_raw_byte_change_is_rejected(bworld: World, exported: bytes) -> None:
    rng = random.Random(7)
    for at in [*rng.sample(range(len(exported)), 7), len(exported) // 2]:
        changed = bytearray(exported)
        changed[at] = changed[at] ^ 0x01
        with pytest.raises((FinanceFormatError, FinanceVerificationError)):
            _verify(bworld, bytes(changed))


def test_a_borrower_who_logs_a_bad_coverage_proof_is_caught(world: World) -> None:
    _stock_over_a_day(world)
    grant_a, _ = _grants(world)
    world.pledge(grant_a, BANK_A, 600)
    # Re-log the last coverage entry with a proof made for another ratio.
    last = world.store.entries_of_kind(COVERAGE_KIND)[-1]
    body = dict(Entry.from_leaf(last.leaf or b"").body)
    body["ratio_bp"] = 20_000 if body["ratio_bp"] != 20_000 else 15_000
    world.store.append(COVERAGE_KIND, body, world.clock.now)
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(world, _export(world))
    assert any("does not verify" in p for s in caught.value.report.snapshots for p in s.problems)


# -- tier-N ----------------------------------------------------------------------


def test_forwarded_supplier_fact_verifies_against_the_supplier_log(
    tmp_path: Path, database_url: str
) -> None:
    supplier = next(make_world(tmp_path, database_url, SUPPLIER, 21))
    seq = supplier.publish({"WAFER-8": 5000, "WAFER-12": 20}, safety=100)
    supplier.cosign()
    cp = supplier.store.checkpoint()
    assert cp is not None
    leaf = supplier.store.entry(seq).leaf or b""
    evidence = build_bundle(
        origin=SUPPLIER,
        vkeys=[supplier.signer.vkey],
        entries=[(seq, leaf, supplier.store.inclusion_proof(seq, cp.size))],
        size=cp.size,
        checkpoint_note=cp.text,
    )
    positions: Any = Entry.from_leaf(leaf).body["positions"]
    by_fact = {p["facts"][0]["fact"]: p["subject"] for p in positions}
    forwarded = build_forwarded(
        evidence,
        [
            ForwardedFact(seq, by_fact[AT_LEAST], AT_LEAST),
            ForwardedFact(seq, by_fact[BELOW], BELOW),
        ],
        via=BORROWER,
    )
    report = verify_forwarded(
        forwarded, vkeys=[supplier.signer.vkey], witnesses=[WITNESS.vkey], quorum=1
    )
    assert report.origin == SUPPLIER
    assert report.via == BORROWER
    assert [(f.fact, f.proven) for f in report.facts] == [(AT_LEAST, True), (BELOW, False)]
    assert report.witnesses == ("witness.example",)
    assert b"5000" not in forwarded

    # The intermediary cannot relabel: the "at least" fact claimed for the low item.
    relabelled = build_forwarded(evidence, [ForwardedFact(seq, by_fact[BELOW], AT_LEAST)])
    with pytest.raises(FinanceVerificationError, match="stated no"):
        verify_forwarded(relabelled, vkeys=[supplier.signer.vkey])
    # ...nor change a byte of the supplier's evidence.
    doc = _members(forwarded)
    leaf_b = bytearray(base64.b64decode(doc["evidence"]["entries"][0]["leaf"]))
    leaf_b[40] ^= 1
    doc["evidence"]["entries"][0]["leaf"] = base64.b64encode(bytes(leaf_b)).decode()
    with pytest.raises((FinanceVerificationError, FinanceFormatError)):
        verify_forwarded(canonical_json(doc), vkeys=[supplier.signer.vkey])
    # ...and a different log key (another supplier) does not vouch for it.
    with pytest.raises(FinanceVerificationError):
        verify_forwarded(forwarded, vkeys=[NoteSigner(SUPPLIER, bytes([3]) * 32).vkey])
    # ...and the witness quorum is the receiver's choice.
    with pytest.raises(FinanceFormatError):
        verify_forwarded(
            forwarded, vkeys=[supplier.signer.vkey], quorum=2, witnesses=[WITNESS.vkey]
        )


def test_migration_creates_the_finance_tables(database_url: str) -> None:
    from node.finance._tables import metadata

    ours, drift = schema_drift(database_url, metadata)
    assert drift == []
    assert ours == {"finance_grants", "finance_pledges"}


@pytest.mark.parametrize(
    ("member", "value", "needle"),
    [
        pytest.param("bank", BANK_B.name, "signature", id="other-bank"),
        pytest.param("period", {"from_ms": T0, "to_ms": T0 + DAY}, "signature", id="period"),
        pytest.param("coverage", [], "coverage list", id="role-list"),
    ],
)
def test_a_changed_financing_member_is_rejected(
    bworld: World, exported: bytes, member: str, value: Any, needle: str
) -> None:
    doc = _members(exported)
    doc["financing"][member] = value
    with pytest.raises(FinancingVerificationError) as caught:
        _verify(bworld, canonical_json(doc))
    assert any(needle in p for p in caught.value.report.problems), caught.value.report.problems
    del doc["financing"]["signature"]
    with pytest.raises(FinanceFormatError, match="no signature"):
        _verify(bworld, canonical_json(doc))
