"""The pure parts of documents: models, canonical bytes and signatures, the chain state
machine (every refused transition, findings) and inventory effects."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import RuleId, default_rule_set
from ledger import NoteSigner
from node.documents import (
    OVER_SHIPMENT,
    BucketDelta,
    ChainState,
    ChainStatus,
    DespatchAdvice,
    Document,
    DocumentError,
    DocumentFormatError,
    DocumentSignatureError,
    SignedDocument,
    TransitionError,
    apply,
    document_hash,
    document_json,
    inventory_effects,
    parse_document,
    sign_document,
    verify_evidence,
)
from tests.node.documents_support import ack, desadv, po, recadv

BUYER, SUPPLIER = "buyer.example/node", "supplier.example/node"
RULES = default_rule_set()


def _parties(body: dict[str, Any]) -> dict[str, Any]:
    return {"buyer": BUYER, "supplier": SUPPLIER, **body}


def doc(body: dict[str, Any]) -> Document:
    return parse_document(_parties(body))


class Chain:
    """Builds a chain with the references filled the way the service fills them."""

    def __init__(self) -> None:
        self.state: ChainState | None = None
        self.findings: list[Any] = []
        self.accepted: list[tuple[Document, str]] = []

    def add(self, body: dict[str, Any]) -> str:
        body = dict(body)
        s = self.state
        if s is None and body["type"] != "purchase_order":
            body.setdefault("po_version", 1)
            for ref in ("po_hash", "ack_hash", "despatch_hash"):
                body.setdefault(ref, "0" * 64)
        if s is not None:
            if body["type"] == "purchase_order" and body["version"] > 1:
                body.setdefault("supersedes", s.versions[-1][1])
            if body["type"] == "order_ack":
                v = body.setdefault("po_version", s.latest.version)
                body.setdefault(
                    "po_hash", next((h for p, h in s.versions if p.version == v), "0" * 64)
                )
            if body["type"] == "despatch_advice":
                v = body.setdefault("po_version", s.latest.version)
                body.setdefault("ack_hash", s.acks[v][1] if v in s.acks else "0" * 64)
            if body["type"] == "goods_receipt":
                d = s.despatches.get(body["despatch_number"])
                body.setdefault("despatch_hash", d[1] if d else "0" * 64)
        document = doc(body)
        digest = document_hash(document)
        self.state, found = apply(self.state, document, digest, rules=RULES)
        self.findings += found
        self.accepted.append((document, digest))
        return digest


def cycle(chain: Chain) -> None:
    chain.add(po("PO-1", [(1, "A", 10), (2, "B", 5)]))
    chain.add(ack("PO-1"))
    chain.add(desadv("PO-1", "D-1", [(1, "A", 10), (2, "B", 5)]))


def test_full_cycle_closes_the_chain() -> None:
    chain = Chain()
    cycle(chain)
    assert chain.state is not None
    assert chain.state.status == ChainStatus.IN_DELIVERY
    chain.add(recadv("PO-1", "D-1", "R-1", [(1, "A", 10, 0, 0), (2, "B", 5, 0, 0)]))
    assert chain.state.status == ChainStatus.CLOSED
    assert chain.findings == []


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([ack("PO-1")], "unknown purchase order"),
        ([po("PO-1", [(1, "A", 1)]), po("PO-1", [(1, "A", 1)])], "exists already"),
        ([po("PO-1", [(1, "A", 1)]), ack("PO-1"), ack("PO-1")], "acknowledged already"),
        ([po("PO-1", [(1, "A", 1)]), ack("PO-1", po_version=2)], "unknown version"),
        ([po("PO-1", [(1, "A", 1)]), ack("PO-1", po_hash="1" * 64)], "unknown version"),
        ([po("PO-1", [(1, "A", 1)]), desadv("PO-1", "D", [(1, "A", 1)])], "not acknowledged"),
        (
            [po("PO-1", [(1, "A", 5)]), ack("PO-1"), desadv("PO-1", "D", [(1, "A", 6)])],
            "despatch above ordered quantity",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1", status="partial", lines=[{"line": 1, "quantity_accepted": 3}]),
                desadv("PO-1", "D", [(1, "A", 4)]),
            ],
            "despatch above ordered quantity",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1", status="partial", lines=[{"line": 1, "quantity_accepted": 6}]),
            ],
            "accepts 6",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1", status="partial", lines=[{"line": 9, "quantity_accepted": 1}]),
            ],
            "not on the order",
        ),
        (
            [po("PO-1", [(1, "A", 5)]), ack("PO-1"), desadv("PO-1", "D", [(2, "A", 1)])],
            "not on the order",
        ),
        (
            [po("PO-1", [(1, "A", 5)]), ack("PO-1"), desadv("PO-1", "D", [(1, "Z", 1)])],
            "not on the order",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1"),
                desadv("PO-1", "D", [(1, "A", 1)]),
                desadv("PO-1", "D", [(1, "A", 1)]),
            ],
            "exists already",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1", status="rejected"),
                desadv("PO-1", "D", [(1, "A", 1)]),
            ],
            "rejected",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1", status="rejected"),
                po("PO-1", [(1, "A", 5)], version=2),
            ],
            "rejected: no change orders",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1"),
                desadv("PO-1", "D", [(1, "A", 5)]),
                recadv("PO-1", "D", "R", [(1, "A", 5, 0, 0)]),
                po("PO-1", [(1, "A", 9)], version=2),
            ],
            "closed: no change orders",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1"),
                desadv("PO-1", "D", [(1, "A", 5)]),
                recadv("PO-1", "D", "R", [(1, "A", 5, 0, 0)]),
                desadv("PO-1", "D2", [(1, "A", 1)]),
            ],
            "PO-1 is closed",
        ),
        (
            [po("PO-1", [(1, "A", 5)]), ack("PO-1"), recadv("PO-1", "D", "R", [(1, "A", 5, 0, 0)])],
            "receipt for an unknown despatch",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1"),
                desadv("PO-1", "D", [(1, "A", 2)]),
                recadv("PO-1", "D", "R", [(1, "A", 2, 0, 0)]),
                recadv("PO-1", "D", "R2", [(1, "A", 2, 0, 0)]),
            ],
            "received already",
        ),
        (
            [
                po("PO-1", [(1, "A", 5)]),
                ack("PO-1"),
                desadv("PO-1", "D", [(1, "A", 2)]),
                recadv("PO-1", "D", "R", [(2, "B", 2, 0, 0)]),
            ],
            "was not despatched",
        ),
        ([po("PO-1", [(1, "A", 5)], version=2, supersedes="1" * 64)], "unknown purchase order"),
        (
            [po("PO-1", [(1, "A", 5)]), po("PO-1", [(1, "A", 5)], version=3)],
            "must be version 2",
        ),
        (
            [po("PO-1", [(1, "A", 5)]), po("PO-1", [(1, "A", 5)], version=2, supersedes="1" * 64)],
            "must be version 2",
        ),
    ],
)
def test_impossible_transitions_are_refused(steps: list[dict[str, Any]], message: str) -> None:
    chain = Chain()
    for step in steps[:-1]:
        chain.add(step)
    before = chain.state
    with pytest.raises(TransitionError, match=message):
        chain.add(steps[-1])
    assert chain.state is before


def test_document_for_other_parties_is_refused() -> None:
    chain = Chain()
    chain.add(po("PO-1", [(1, "A", 5)]))
    other = ack("PO-1", supplier="someone.else/node")
    with pytest.raises(TransitionError, match="differ"):
        chain.add(other)


def test_receipt_discrepancy_and_late_delivery_are_findings() -> None:
    chain = Chain()
    cycle(chain)
    chain.add(
        recadv(
            "PO-1",
            "D-1",
            "R-1",
            [(1, "A", 7, 0, 1), (2, "B", 5, 0, 0)],
            received_at="2026-03-09T12:00:00Z",  # expected 2026-03-08T12:00Z
        )
    )
    rules = {f.rule_id for f in chain.findings}
    assert rules == {RuleId.RECEIPT_MISMATCH, RuleId.LATE_DELIVERY}
    mismatch = next(f for f in chain.findings if f.rule_id == RuleId.RECEIPT_MISMATCH)
    assert "received 8, despatched 10" in mismatch.message
    assert chain.state is not None
    assert chain.state.status == ChainStatus.IN_DELIVERY


def _race(order: str) -> Chain:
    chain = Chain()
    chain.add(po("PO-1", [(1, "A", 10)]))
    ack_hash = chain.add(ack("PO-1"))
    change = dict(po("PO-1", [(1, "A", 4)], version=2), supersedes=chain.state.versions[0][1])  # type: ignore[union-attr]
    despatch = dict(desadv("PO-1", "D-1", [(1, "A", 10)]), po_version=1, ack_hash=ack_hash)
    for step in (change, despatch) if order == "change-first" else (despatch, change):
        chain.add(step)
    return chain


def test_change_order_racing_a_despatch_converges() -> None:
    first, second = _race("change-first"), _race("despatch-first")
    assert first.state is not None
    assert second.state is not None
    assert first.state.hashes() == second.state.hashes()
    assert first.state.status == second.state.status == ChainStatus.IN_DELIVERY
    assert first.state.latest.version == second.state.latest.version == 2
    for chain in (first, second):
        assert [f.rule_id for f in chain.findings] == [OVER_SHIPMENT]
        assert "10 shipped, version 2 orders 4" in chain.findings[0].message


def test_inventory_effects() -> None:
    chain = Chain()
    cycle(chain)
    assert chain.state is not None
    advice = chain.state.despatches["D-1"][0]
    effects = inventory_effects(advice)
    assert BucketDelta(SUPPLIER, "A", "L1", "available", -10) in effects
    assert BucketDelta(SUPPLIER, "A", "L1", "in_transit", 10) in effects
    assert BucketDelta(BUYER, "A", "L1", "in_transit", 10) in effects
    receipt = doc(
        dict(
            recadv("PO-1", "D-1", "R-1", [(1, "A", 6, 3, 1), (2, "B", 5, 0, 0)]),
            despatch_hash="0" * 64,
        )
    )
    after = inventory_effects(receipt, advice)
    totals: dict[tuple[str, str, str], int] = {}
    for d in effects + after:
        key = (d.party, d.sku, d.bucket)
        totals[key] = totals.get(key, 0) + d.delta
    assert totals[(BUYER, "A", "in_transit")] == 0
    assert totals[(SUPPLIER, "A", "in_transit")] == 0
    assert totals[(BUYER, "A", "available")] == 6
    assert totals[(BUYER, "A", "in_inspection")] == 3
    assert totals[(BUYER, "A", "on_hand")] == 9
    assert totals[(SUPPLIER, "A", "on_hand")] == -10
    assert inventory_effects(chain.state.versions[0][0]) == ()
    with pytest.raises(DocumentError):
        inventory_effects(receipt)


def test_signed_document_round_trip_and_tamperings() -> None:
    buyer = _signer(BUYER)
    document = doc(po("PO-1", [(1, "A", 5)]))
    signed = sign_document(document, buyer)
    wire = json.loads(json.dumps(signed.to_json()))
    again = SignedDocument.from_json(wire)
    again.verify([buyer.vkey])
    assert again.hash == document_hash(document)
    # flipped quantity: the hash no longer matches
    tampered = json.loads(json.dumps(wire))
    tampered["document"]["lines"][0]["quantity_ordered"] = 6
    with pytest.raises(DocumentSignatureError, match="hash"):
        SignedDocument.from_json(tampered)
    # re-hashed by someone else: the signature is for another document
    forged = dict(tampered, hash=document_hash(parse_document(tampered["document"])))
    with pytest.raises(DocumentSignatureError, match="another document"):
        SignedDocument.from_json(forged).verify([buyer.vkey])
    # signed by another key of the same name, or by the supplier
    with pytest.raises(DocumentSignatureError):
        again.verify([_signer(BUYER, seed=2).vkey])
    with pytest.raises(DocumentFormatError, match="not the author"):
        sign_document(document, _signer(SUPPLIER))
    supplier_signed = SignedDocument(
        document,
        signed.hash,
        sign_document(
            doc(ack("PO-1", po_hash="a" * 64, po_version=1)), _signer(SUPPLIER)
        ).signature,
    )
    with pytest.raises(DocumentSignatureError):
        supplier_signed.verify([_signer(SUPPLIER).vkey])


def _signer(name: str, seed: int = 1) -> NoteSigner:
    return NoteSigner(name, bytes([seed]) * 16 + name.encode()[:16].ljust(16, b"."))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "invoice"}, "document.type"),
        ({"version": 0}, "positive"),
        ({"version": True}, "whole number"),
        ({"issued_at": "2026-03-01"}, "offset"),
        ({"issued_at": "yesterday"}, "RFC 3339"),
        ({"currency": ""}, "non-empty"),
        ({"lines": []}, "non-empty list"),
        ({"lines": "x"}, "non-empty list"),
        ({"supersedes": "a" * 64}, "supersedes nothing"),
        ({"buyer": SUPPLIER}, "different nodes"),
        ({"po_number": "x" * 500}, "at most"),
        ({"po_number": "a\nb"}, "printable"),
    ],
)
def test_malformed_documents_say_what_is_wrong(change: dict[str, Any], message: str) -> None:
    body = _parties(po("PO-1", [(1, "A", 5)]))
    body.update(change)
    with pytest.raises(DocumentFormatError, match=message):
        parse_document(body)


def test_line_rules() -> None:
    bad_lines = [
        ({"quantity_ordered": -1}, "non-negative"),
        ({"quantity_ordered": 2**53}, "below 2\\*\\*53"),
        ({"quantity_ordered": 1.5}, "whole number"),
        ({"unit_price": 2.5}, "decimal string"),
        ({"unit_price": "NaN"}, "finite"),
        ({"unit_price": "abc"}, "not a decimal"),
        ({"line": 0}, "positive"),
    ]
    for change, message in bad_lines:
        body = _parties(po("PO-1", [(1, "A", 5)]))
        body["lines"][0].update(change)
        with pytest.raises(DocumentFormatError, match=message):
            parse_document(body)
    dup = _parties(po("PO-1", [(1, "A", 5), (1, "B", 5)]))
    with pytest.raises(DocumentFormatError, match="unique"):
        parse_document(dup)
    split = _parties(dict(recadv("PO-1", "D", "R", [(1, "A", 1, 1, 0)]), despatch_hash="a" * 64))
    split["lines"][0]["quantity_received"] = 3
    with pytest.raises(DocumentFormatError, match="must equal"):
        parse_document(split)
    reasonless = _parties(
        dict(recadv("PO-1", "D", "R", [(1, "A", 1, 0, 1)]), despatch_hash="a" * 64)
    )
    del reasonless["lines"][0]["reason"]
    with pytest.raises(DocumentFormatError, match="needs a reason"):
        parse_document(reasonless)
    for status, lines in (("partial", None), ("accepted", [{"line": 1, "quantity_accepted": 1}])):
        body = _parties(dict(ack("PO-1", status=status), po_version=1, po_hash="a" * 64))
        if lines:
            body["lines"] = lines
        with pytest.raises(DocumentFormatError, match="partial only"):
            parse_document(body)


def test_json_form_round_trips() -> None:
    for body in (
        po("PO-1", [(1, "A", 5)]),
        dict(
            ack("PO-1", status="partial", lines=[{"line": 1, "quantity_accepted": 2}]),
            po_version=1,
            po_hash="a" * 64,
        ),
        dict(desadv("PO-1", "D", [(1, "A", 2)]), po_version=1, ack_hash="b" * 64),
        dict(recadv("PO-1", "D", "R", [(1, "A", 1, 1, 1)]), despatch_hash="c" * 64),
    ):
        document = doc(body)
        assert document_json(document) == _parties(body)
        assert parse_document(document_json(document)) == document


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(_parties(po("P", [(1, "A", 1)])))), json_values))
def test_parser_raises_only_its_error(changes: dict[str, Any]) -> None:
    body = _parties(po("PO-1", [(1, "A", 5)]))
    body.update(changes)
    with contextlib.suppress(DocumentFormatError):
        parse_document(body)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_wire_parser_raises_only_document_errors(value: Any) -> None:
    with contextlib.suppress(DocumentError):
        SignedDocument.from_json({"document": value, "hash": "0" * 64, "signature": "x"})


def test_despatch_type() -> None:
    assert isinstance(
        doc(dict(desadv("PO-1", "D", [(1, "A", 2)]), po_version=1, ack_hash="b" * 64)),
        DespatchAdvice,
    )


_OPS = st.lists(
    st.tuples(
        st.sampled_from(["change", "ack", "partial", "reject", "desadv", "recadv"]),
        st.integers(1, 12),
    ),
    max_size=14,
)


@settings(max_examples=150, deadline=None)
@given(_OPS)
def test_random_chains_keep_their_invariants(ops: list[tuple[str, int]]) -> None:
    chain = Chain()
    chain.add(po("PO-1", [(1, "A", 10)]))
    despatches = 0
    for op, n in ops:
        assert chain.state is not None
        version = chain.state.latest.version
        body: dict[str, Any]
        if op == "change":
            body = po("PO-1", [(1, "A", n)], version=version + 1)
        elif op in ("ack", "partial", "reject"):
            status = {"ack": "accepted", "partial": "partial", "reject": "rejected"}[op]
            lines = [{"line": 1, "quantity_accepted": n}] if op == "partial" else None
            body = ack("PO-1", status=status, **({"lines": lines} if lines else {}))
        elif op == "desadv":
            despatches += 1
            body = desadv("PO-1", f"D-{despatches}", [(1, "A", n)])
        else:
            body = recadv("PO-1", f"D-{n % 3 + 1}", f"R-{n}", [(1, "A", n, 0, 0)])
        try:
            chain.add(body)
        except TransitionError:
            continue
    state = chain.state
    assert state is not None
    # shipped never exceeds what the acknowledged versions accepted
    accepted = 0
    for v, (ack_doc, _) in state.acks.items():
        order = next(p for p, _ in state.versions if p.version == v)
        if ack_doc.status.value == "accepted":
            accepted = max(accepted, order.lines[0].quantity_ordered)
        elif ack_doc.status.value == "partial":
            accepted = max(accepted, ack_doc.lines[0].quantity_accepted)
    assert state.shipped().get(1, 0) <= accepted
    # each despatch received at most once, versions consecutive
    assert [p.version for p, _ in state.versions] == list(range(1, len(state.versions) + 1))
    assert set(state.receipts) <= set(state.despatches)
    # replaying the accepted documents in the same order gives the same state
    replayed: ChainState | None = None
    for document, digest in chain.accepted:
        replayed, _ = apply(replayed, document, digest, rules=RULES)
    assert replayed == state
    assert state.status in {
        ChainStatus.ORDERED,
        ChainStatus.CHANGED,
        ChainStatus.ACKNOWLEDGED,
        ChainStatus.REJECTED,
        ChainStatus.IN_DELIVERY,
        ChainStatus.CLOSED,
    }


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["format", "signed", "index", "leaf", "checkpoint", "proof"]), json_values
    )
)
def test_evidence_parser_raises_only_document_errors(value: dict[str, Any]) -> None:
    evidence = {"format": "scnode-document-evidence/v1", **value}
    with contextlib.suppress(DocumentError):
        verify_evidence(
            evidence, author_vkeys=[_signer(BUYER).vkey], log_vkeys=[_signer(BUYER).vkey]
        )
