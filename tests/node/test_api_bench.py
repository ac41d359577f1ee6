"""A tiny run of ``scnode bench api``'s machinery: a real server, every phase, every key."""

from __future__ import annotations

import base64
from pathlib import Path

from click.testing import CliRunner

from benchmarks.api_bench import GrowingLog, run
from ledger import verify_consistency
from node.cli import main
from node.cli.api_bench_cmd import JSON_KEYS


def test_growing_log_proofs_verify() -> None:
    """The bench's in-memory log gives consistency proofs that the ledger verifies."""
    log = GrowingLog("peer.example/log")
    roots = []
    for _ in range(37):
        body = log.grow().decode()
        head, _, _note = body.partition("\n\n")
        lines = head.splitlines()
        old = int(lines[0].removeprefix("old "))
        assert old == log.size - 1
        roots.append(log._mth(0, log.size))
        if old > 0:
            proof = [base64.b64decode(x) for x in lines[1:]]
            verify_consistency(old, log.size, proof, roots[old - 1], roots[-1])


def test_tiny_run_reports_every_figure(tmp_path: Path) -> None:
    result = run(
        duration_s=0.3,
        publish_runs=1,
        positions=2,
        concurrency=2,
        witness_logs=1,
        root=tmp_path,
    )
    for key in JSON_KEYS:
        assert isinstance(result[key], float)
        assert result[key] > 0, key
    assert result["read_errors"] == 0
    assert result["witness_errors"] == 0
    assert result["reads"] > 0
    assert result["witness_checkpoints"] > 0
    assert result["workers"] == 1
    assert len(result["load_average_before"]) == 3
    assert result["log_size"] >= 1  # the snapshot is in the served checkpoint


def test_cli_rejects_bad_options() -> None:
    out = CliRunner().invoke(main, ["bench", "api", "--json", "--workers", "0"])
    assert out.exit_code != 0
    assert "workers" in out.output
