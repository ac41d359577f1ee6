"""Regenerate the frozen proofs in tests/zk/data/: ``python -m tests.zk.make_frozen``.

Each case is made with ``random.Random(seed)`` for commitments and proofs, so the
bytes are reproducible with the same code. Run this only when the proof format
changes, and then bump the domain-separator version (zk/_transcript.py): proofs
already issued must keep verifying under the version they were made with.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import zk

DATA = Path(__file__).parent / "data"
CONTEXT = b"scnode test vector: node=supplier-a;period=2026-11"


def cases() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, value, threshold, bits, seed in (
        ("at-least-64bit", 1_000_000, 250_000, 64, 1),
        ("at-least-32bit-equal", 5000, 5000, 32, 2),
        ("at-least-8bit-zero", 0, 0, 8, 3),
    ):
        rng = random.Random(seed)
        c, o = zk.commit(value, rng=rng)
        proof = zk.prove_at_least(o, threshold, bits=bits, context=CONTEXT, rng=rng)
        out[name] = {
            "statement": "at-least",
            "bits": bits,
            "commitment": c.to_bytes().hex(),
            "threshold": threshold,
            "proof": proof.to_bytes().hex(),
        }
    rng = random.Random(4)
    c, o = zk.commit(750, rng=rng)
    proof = zk.prove_between(o, 500, 1000, bits=16, context=CONTEXT, rng=rng)
    out["between-16bit"] = {
        "statement": "between",
        "bits": 16,
        "commitment": c.to_bytes().hex(),
        "lower": 500,
        "upper": 1000,
        "proof": proof.to_bytes().hex(),
    }
    rng = random.Random(5)
    parts = [zk.commit(v, rng=rng) for v in (120, 30, 50)]
    total = zk.commit(200, rng=rng)
    balance = zk.prove_balance([p[1] for p in parts], [total[1]], bits=16, context=CONTEXT, rng=rng)
    out["balance-16bit-three-sites"] = {
        "statement": "balance",
        "bits": 16,
        "inputs": [p[0].to_bytes().hex() for p in parts],
        "outputs": [total[0].to_bytes().hex()],
        "proof": balance.to_bytes().hex(),
    }
    for case in out.values():
        case["context"] = CONTEXT.hex()
        case["generator_digest"] = zk.DEFAULT_GENERATORS.digest.hex()
        case["note"] = "made by python -m tests.zk.make_frozen (random.Random seeds in the script)"
    return out


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for name, case in cases().items():
        (DATA / f"{name}.json").write_text(json.dumps(case, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
