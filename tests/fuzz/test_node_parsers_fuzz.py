"""The node's parsers of what partners, banks, peers and ERPs send, fed mutations of valid input.

One table: each parser with one valid input (built the way the node builds it)
and the domain error it may raise. Every parser gets structured mutations of its
valid input (JSON parsers: members deleted, types swapped, hostile values, deep
nesting; text and bytes parsers: flipped bytes, cuts, repeats, BOMs, bytes that
are not UTF-8) and must return or raise its domain error with a message.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

import zk
from benchmarks.api_bench import GrowingLog
from governance import (
    GovernanceError,
    case_from_dict,
    case_to_dict,
    default_rule_set,
    parse_timestamp,
    rule_set_from_json,
    rule_set_to_dict,
)
from ledger import NoteSigner, canonical_json
from node.auth._sfv import SfvError, parse_dictionary
from node.auth.errors import SignatureVerificationError
from node.auth.signatures import parse_signature, sign_request
from node.auth.vkey import VkeyError, parse_vkey
from node.connectors import ConnectorError, erpnext
from node.disclosure import PolicyError, parse_policy
from node.documents import DocumentError, SignedDocument, parse_document, sign_document
from node.finance import (
    FinanceError,
    FinancingHeader,
    Pledge,
    SignedPledge,
    pledge_context,
    registry_key,
)
from node.planning import CapacityReport, DemandForecast, PlanningError, parse_week
from node.witness import WitnessError, parse_add_checkpoint
from node.witness._protocol import parse_size_body
from tests.fuzz.domain import DERANDOMIZE, examples, parses_or_refuses
from tests.fuzz.mutations import (
    HOSTILE_VALUES,
    mutated_bytes,
    mutated_json,
    mutated_text,
)
from tests.governance.test_cases import opened
from tests.node.connector_support import recorded
from tests.node.documents_support import desadv, po
from tests.node.helpers import vkey_of
from tests.node.inventory_support import POLICY

EXAMPLES = examples(50)
MS = 1_790_000_000_000
BORROWER = NoteSigner("borrower.example/m", bytes([1]) * 32)
BANK = NoteSigner("bank-a.example", bytes([2]) * 32)
BUYER = NoteSigner("buyer.example/node", bytes([3]) * 32)


def _pledge() -> Pledge:
    rng = random.Random(5)
    commitment, opening = zk.commit(500, rng=rng)
    pid, subject = "ab" * 16, "cd" * 32
    proof = zk.prove_range(
        [opening], bits=32, context=pledge_context(pid, BORROWER.name, subject), rng=rng
    )
    return Pledge(
        id=pid,
        borrower=BORROWER.name,
        borrower_vkey=BORROWER.vkey,
        bank=BANK.name,
        bank_vkey=BANK.vkey,
        subject=subject,
        registry=(registry_key(BORROWER.name, "SKU", "FAB1", "2026-11"),),
        commitment=commitment.to_bytes(),
        range_proof=proof.to_bytes(),
        from_ms=MS,
        to_ms=MS + 1000,
        grant="g1",
        created_ms=MS,
    )


PLEDGE = _pledge()
SIGNED_PLEDGE = SignedPledge(PLEDGE, (PLEDGE.sign(BORROWER), PLEDGE.sign(BANK)))
PARTIES = {"buyer": BUYER.name, "supplier": "supplier.example/node"}
PURCHASE_ORDER = {**po("PO-9", [(1, "SKU-A", 10), (2, "SKU-B", 4)]), **PARTIES}
SIGNED_PO = sign_document(parse_document(PURCHASE_ORDER), BUYER).to_json()
FORECAST = {
    "forecast_id": "F-1",
    "customer": "phone.example",
    "supplier": "module.example",
    "issued_at": "2026-11-20T08:00:00Z",
    "uom": "pcs",
    "lines": [{"sku": "M-1", "week": "2026-W48", "forecast_qty": 900}],
}
CAPACITY = {
    "capacity_id": "C-1",
    "supplier": "module.example",
    "customer": "phone.example",
    "issued_at": "2026-11-20T09:00:00Z",
    "uom": "pcs",
    "groups": [
        {
            "group_id": "line-a",
            "name": "SMT line A",
            "skus": ["M-1"],
            "weeks": [{"week": "2026-W48", "actual": 800, "maximum": 1000}],
        }
    ],
}
_KEY = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
SIGNED_HEADERS = sign_request(
    _KEY,
    "alpha+01020304",
    method="POST",
    target_uri="http://127.0.0.1:8470/v1/peers/inbox",
    body=b"{}",
    created=1_760_000_000,
    nonce="n" * 24,
)
_LOG = GrowingLog("peer.example/log")
_LOG.grow()
ADD_CHECKPOINT = _LOG.grow()


def _signature(text: str, which: str) -> None:
    if which == "input":
        parse_signature(text, SIGNED_HEADERS["Signature"])
    else:
        parse_signature(SIGNED_HEADERS["Signature-Input"], text)


@dataclass(frozen=True)
class Parser:
    """One parser: its valid input, how mutations reach it, the error it may raise."""

    valid: Any
    parse: Callable[[Any], object]
    error: type[BaseException] | tuple[type[BaseException], ...]
    kind: str  # "json", "text" or "bytes": which mutations apply
    reproducers: tuple[Any, ...] = ()  # inputs that once escaped the domain error


#: a webhook body whose ``modified`` has the Frappe form but is no date (month 13)
IMPOSSIBLE_FRAPPE_TIME = recorded("erpnext", "webhook-bin.body").replace(
    b'"2026-11-20 14', b'"2026-13-20 14'
)
#: a JSON number longer than Python's integer digit limit (4300)
HUGE_NUMBER = "9" * 5000


PARSERS: dict[str, Parser] = {
    "documents.parse_document": Parser(PURCHASE_ORDER, parse_document, DocumentError, "json"),
    "documents.parse_document(desadv)": Parser(
        {
            **desadv(
                "PO-9", "D-1", [(1, "SKU-A", 10)], po_hash="a" * 64, po_version=1, ack_hash="b" * 64
            ),
            **PARTIES,
        },
        parse_document,
        DocumentError,
        "json",
    ),
    "documents.SignedDocument": Parser(
        SIGNED_PO,
        lambda v: SignedDocument.from_json(v).verify([BUYER.vkey]),
        DocumentError,
        "json",
    ),
    "finance.Pledge": Parser(PLEDGE.to_json(), Pledge.from_json, FinanceError, "json"),
    "finance.SignedPledge": Parser(
        SIGNED_PLEDGE.to_body(),
        lambda v: SignedPledge.from_body(v).verify_signatures(),
        FinanceError,
        "json",
    ),
    "finance.SignedPledge(bytes)": Parser(
        canonical_json(SIGNED_PLEDGE.to_body()), SignedPledge.from_bytes, FinanceError, "bytes"
    ),
    "finance.FinancingHeader": Parser(
        FinancingHeader(
            bank=BANK.name,
            from_ms=MS,
            to_ms=MS + 1000,
            subjects=("cd" * 32,),
            roles={"grants": (1,), "pledges": (2,), "snapshots": (3, 4), "coverage": (5,)},
        ).to_json(),
        FinancingHeader.from_json,
        FinanceError,
        "json",
    ),
    "planning.DemandForecast": Parser(FORECAST, DemandForecast.from_json, PlanningError, "json"),
    "planning.CapacityReport": Parser(CAPACITY, CapacityReport.from_json, PlanningError, "json"),
    "planning.parse_week": Parser("2026-W48", parse_week, PlanningError, "text"),
    "connectors.erpnext.parse_delivery": Parser(
        recorded("erpnext", "webhook-bin.body"),
        erpnext.parse_delivery,
        ConnectorError,
        "bytes",
        reproducers=(IMPOSSIBLE_FRAPPE_TIME,),
    ),
    "witness.parse_add_checkpoint": Parser(
        ADD_CHECKPOINT, parse_add_checkpoint, WitnessError, "bytes"
    ),
    "witness.parse_size_body": Parser("12\n", parse_size_body, WitnessError, "text"),
    "auth.parse_dictionary": Parser(
        SIGNED_HEADERS["Signature-Input"], parse_dictionary, SfvError, "text"
    ),
    "auth.parse_signature(Signature-Input)": Parser(
        SIGNED_HEADERS["Signature-Input"],
        lambda t: _signature(t, "input"),
        SignatureVerificationError,
        "text",
    ),
    "auth.parse_signature(Signature)": Parser(
        SIGNED_HEADERS["Signature"],
        lambda t: _signature(t, "signature"),
        SignatureVerificationError,
        "text",
    ),
    "auth.parse_vkey": Parser(vkey_of("peer.example/node", _KEY), parse_vkey, VkeyError, "text"),
    "governance.rule_set_from_json": Parser(
        json.dumps(rule_set_to_dict(default_rule_set())).encode(),
        rule_set_from_json,
        GovernanceError,
        "bytes",
    ),
    "governance.case_from_dict": Parser(
        json.loads(json.dumps(case_to_dict(opened()))), case_from_dict, GovernanceError, "json"
    ),
    "governance.parse_timestamp": Parser(
        "2026-11-20T08:00:00+08:00", parse_timestamp, GovernanceError, "text"
    ),
    "disclosure.parse_policy": Parser(
        POLICY, parse_policy, PolicyError, "json", reproducers=(HUGE_NUMBER,)
    ),
    "disclosure.parse_policy(text)": Parser(
        json.dumps(POLICY),
        parse_policy,
        PolicyError,
        "text",
        reproducers=(HUGE_NUMBER, HUGE_NUMBER.encode(), "x = " + HUGE_NUMBER),
    ),
}


def _strategy(parser: Parser) -> st.SearchStrategy[Any]:
    if parser.kind == "json":
        return mutated_json(parser.valid, max_edits=3) | st.sampled_from(HOSTILE_VALUES)
    if parser.kind == "text":
        return mutated_text(parser.valid)
    return mutated_bytes(parser.valid)


@pytest.mark.parametrize("name", list(PARSERS))
def test_the_valid_input_parses(name: str) -> None:
    parser = PARSERS[name]
    parser.parse(parser.valid)


@pytest.mark.parametrize("name", list(PARSERS))
@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(data=st.data())
def test_mutations_parse_or_raise_the_domain_error(name: str, data: st.DataObject) -> None:
    parser = PARSERS[name]
    value = data.draw(_strategy(parser), label="input")
    parses_or_refuses(lambda: parser.parse(value), parser.error)


@pytest.mark.parametrize(
    ("name", "n"),
    [(name, n) for name, p in PARSERS.items() for n in range(len(p.reproducers))],
)
def test_reproducers_of_fixed_bugs(name: str, n: int) -> None:
    parser = PARSERS[name]
    parses_or_refuses(lambda: parser.parse(parser.reproducers[n]), parser.error)
