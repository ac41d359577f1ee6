"""``scnode peer sync``, ``scnode outbox status`` and ``scnode witness key``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ledger import ALG_COSIGNATURE_V1, NoteVerifier
from node.cli import main
from node.outbox._worker import _round_lock
from node.witness import open_endorsement
from tests.node.test_witness_helpers import Node, network


@pytest.fixture
def duo(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, "one.example/node", "two.example/node")


def _run(node: Node, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(node.home), *args])
    return result.exit_code, result.output


def test_peer_sync_delivers_witnesses_and_verifies(duo: list[Node]) -> None:
    one, two = duo
    one.publish(4)
    code, out = _run(one, "outbox", "status", "--json")
    assert code == 0, out
    assert json.loads(out) == {}
    code, out = _run(one, "peer", "sync", "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["queued"] == 5  # 4 entries and the checkpoint
    assert summary["delivered"] == 5
    assert list(summary["cosigned"].values()) == [4]
    assert summary["evidence"] == []
    assert summary["errors"] == {}
    code, out = _run(one, "outbox", "status", "--json")
    (state,) = json.loads(out).values()
    assert state["pending"] == 0
    assert state["delivered"] == 5

    code, out = _run(two, "witness", "key")
    assert code == 0, out
    key = NoteVerifier.from_vkey(out.strip())
    assert key.alg == ALG_COSIGNATURE_V1
    endorsed = open_endorsement(httpx.get(f"{two.url}/v1/witness/key").text, two.verifier)
    assert endorsed == key  # the CLI and the service use the same witness key

    code, out = _run(one, "peer", "sync")
    assert code == 0, out
    assert "delivered 0" in out


def test_sync_reports_an_unreachable_peer(duo: list[Node]) -> None:
    one, two = duo
    two.stop()
    one.publish(1)
    code, out = _run(one, "peer", "sync", "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["delivered"] == 0
    assert len(summary["delivery_failed"]) == 1
    code, out = _run(one, "outbox", "status")
    assert "pending 2" in out
    assert "retry at" in out
    metrics = httpx.get(f"{one.url}/metrics").text
    assert "scnode_outbox_depth 2.0" in metrics


def test_one_round_at_a_time(duo: list[Node]) -> None:
    one, _two = duo
    one.publish(1)
    with _round_lock(one.home) as held:
        assert held
        code, out = _run(one, "peer", "sync")
        assert code == 1
        assert "another peer round" in out
        assert one.worker.run_once().skipped
    assert not one.worker.run_once().skipped


def test_commands_need_a_node(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "none"), "peer", "sync"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "none"), "witness", "key"])
    assert result.exit_code == 1
    assert "scnode init" in result.output
