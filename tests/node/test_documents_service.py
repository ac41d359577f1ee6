"""The documents service on a real database (SQLite, and PostgreSQL when configured):
transitions of one chain are serialised across processes, and a crash between
storing a document and recording it on the ledger is repaired exactly once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, update

from governance import default_rule_set
from ledger import Entry, NoteSigner
from ledger.storage import LedgerStore
from node.app import make_engine, upgrade_database
from node.auth.roles import Role
from node.documents import (
    DOCUMENT_RECEIVED,
    DOCUMENT_SENT,
    DocumentService,
    TransitionError,
    delivery_gauges,
    parse_document,
    sign_document,
)
from node.documents._tables import documents
from node.peers.registry import Peer, PeerRegistry
from tests.node.documents_support import ack, desadv, po, recadv

BUYER, SUPPLIER = "buyer.example/node", "supplier.example/node"
T0 = 1_772_352_000_000


def _signer(name: str) -> NoteSigner:
    return NoteSigner(name, name.encode()[:32].ljust(32, b"."))


class _FailingStore:
    """A ledger that fails its next append (a crash between commit and append)."""

    def __init__(self, store: LedgerStore) -> None:
        self.store, self.fail = store, False

    def __call__(self) -> Any:
        if self.fail:
            self.fail = False
            raise RuntimeError("simulated crash")
        return self.store


@pytest.fixture
def buyer(database_url: str) -> tuple[Engine, LedgerStore, Peer]:
    upgrade_database(database_url)
    engine = make_engine(database_url)
    store = LedgerStore.create(engine, BUYER)
    with engine.begin() as conn:
        peer = PeerRegistry(conn).add(
            url="http://127.0.0.1:9", vkey=_signer(SUPPLIER).vkey, role=Role.PARTNER
        )
    return engine, store, peer


def _service(engine: Engine, store: Any) -> DocumentService:
    return DocumentService(engine, lambda: _signer(BUYER), store, default_rule_set())


def _from_supplier(body: dict[str, Any]) -> dict[str, Any]:
    document = parse_document({"buyer": BUYER, "supplier": SUPPLIER, **body})
    return sign_document(document, _signer(SUPPLIER)).to_json()


def test_concurrent_despatches_cannot_overship(buyer: tuple[Engine, LedgerStore, Peer]) -> None:
    engine, store, peer = buyer
    first = _service(engine, lambda: store)
    order = first.create(po("PO-9", [(1, "SKU-A", 10)]), peer, 1)
    acked, _ = first.receive(
        peer, _from_supplier(dict(ack("PO-9"), po_version=1, po_hash=order.hash)), 2
    )
    # a second "worker": its own engine and service, same database
    other_engine = make_engine(str(engine.url.render_as_string(hide_password=False)))
    second = _service(other_engine, lambda: store)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def deliver(service: DocumentService, number: str) -> None:
        wire = _from_supplier(
            dict(desadv("PO-9", number, [(1, "SKU-A", 6)]), po_version=1, ack_hash=acked.hash)
        )
        barrier.wait()
        try:
            service.receive(peer, wire, 3)
            outcomes.append("accepted")
        except TransitionError as exc:
            outcomes.append(str(exc))

    threads = [
        threading.Thread(target=deliver, args=(first, "D-1")),
        threading.Thread(target=deliver, args=(second, "D-2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    other_engine.dispose()
    assert sorted(outcomes)[0] == "accepted"
    assert "despatch above ordered quantity" in sorted(outcomes)[1]
    assert first.chain(f"{BUYER}/PO-9").shipped() == {1: 6}


def _document_entries(store: LedgerStore) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for kind in (DOCUMENT_SENT, DOCUMENT_RECEIVED):
        for stored in store.entries_of_kind(kind):
            assert stored.leaf is not None
            body = Entry.from_leaf(stored.leaf).body
            assert isinstance(body, dict)
            out.append((kind, body["hash"]))
    return out


def test_crash_before_the_ledger_entry_is_repaired_once(
    buyer: tuple[Engine, LedgerStore, Peer],
) -> None:
    engine, store, peer = buyer
    failing = _FailingStore(store)
    service = _service(engine, failing)
    failing.fail = True
    with pytest.raises(RuntimeError):
        service.create(po("PO-8", [(1, "SKU-A", 1)]), peer, 1)
    stored = service.list()
    assert len(stored) == 1
    assert stored[0].ledger_seq is None
    assert _document_entries(store) == []
    # a round right after the store leaves the row to its own request ...
    assert service.record_missing(2) == 0
    # ... and repairs it once the grace period is over (or at once after a restart)
    assert service.record_missing(2, grace_ms=0) == 1
    assert service.record_missing(3, grace_ms=0) == 0
    assert _document_entries(store) == [(DOCUMENT_SENT, stored[0].hash)]
    # appended, but the crash came before the row was updated: found, not repeated
    with engine.begin() as conn:
        conn.execute(update(documents).values(ledger_seq=None))
    assert service.record_missing(4, grace_ms=0) == 1
    assert _document_entries(store) == [(DOCUMENT_SENT, stored[0].hash)]
    assert service.get(stored[0].hash).ledger_seq is not None


def test_delivery_gauges_count_what_waits_per_peer(buyer: tuple[Engine, LedgerStore, Peer]) -> None:
    engine, store, peer = buyer
    service = _service(engine, lambda: store)
    assert delivery_gauges(engine, T0).depth == 0
    first = service.create(po("PO-G1", [(1, "SKU-A", 5)]), peer, T0)
    service.create(po("PO-G2", [(1, "SKU-A", 5)]), peer, T0 + 1_000)
    gauges = delivery_gauges(engine, T0 + 4_000)
    assert gauges.waiting == {peer.id: 2}
    assert gauges.oldest_age_s == {peer.id: 4.0}
    with engine.begin() as conn:  # the older one is acknowledged, the other refused
        conn.execute(update(documents).where(documents.c.hash == first.hash).values(delivered_ms=1))
        conn.execute(update(documents).where(documents.c.hash != first.hash).values(refused="no"))
    gauges = delivery_gauges(engine, T0 + 5_000)
    assert (gauges.depth, gauges.waiting, gauges.refused) == (0, {}, 1)


class _FlakyHook:
    """A governance hook that fails its first call (governance down for a moment)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.failed = False

    def __call__(self, advice: Any, receipt: Any) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("governance unavailable")
        self.calls.append((advice.despatch_number, receipt.receipt_number))


def test_a_receipt_governance_missed_is_compared_once_later(
    buyer: tuple[Engine, LedgerStore, Peer],
) -> None:
    engine, store, peer = buyer
    hook = _FlakyHook()
    service = DocumentService(
        engine, lambda: _signer(BUYER), lambda: store, default_rule_set(), on_receipt=hook
    )
    order = service.create(po("PO-H", [(1, "SKU-A", 10)]), peer, T0)
    acked, _ = service.receive(
        peer, _from_supplier(dict(ack("PO-H"), po_version=1, po_hash=order.hash)), T0
    )
    wire = _from_supplier(
        dict(desadv("PO-H", "D-H", [(1, "SKU-A", 10)]), po_version=1, ack_hash=acked.hash)
    )
    service.receive(peer, wire, T0)
    receipt = service.create(recadv("PO-H", "D-H", "R-H", [(1, "SKU-A", 8, 0, 0)]), peer, T0)
    assert hook.failed
    assert hook.calls == []  # the first comparison failed: the receipt still stands
    assert service.get(receipt.hash).ledger_seq is not None
    assert service.compare_missing(T0 + 1_000) == 0  # too young: its request may still run
    assert service.compare_missing(T0 + 60_000) == 1
    assert hook.calls == [("D-H", "R-H")]
    assert service.compare_missing(T0 + 120_000) == 0  # compared once, noted
    assert hook.calls == [("D-H", "R-H")]
