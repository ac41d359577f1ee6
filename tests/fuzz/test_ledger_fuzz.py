"""The ledger's parsers and verifiers, fed structured mutations of valid input.

Each starts from a valid value built with the pure ledger functions (an evidence
bundle with witnessed checkpoints and a consistency proof, a signed note, a
tlog-proof, an entry leaf, a key-rotation statement, a verifier key) and changes
it (tests/fuzz/mutations.py). The parser must return a value or raise the
ledger's domain error with a message (``FormatError`` for what does not parse,
another ``LedgerError`` for what does not verify), never another exception.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import (
    Bundle,
    Checkpoint,
    Entry,
    FormatError,
    KeyRotation,
    LedgerError,
    NoteVerifier,
    SignedNote,
    TlogProof,
    canonical_json,
    open_checkpoint,
    open_note,
    parse_json,
    verify_bundle,
)
from ledger._pinned import verify_extends_checkpoint
from tests.fuzz.domain import DERANDOMIZE, examples, parses_or_refuses
from tests.fuzz.mutations import (
    json_bytes,
    mutated_bytes,
    mutated_json,
    mutated_lines,
    mutated_text,
)
from tests.ledger.logfactory import ORIGIN, MemoryLog, log_signer, witness

EXAMPLES = examples(120)

_LOG = MemoryLog()
_LOG.fill(12)
SIGNER = log_signer()
WITNESSES = (witness(1), witness(2))
NOTE = _LOG.signed([SIGNER], witnesses=WITNESSES)
OLD_NOTE = _LOG.signed([SIGNER], size=5)
BUNDLE = _LOG.bundle(
    [1, 4, 9],
    NOTE,
    vkeys=[SIGNER.vkey],
    consistency=[(OLD_NOTE, NOTE, _LOG.consistency(5, 12))],
)
BUNDLE_DOC: dict[str, Any] = json.loads(BUNDLE)
PROOF = TlogProof(4, tuple(_LOG.inclusion(4, 12)), NOTE, extra=b"context").to_text()
LEAF = _LOG.leaves[3]
ROTATION = KeyRotation(
    origin=ORIGIN,
    old_vkey=SIGNER.vkey,
    new_vkey=log_signer(bytes([12]) * 32).vkey,
    new_not_before_ms=1_700_000_000_000,
    old_not_after_ms=1_700_000_500_000,
).statement()
VERIFY_KW: dict[str, Any] = {
    "vkeys": [SIGNER.vkey],
    "witnesses": [w.vkey for w in WITNESSES],
    "quorum": 1,
}


def test_the_valid_inputs_are_valid() -> None:
    """The mutations start from inputs that parse and verify (else they test nothing)."""
    assert verify_bundle(BUNDLE, **VERIFY_KW).to_json()["ok"] is True
    assert TlogProof.from_text(PROOF).index == 4
    assert Entry.from_leaf(LEAF).seq == 3
    assert KeyRotation.from_statement(ROTATION).origin == ORIGIN
    assert open_checkpoint(NOTE, [SIGNER.verifier()]).size == 12
    verify_extends_checkpoint(Bundle.from_bytes(BUNDLE), OLD_NOTE, [SIGNER.verifier()])


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_bytes(BUNDLE))
def test_bundle_bytes(data: bytes) -> None:
    parses_or_refuses(lambda: verify_bundle(data, **VERIFY_KW), LedgerError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_json(BUNDLE_DOC, max_edits=3))
def test_bundle_structure(doc: Any) -> None:
    try:
        data = canonical_json(doc)
    except FormatError:
        return  # not encodable canonically (a float, a huge number): nothing to send
    except RecursionError:
        data = json_bytes(doc)  # deeper than the encoder goes: send it as a peer would
    parses_or_refuses(lambda: verify_bundle(data, **VERIFY_KW), LedgerError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_json(BUNDLE_DOC, max_edits=2), st.sampled_from([OLD_NOTE, NOTE]))
def test_bundle_against_a_pinned_checkpoint(doc: Any, pinned: str) -> None:
    try:
        bundle = Bundle.from_bytes(canonical_json(doc))
    except (FormatError, RecursionError):
        return
    parses_or_refuses(
        lambda: verify_extends_checkpoint(bundle, pinned, [SIGNER.verifier()]), LedgerError
    )


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_lines(NOTE) | mutated_text(NOTE))
def test_signed_checkpoint(note: str) -> None:
    parses_or_refuses(
        lambda: open_checkpoint(
            note, [SIGNER.verifier()], witnesses=[w.verifier() for w in WITNESSES], quorum=2
        ),
        LedgerError,
    )
    parses_or_refuses(lambda: open_note(note, [SIGNER.verifier()]), LedgerError)
    parses_or_refuses(lambda: SignedNote.parse(note), FormatError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_lines(NOTE.split("\n\n")[0] + "\n") | mutated_text(NOTE.split("\n\n")[0] + "\n"))
def test_checkpoint_body(body: str) -> None:
    parses_or_refuses(lambda: Checkpoint.from_body(body), FormatError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_lines(PROOF) | mutated_text(PROOF))
def test_tlog_proof(text: str) -> None:
    parses_or_refuses(lambda: TlogProof.from_text(text), FormatError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_bytes(LEAF))
def test_entry_leaf(leaf: bytes) -> None:
    parses_or_refuses(lambda: Entry.from_leaf(leaf), FormatError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_bytes(canonical_json(BUNDLE_DOC["log"])))
def test_canonical_json(data: bytes) -> None:
    parses_or_refuses(lambda: parse_json(data), FormatError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_json(ROTATION))
def test_rotation_statement(value: Any) -> None:
    parses_or_refuses(lambda: KeyRotation.from_statement(value), FormatError)


@settings(derandomize=DERANDOMIZE, max_examples=EXAMPLES)
@given(mutated_text(SIGNER.vkey) | mutated_text(WITNESSES[0].verifier().vkey))
def test_verifier_key(vkey: str) -> None:
    parses_or_refuses(lambda: NoteVerifier.from_vkey(vkey), FormatError)
