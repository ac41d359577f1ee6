"""Parsers of untrusted input return a value or raise FormatError, nothing else."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import (
    Bundle,
    Checkpoint,
    FormatError,
    KeyRotation,
    LedgerError,
    ProofPlan,
    TlogProof,
    canonical_json,
    verify_bundle,
)
from tests.ledger.logfactory import MemoryLog, log_signer

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=10,
)


@given(st.text(max_size=200))
def test_checkpoint_body_fuzz(text: str) -> None:
    with contextlib.suppress(FormatError):
        Checkpoint.from_body(text)


@given(st.text(max_size=300))
def test_tlog_proof_fuzz(text: str) -> None:
    with contextlib.suppress(FormatError):
        TlogProof.from_text("c2sp.org/tlog-proof@v1\n" + text)


@given(json_like)
def test_rotation_statement_fuzz(value: object) -> None:
    with contextlib.suppress(FormatError):
        KeyRotation.from_statement(value)


@given(st.binary(max_size=300))
def test_bundle_bytes_fuzz(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        Bundle.from_bytes(data)


_LOG = MemoryLog()
_LOG.fill(6)
_GOOD = json.loads(_LOG.bundle([1, 4], _LOG.signed([log_signer()])))


@settings(max_examples=200)
@given(st.sampled_from(["format", "log", "entries", "key_history", "consistency"]), json_like)
def test_bundle_member_fuzz(member: str, value: object) -> None:
    doc = dict(_GOOD)
    doc[member] = value
    try:
        data = canonical_json(doc)
    except FormatError:
        return
    with contextlib.suppress(LedgerError):
        verify_bundle(data, vkeys=[log_signer().vkey])


@settings(max_examples=200)
@given(st.integers(0, 1), st.sampled_from(["index", "leaf", "proof"]), json_like)
def test_bundle_entry_fuzz(n: int, field: str, value: object) -> None:
    doc = json.loads(json.dumps(_GOOD))
    doc["entries"][n][field] = value
    try:
        data = canonical_json(doc)
    except FormatError:
        return
    with contextlib.suppress(LedgerError):
        verify_bundle(data, vkeys=[log_signer().vkey])


def test_huge_numbers_are_format_errors() -> None:
    with pytest.raises(FormatError):
        Checkpoint.from_body("o\n" + "9" * 5000 + "\nAAAA\n")
    with pytest.raises(FormatError):
        TlogProof.from_text("c2sp.org/tlog-proof@v1\nindex " + "9" * 5000 + "\n\nx\n")


def test_fold_needs_one_hash_per_id() -> None:
    with pytest.raises(FormatError):
        ProofPlan(((0, 1), (1, 1))).fold([bytes(32)])
