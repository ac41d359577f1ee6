"""A tiny run of ``scnode bench api``'s machinery: a real server, every phase, every key."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.api_bench import GrowingLog, _split, run
from benchmarks.api_client import ClientError, _Connection
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
        workers=1,
        clients=2,
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
    assert result["client_processes"] == 2
    assert len(result["load_average_before"]) == 3
    assert result["log_size"] >= 1  # the snapshot is in the served checkpoint


def test_cli_rejects_bad_options() -> None:
    out = CliRunner().invoke(main, ["bench", "api", "--json", "--workers", "0"])
    assert out.exit_code != 0
    assert "workers" in out.output


def test_connections_are_spread_over_client_processes() -> None:
    assert _split(16, 2) == [8, 8]
    assert _split(5, 2) == [3, 2]
    assert _split(1, 4) == [1]  # no client process without a connection


async def _replies(chunks: list[bytes]) -> tuple[int, bytes]:
    conn = _Connection()
    transport = _Sink()
    conn.connection_made(transport)
    reply = conn.send(b"GET / HTTP/1.1\r\n\r\n")
    for chunk in chunks:
        conn.data_received(chunk)
    return await asyncio.wait_for(reply, 5)


class _Sink(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return False


def test_lean_client_reads_a_response_by_its_content_length_across_chunks() -> None:
    raw = b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\ncontent-type: text/plain\r\n\r\nhello world"
    for cut in (1, 17, len(raw) - 3, len(raw)):
        assert asyncio.run(_replies([raw[:cut], raw[cut:]])) == (200, b"hello world")
    assert asyncio.run(_replies([b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"])) == (
        404,
        b"",
    )
    with pytest.raises(ClientError):
        asyncio.run(_replies([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"]))
