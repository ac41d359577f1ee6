"""Frozen proofs (tests/zk/data/*.json) must verify forever.

A change of the proof format or of the transcript needs a new domain-separator
version; these files then stay as the record of the old one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import zk

DATA = Path(__file__).parent / "data"
FILES = sorted(DATA.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    return case


def verify_case(case: dict[str, Any], proof_bytes: bytes) -> None:
    bits = case["bits"]
    context = bytes.fromhex(case["context"])
    if case["statement"] == "at-least":
        zk.verify_at_least(
            zk.Commitment.from_bytes(bytes.fromhex(case["commitment"])),
            case["threshold"],
            zk.RangeProof.from_bytes(proof_bytes),
            bits=bits,
            context=context,
        )
    elif case["statement"] == "between":
        zk.verify_between(
            zk.Commitment.from_bytes(bytes.fromhex(case["commitment"])),
            case["lower"],
            case["upper"],
            zk.RangeProof.from_bytes(proof_bytes),
            bits=bits,
            context=context,
        )
    elif case["statement"] == "balance":
        zk.verify_balance(
            [zk.Commitment.from_bytes(bytes.fromhex(h)) for h in case["inputs"]],
            [zk.Commitment.from_bytes(bytes.fromhex(h)) for h in case["outputs"]],
            zk.BalanceProof.from_bytes(proof_bytes),
            bits=bits,
            context=context,
        )
    else:
        pytest.fail(f"unknown statement {case['statement']}")


def test_there_are_frozen_cases() -> None:
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_frozen_proof_verifies(path: Path) -> None:
    case = load(path)
    assert case["generator_digest"] == zk.DEFAULT_GENERATORS.digest.hex()
    verify_case(case, bytes.fromhex(case["proof"]))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_frozen_proof_bytes_round_trip(path: Path) -> None:
    case = load(path)
    data = bytes.fromhex(case["proof"])
    parser = (
        zk.BalanceProof.from_bytes if case["statement"] == "balance" else zk.RangeProof.from_bytes
    )
    assert parser(data).to_bytes() == data


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_frozen_proof_tampered_is_rejected(path: Path) -> None:
    case = load(path)
    data = bytearray(bytes.fromhex(case["proof"]))
    data[-1] ^= 0x01  # the last scalar (b)
    with pytest.raises(zk.ProofError):
        verify_case(case, bytes(data))
    other = dict(case, context=(b"another context").hex())
    with pytest.raises(zk.ProofError):
        verify_case(other, bytes.fromhex(case["proof"]))
