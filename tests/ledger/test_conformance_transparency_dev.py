"""The RFC 9162 proof corpus of transparency-dev/merkle, read from ../shared.

Every ``happy-path`` case (and every case marked ``wantErr: false``) verifies;
every other case raises a :class:`~ledger.VerificationError`. The corpus stays in
the shared folder; it is never copied into the project.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledger import VerificationError, verify_consistency, verify_inclusion
from tests.conftest import shared_path

CORPUS = ("vectors", "transparency-dev-merkle", "testdata")


def _cases(kind: str) -> list[Path]:
    root = shared_path(*CORPUS, kind)
    files = sorted(root.rglob("*.json"))
    if not files:
        pytest.skip(f"no {kind} cases found under {root}")
    return files


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _check_inclusion(case: dict[str, Any]) -> None:
    verify_inclusion(
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]),
    )


def _check_consistency(case: dict[str, Any]) -> None:
    verify_consistency(
        case["size1"],
        case["size2"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root1"]),
        _b64(case["root2"]),
    )


def _run(kind: str) -> tuple[int, int]:
    check = _check_inclusion if kind == "inclusion" else _check_consistency
    ok = bad = 0
    for path in _cases(kind):
        case = _load(path)
        name = path.relative_to(path.parents[1])
        if path.name == "happy-path.json":
            assert case["wantErr"] is False, name
        if case["wantErr"]:
            with pytest.raises(VerificationError):
                check(case)
            bad += 1
        else:
            check(case)
            ok += 1
    return ok, bad


def test_inclusion_corpus() -> None:
    ok, bad = _run("inclusion")
    assert ok >= 5
    assert bad >= 50


def test_consistency_corpus() -> None:
    ok, bad = _run("consistency")
    assert ok >= 5
    assert bad >= 50
