"""``scnode bench zk``: JSON keys and shapes (no timing assertions)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from node.cli import main


def test_bench_zk_json() -> None:
    result = CliRunner().invoke(main, ["bench", "zk", "--json", "--runs", "1"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert list(figures) == [
        "prove_ms",
        "verify_ms",
        "proof_bytes",
        "batch16_verify_ms_per_proof",
        "aggregated2_prove_ms",
        "aggregated2_verify_ms",
        "scalar_mult_ms",
    ]
    for key in ("prove_ms", "verify_ms", "proof_bytes"):
        assert set(figures[key]) == {"32", "64"}
    assert figures["proof_bytes"] == {"32": 622, "64": 688}
    assert all(figures[key]["64"] > 0 for key in ("prove_ms", "verify_ms"))
    assert figures["batch16_verify_ms_per_proof"] > 0
    assert figures["scalar_mult_ms"] > 0


def test_bench_zk_rejects_bad_runs() -> None:
    result = CliRunner().invoke(main, ["bench", "zk", "--runs", "0"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "--runs" in result.output
