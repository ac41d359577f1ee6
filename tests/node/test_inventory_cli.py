"""``scnode publish FILE``: the publishing path from the command line, no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.storage import LedgerStore
from node.app import make_engine
from node.cli import main
from node.inventory import AT_LEAST, BELOW
from node.settings import load_settings
from tests.node.inventory_support import (
    ORIGIN,
    ZH_SOURCE,
    canonical,
    write_profiles,
    zh_csv,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", ORIGIN])
    assert made.exit_code == 0, made.output
    write_profiles(home)
    return home


def _publish(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(home), "publish", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _ledger_size(home: Path) -> int:
    engine = make_engine(load_settings(home=home).database_url)
    try:
        store = LedgerStore.open(engine, ORIGIN)
        return sum(e.kind == "inventory.snapshot" for e in store.entries(0, store.size()))
    finally:
        engine.dispose()


def test_publish_a_chinese_export_and_canonical_positions(home: Path, tmp_path: Path) -> None:
    export = tmp_path / "库存.csv"
    export.write_bytes(zh_csv(8, below_every=3))
    code, out = _publish(home, str(export), "--source", ZH_SOURCE, "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["checkpoint_size"] > result["index"]
    assert result["positions"] == 8
    assert result["facts"] == {AT_LEAST: 5, BELOW: 3}
    assert result["mapping_profile"] == f"{ZH_SOURCE}@9"
    assert len(result["exceptions"]) == 3
    assert result["checkpoint"].startswith(f"{ORIGIN}\n{result['checkpoint_size']}\n")

    positions = tmp_path / "positions.json"
    positions.write_text(json.dumps(canonical(3)))
    code, out = _publish(home, str(positions))
    assert code == 0, out
    assert out.startswith("published snapshot ")
    assert "3 positions as ledger entry " in out
    assert f"{AT_LEAST}: 3" in out
    assert _ledger_size(home) == 2


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"", (), "refused: the body is empty"),
        (zh_csv(2), (), "refused: no source given"),
        (zh_csv(2).replace("单价".encode(), "颜色".encode()), ("--source", ZH_SOURCE), "颜色"),
        (b'{"positions": [{"sku": "A"}]}', (), "required_field"),
        (b"\x00\x01garbage" * 100, ("--source", ZH_SOURCE), "binary"),
    ],
    ids=["empty", "no-source", "unmapped-field", "missing-fields", "binary"],
)
def test_bad_files_fail_cleanly_and_publish_nothing(
    home: Path, tmp_path: Path, content: bytes, args: tuple[str, ...], message: str
) -> None:
    path = tmp_path / ("export.json" if content.startswith(b"{") else "export.csv")
    path.write_bytes(content)
    code, out = _publish(home, str(path), *args)
    assert code == 1
    assert message in out
    assert "Traceback" not in out
    assert _ledger_size(home) == 0


def test_missing_file_and_missing_node(home: Path, tmp_path: Path) -> None:
    code, out = _publish(home, str(tmp_path / "nope.csv"))
    assert code == 1
    assert "cannot read" in out
    path = tmp_path / "p.json"
    path.write_text(json.dumps(canonical(1)))
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "empty"), "publish", str(path)])
    assert result.exit_code == 1
    assert "no node in" in result.output
