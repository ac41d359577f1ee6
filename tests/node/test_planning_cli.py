"""``scnode planning gaps`` and ``scnode planning verify-fact`` (offline)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from node.cli import main
from tests.node.test_planning_fact import Fab, fab  # noqa: F401  (module-scoped fixture)
from tests.node.test_planning_models import _capacity, _forecast


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_gaps_on_files(tmp_path: Path) -> None:
    forecast = tmp_path / "forecast.json"
    capacity = tmp_path / "capacity.json"
    committed = tmp_path / "committed.json"
    forecast.write_text(json.dumps(_forecast([("M-1", "2026-W10", 1200)]).to_json()))
    capacity.write_text(json.dumps(_capacity([("2026-W10", 800, 1000)]).to_json()))
    committed.write_text(json.dumps([{"sku": "M-2", "week": "2026-W10", "quantity": 900}]))
    code, out = _run(
        "planning", "gaps", str(forecast), str(capacity), "--committed", str(committed), "--json"
    )
    assert code == 1
    assert [(g["kind"], g["shortfall"]) for g in json.loads(out)] == [
        ("demand_above_maximum", 400),
        ("capacity_below_committed", 100),
    ]
    capacity.write_text(json.dumps(_capacity([("2026-W10", 1500, 1500)]).to_json()))
    code, out = _run("planning", "gaps", str(forecast), str(capacity))
    assert (code, out.strip()) == (0, "no gaps")


def test_gaps_bad_input_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"lines": [{"sku": "A", "week": "2026-W77", "forecast_qty": 1}]}')
    code, out = _run("planning", "gaps", str(bad), str(bad))
    assert code == 1
    assert out.startswith("Error:")
    assert "Traceback" not in out
    code, out = _run("planning", "gaps", str(tmp_path / "missing.json"), str(bad))
    assert code == 1
    assert "cannot read" in out


def test_verify_fact_offline(fab: Fab, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "fact.json"
    path.write_bytes(fab.bundle)
    key = tmp_path / "fab.vkey"
    key.write_text(fab.signer.vkey)
    code, out = _run(
        "planning",
        "verify-fact",
        str(path),
        "--vkey",
        str(key),
        "--witness",
        fab.witness.vkey,
        "--sku",
        "WAFER-7NM",
        "--expect",
        "2026-W10=1000",
    )
    assert code == 0, out
    assert "2026-W10: capacity below demand (demand 1000)" in out
    assert out.strip().endswith("OK: 1 capacity fact(s) verify")
    changed = bytearray(fab.bundle)
    changed[len(changed) // 2] ^= 1
    path.write_bytes(bytes(changed))
    code, out = _run("planning", "verify-fact", str(path), "--vkey", fab.signer.vkey, "--json")
    assert code == 1
    assert json.loads(out)["ok"] is False
    code, out = _run("planning", "verify-fact", str(path), "--vkey", "x", "--expect", "W10")
    assert code == 1
    assert "WEEK=QTY" in out
