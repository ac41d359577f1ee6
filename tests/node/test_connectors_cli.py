"""``scnode connector odoo`` against a fake Odoo on loopback; credentials from the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli import main
from tests.node.connector_support import ODOO_KEY
from tests.node.test_connectors_api import fake_odoo  # noqa: F401  (fixture)


def test_odoo_stock_to_a_publishable_file(
    fake_odoo: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ODOO_KEY", ODOO_KEY)
    out = tmp_path / "stock.json"
    runner = CliRunner()
    result = runner.invoke(
        main, ["connector", "odoo", fake_odoo, "--api-key-env", "ODOO_KEY", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text())
    assert [p["sku"] for p in body["positions"]] == ["MOD-A1", "MOD-A1", "WAF-7NM"]
    result = runner.invoke(
        main, ["connector", "odoo", fake_odoo, "--api-key-env", "ODOO_KEY", "--what", "orders"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["po_number"] == "P00012"


def test_errors_are_one_line(fake_odoo: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    runner = CliRunner()
    monkeypatch.delenv("NO_SUCH_VAR", raising=False)
    result = runner.invoke(main, ["connector", "odoo", fake_odoo, "--api-key-env", "NO_SUCH_VAR"])
    assert result.exit_code == 1
    assert "NO_SUCH_VAR is not set" in result.output
    monkeypatch.setenv("WRONG", "wrong-key-value")
    result = runner.invoke(main, ["connector", "odoo", fake_odoo, "--api-key-env", "WRONG"])
    assert result.exit_code == 1
    assert "Invalid apikey" in result.output
    assert "wrong-key-value" not in result.output
    assert "Traceback" not in result.output
