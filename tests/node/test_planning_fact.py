"""Tier-N capacity facts: fab → module maker → phone maker, verified offline.

The fab logs a ``planning.capacity_fact`` entry in its real ledger store (SQLite),
a witness cosigns the checkpoint, the fab exports an evidence bundle with the
disclosure for its customer, the module maker forwards the bytes unchanged, and
the phone maker verifies with sockets disabled, pinning the fab's key and the
witness's key. Every single-byte change of the bundle is rejected.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zk
from ledger import CosignatureSigner, NoteSigner, add_cosignature, canonical_json, parse_json
from ledger.storage import LedgerStore, metadata
from node.db import create_engine
from node.finance import ForwardedFact, build_forwarded
from node.planning import (
    FACT_KIND,
    CapacityFact,
    FactError,
    PlanningError,
    PlanningFormatError,
    ProvenFact,
    Relation,
    VerifiedFact,
    Week,
    export_fact,
    prove_capacity_fact,
    record_fact,
    subject_of,
    verify_capacity_fact,
    verify_forwarded_fact,
)

FAB = "fab.example/node"
T0 = 1_790_000_000_000
WEEKS = [
    (Week("2026-W10"), 700, 1000),
    (Week("2026-W11"), 900, 1000),
    (Week("2026-W12"), 1000, 1000),
]


@dataclass
class Fab:
    store: LedgerStore
    signer: NoteSigner
    witness: CosignatureSigner
    proven: ProvenFact
    index: int
    bundle: bytes


@pytest.fixture(scope="module")
def fab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fab]:
    path: Path = tmp_path_factory.mktemp("fab") / "ledger.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    store = LedgerStore.create(engine, FAB)
    signer = NoteSigner(FAB, bytes([7]) * 32)
    witness = CosignatureSigner("witness.example", bytes([9]) * 32)
    store.append("inventory.snapshot", {"note": "an earlier entry"}, T0)
    rng = random.Random(2026)
    proven = prove_capacity_fact(
        origin=FAB, fact_id="cap-2026-W10", sku="WAFER-7NM", salt="aa" * 16, weeks=WEEKS, rng=rng
    )
    index = record_fact(store, proven, now_ms=T0 + 1000)
    store.append("inventory.snapshot", {"note": "a later entry"}, T0 + 2000)
    cp = store.sign_checkpoint([signer], T0 + 3000)
    cosigned = add_cosignature(cp.note, witness, (T0 + 4000) // 1000)
    store.add_cosignatures(cp.size, cosigned[len(cp.note) :].splitlines())
    bundle = export_fact(
        store,
        index,
        signers=[signer],
        vkeys=[signer.vkey],
        now_ms=T0 + 3000,
        disclosure=proven.disclosure(),
    )
    yield Fab(store, signer, witness, proven, index, bundle)
    engine.dispose()


class _NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise _NetworkUsed("verification must not open network connections")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _verify(data: bytes, fab: Fab, **kwargs: Any) -> tuple[VerifiedFact, ...]:
    return verify_forwarded_fact(
        data,
        vkeys=[fab.signer.vkey],
        witnesses=[fab.witness.vkey],
        quorum=1,
        **kwargs,
    )


def test_forwarded_fact_verifies_offline(fab: Fab, no_network: None) -> None:
    forwarded = bytes(fab.bundle)  # the module maker changes nothing
    (found,) = verify_forwarded_fact(
        forwarded,
        vkeys=[fab.signer.vkey],
        witnesses=[fab.witness.vkey],
        quorum=1,
        origin=FAB,
        sku="WAFER-7NM",
        expect_demand={"2026-W10": 1000, "2026-W11": 1000},
    )
    assert found.origin == FAB
    assert found.index == fab.index
    assert found.witnesses == 1
    assert found.sku == "WAFER-7NM"
    assert [(w.week, w.relation, w.demand) for w in found.weeks] == [
        ("2026-W10", Relation.BELOW, 1000),
        ("2026-W11", Relation.BELOW, 1000),
        ("2026-W12", Relation.AT_LEAST, 1000),
    ]


def test_no_plaintext_capacity_in_the_ledger_entry(fab: Fab) -> None:
    leaf = fab.store.entry(fab.index).leaf
    assert leaf is not None
    entry = json.loads(leaf)
    assert entry["kind"] == FACT_KIND
    text = json.dumps(entry["body"])
    assert "WAFER" not in text
    for number in ("700", "900"):
        assert f": {number}" not in text
        assert f"[{number}" not in text
    assert entry["body"]["subject"] == subject_of("WAFER-7NM", "aa" * 16)


def test_byte_changes_across_the_bundle_are_rejected(fab: Fab, no_network: None) -> None:
    """A flipped bit in every 3rd byte of the disclosure and every 16th elsewhere is refused.

    (Every byte was checked once, ~25 s; the stride keeps the suite fast while still
    touching every member: leaf, proof lines, checkpoint, signatures, keys.)
    """
    data = fab.bundle
    disclosure_end = data.index(b',"entries":')
    positions = [p for p in range(len(data)) if p % (3 if p < disclosure_end else 16) == 0]
    rejected = 0
    for position in positions:
        changed = bytearray(data)
        changed[position] ^= 0x01
        with pytest.raises(FactError):
            _verify(bytes(changed), fab)
        rejected += 1
    assert rejected == len(positions) > len(data) // 16


def test_wrong_key_wrong_quorum_wrong_expectations(fab: Fab) -> None:
    other = NoteSigner(FAB, bytes([8]) * 32)
    with pytest.raises(FactError, match="neither pinned"):
        verify_forwarded_fact(fab.bundle, vkeys=[other.vkey])
    lonely = CosignatureSigner("other-witness.example", bytes([10]) * 32)
    with pytest.raises(FactError):
        verify_forwarded_fact(
            fab.bundle, vkeys=[fab.signer.vkey], witnesses=[lonely.vkey], quorum=1
        )
    with pytest.raises(FactError, match="another demand"):
        _verify(fab.bundle, fab, expect_demand={"2026-W10": 999})
    with pytest.raises(FactError, match="no fact covers"):
        _verify(fab.bundle, fab, expect_demand={"2026-W13": 1000})
    with pytest.raises(FactError, match="sku"):
        _verify(fab.bundle, fab, sku="WAFER-5NM")


def _rebuild(fab: Fab, mutate: Callable[[dict[str, Any]], None]) -> bytes:
    doc = parse_json(fab.bundle)
    assert isinstance(doc, dict)
    mutate(doc)
    return canonical_json(doc)


def test_disclosure_tampering_is_rejected(fab: Fab) -> None:
    def other_sku(doc: dict[str, Any]) -> None:
        doc["capacity_fact"]["sku"] = "WAFER-5NM"

    def other_opening(doc: dict[str, Any]) -> None:
        fake = zk.commit(999, rng=random.Random(1))[1].to_bytes().hex()
        doc["capacity_fact"]["demand_openings"]["2026-W10"] = fake

    def extra_week(doc: dict[str, Any]) -> None:
        opening = doc["capacity_fact"]["demand_openings"]["2026-W10"]
        doc["capacity_fact"]["demand_openings"]["2026-W30"] = opening

    for mutate in (other_sku, other_opening, extra_week):
        with pytest.raises(FactError):
            _verify(_rebuild(fab, mutate), fab)

    def drop(doc: dict[str, Any]) -> None:
        del doc["capacity_fact"]

    (found,) = _verify(_rebuild(fab, drop), fab)
    assert found.sku is None
    assert all(w.demand is None for w in found.weeks)


def test_replayed_proof_under_another_statement_fails(fab: Fab) -> None:
    fact = fab.proven.fact
    verify_capacity_fact(fact, origin=FAB)
    with pytest.raises(FactError):
        verify_capacity_fact(fact, origin="module.example/node")
    first, second = fact.weeks[0], fact.weeks[1]
    swapped = CapacityFact(
        fact.fact_id,
        fact.subject,
        (
            first.__class__(first.week, first.relation, first.capacity, first.demand, second.proof),
            second,
            fact.weeks[2],
        ),
        fact.range_proof,
    )
    with pytest.raises(FactError):
        verify_capacity_fact(swapped, origin=FAB)
    flipped = CapacityFact(
        fact.fact_id,
        fact.subject,
        (
            *fact.weeks[:2],
            fact.weeks[2].__class__(
                fact.weeks[2].week,
                Relation.BELOW,
                fact.weeks[2].capacity,
                fact.weeks[2].demand,
                fact.weeks[2].proof,
            ),
        ),
        fact.range_proof,
    )
    with pytest.raises(FactError):
        verify_capacity_fact(flipped, origin=FAB)


def test_body_round_trip_and_bad_bodies(fab: Fab) -> None:
    body: dict[str, Any] = dict(fab.proven.fact.to_body())
    week0: dict[str, Any] = dict(body["weeks"][0])
    assert CapacityFact.from_body(body) == fab.proven.fact
    bad_bodies = [
        body | {"format": "x"},
        body | {"bits": 64},
        body | {"weeks": []},
        body | {"range_proof": "***"},
        body | {"weeks": [week0 | {"capacity": "zz"}]},
        body | {"weeks": [week0 | {"capacity": "02" + "00" * 32}]},
        body | {"weeks": [week0 | {"relation": "maybe"}]},
        body | {"weeks": [body["weeks"][0], body["weeks"][0]]},
        body | {"weeks": [week0 | {"proof": base64.b64encode(b"x").decode()}]},
    ]
    for bad in bad_bodies:
        with pytest.raises(PlanningFormatError):
            CapacityFact.from_body(bad)


def test_prover_refuses_bad_input() -> None:
    rng = random.Random(3)
    for weeks in (
        [],
        [(Week("2026-W10"), -1, 5)],
        [(Week("2026-W10"), 2**32, 5)],
        [(Week("2026-W10"), 1, 2)] * 2,
    ):
        with pytest.raises(PlanningError):
            prove_capacity_fact(origin=FAB, fact_id="f", sku="s", salt="x", weeks=weeks, rng=rng)


def test_forwarded_in_the_network_wrapper(fab: Fab, no_network: None) -> None:
    """The module maker wraps the fab's bundle with node.finance.build_forwarded."""
    subject = fab.proven.fact.subject
    wrapped = build_forwarded(
        fab.bundle,
        [ForwardedFact(fab.index, subject, Relation.BELOW.value)],
        via="module.example/node",
    )
    (found,) = _verify(wrapped, fab, sku="WAFER-7NM", expect_demand={"2026-W11": 1000})
    assert found.weeks[0].relation is Relation.BELOW
    for listed in (
        [ForwardedFact(fab.index + 1, subject, Relation.BELOW.value)],  # not a fact entry
        [ForwardedFact(fab.index, "00" * 32, Relation.BELOW.value)],  # other subject
        [ForwardedFact(fab.index, subject, "capacity_above_demand")],  # not proven
    ):
        with pytest.raises(FactError):
            _verify(build_forwarded(fab.bundle, listed), fab)
    rejected = 0
    via = wrapped.index(b',"via":')  # the intermediary's name is informational, unsigned
    for position in range(0, via, 13):
        changed = bytearray(wrapped)
        changed[position] ^= 0x01
        with pytest.raises(FactError):
            _verify(bytes(changed), fab)
        rejected += 1
    assert rejected > via // 14


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.lists(st.integers(0, 50), min_size=1, max_size=4), value=_JSON)
def test_fuzzed_bundles_raise_only_fact_error(fab: Fab, path: list[int], value: Any) -> None:
    """Replace one member somewhere in the bundle by arbitrary JSON: FactError or a result."""
    doc = parse_json(fab.bundle)
    node: Any = doc
    for step in path[:-1]:
        children = list(node) if isinstance(node, dict) else node
        if not isinstance(children, list) or not children:
            break
        key = children[step % len(children)]
        child = node[key] if isinstance(node, dict) else key
        if not isinstance(child, dict | list):
            break
        node = child
    if isinstance(node, dict) and node:
        node[sorted(node)[path[-1] % len(node)]] = value
    elif isinstance(node, list) and node:
        node[path[-1] % len(node)] = value
    with contextlib.suppress(FactError):
        verify_forwarded_fact(canonical_json(doc), vkeys=[fab.signer.vkey])


@settings(max_examples=120, deadline=None)
@given(
    body=st.dictionaries(
        st.sampled_from(["format", "bits", "fact_id", "subject", "weeks", "range_proof"]), _JSON
    )
)
def test_fuzzed_fact_bodies_raise_only_the_format_error(body: dict[str, Any]) -> None:
    with contextlib.suppress(PlanningFormatError):
        CapacityFact.from_body(body | {"format": "scnode-capacity-fact/v1", "bits": 32})
