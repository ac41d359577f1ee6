"""``scnode finance`` and ``scnode verify`` on a financing bundle, through the real CLI:
borrower and bank are two node homes; the pledge travels as files between them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from node.cli import main

BORROWER = "borrower.example/module-maker"
BANK = "bank-a.example"


def _run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args])


def _ok(home: Path, *args: str) -> str:
    got = _run(home, *args)
    assert got.exit_code == 0, got.output
    return got.output


def _month() -> str:
    """Yesterday to tomorrow (UTC): holds a snapshot taken a minute ago at any hour."""
    today = datetime.now(UTC).date()
    return f"{today - timedelta(days=1)}..{today + timedelta(days=1)}"


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, Path]:
    return make_homes(tmp_path_factory.mktemp("finance-cli"))


def _snapshot(root: Path, available: int) -> Path:
    as_of = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    position = {
        "sku": "CHIP-000",
        "location": "FAB1",
        "as_of": as_of,
        "quantities": {"available": available, "in_transit": 0, "in_inspection": 0},
        "safety_stock": 10,
    }
    path = root / f"stock-{available}.json"
    path.write_text(json.dumps({"positions": [position]}))
    return path


def make_homes(root: Path) -> tuple[Path, Path, str, Path]:
    """Borrower and bank homes, one snapshot, a grant, a pledge, and the exported bundle."""
    borrower, bank = root / "borrower", root / "bank"
    log_vkey = _ok(borrower, "init", "--name", BORROWER).strip()
    bank_vkey = _ok(bank, "init", "--name", BANK).strip()
    _ok(bank, "finance", "registry-key", "--new")  # the first bank of its network
    as_of = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    snapshot = root / "stock.json"
    snapshot.write_text(
        json.dumps(
            {
                "positions": [
                    {
                        "sku": "CHIP-000",
                        "location": "FAB1",
                        "as_of": as_of,
                        "quantities": {"available": 1000, "in_transit": 0, "in_inspection": 0},
                        "safety_stock": 10,
                    }
                ]
            }
        )
    )
    _ok(borrower, "publish", str(snapshot), "--json")
    grant = json.loads(
        _ok(
            borrower,
            "finance",
            "grant",
            "--bank",
            BANK,
            "--sku",
            "CHIP-000",
            "--site",
            "FAB1",
            "--period",
            _month(),
        )
    )
    request = root / "request.json"
    _ok(
        borrower,
        "finance",
        "pledge",
        "request",
        "--grant",
        grant["grant"]["id"],
        "--bank-vkey",
        bank_vkey,
        "--sku",
        "CHIP-000",
        "--site",
        "FAB1",
        "--quantity",
        "700",
        "--period",
        _month(),
        "--out",
        str(request),
    )
    signature = root / "bank.sig"
    shown = _ok(bank, "finance", "pledge", "sign", str(request), "--out", str(signature))
    assert "0 earlier pledge(s)" in shown
    assert "asked 0 other bank registries" in shown
    assert "collateral registered in this bank's log" in shown
    pledge_id = json.loads(request.read_text())["pledge"]["id"]
    out = _ok(borrower, "finance", "pledge", "complete", pledge_id, "--signature", str(signature))
    assert "coverage proven" in out
    bundle = root / "bundle.json"
    _ok(borrower, "finance", "export", "--bank", BANK, "--period", _month(), "--out", str(bundle))
    (root / "bank.vkey").write_text(bank_vkey)
    return borrower, bank, log_vkey, bundle


def test_verify_prints_the_credit_officer_report(homes: tuple[Path, Path, str, Path]) -> None:
    _borrower, bank, log_vkey, bundle = homes
    got = _run(
        bank,
        "verify",
        str(bundle),
        "--vkey",
        log_vkey,
        "--bank-vkey",
        str(bundle.parent / "bank.vkey"),
        "--max-gap-hours",
        "1000",
    )
    assert got.exit_code == 0, got.output
    assert f"Financing evidence from {BORROWER} for bank {BANK}" in got.output
    assert "Lowest proven coverage: 125 %" in got.output  # 1000 against 700
    assert "OK: the financing evidence verifies" in got.output
    as_json = json.loads(
        _ok(bank, "verify", str(bundle), "--vkey", log_vkey, "--json", "--max-gap-hours", "1000")
    )
    assert as_json["ok"] is True
    assert as_json["lowest_ratio_bp"] == 12_500


def test_verify_fails_on_a_changed_byte_and_on_gaps(homes: tuple[Path, Path, str, Path]) -> None:
    _borrower, bank, log_vkey, bundle = homes
    data = bytearray(bundle.read_bytes())
    at = data.index(b'"proof":"') + 40  # inside the first inclusion proof text
    data[at] = ord("A") if data[at] != ord("A") else ord("B")
    changed = bundle.parent / "changed.json"
    changed.write_bytes(bytes(data))
    got = _run(bank, "verify", str(changed), "--vkey", log_vkey, "--max-gap-hours", "1000")
    assert got.exit_code == 1
    assert "Traceback" not in got.output
    # The pledge runs to the end of the month: a tight gap limit finds the stretch
    # with no snapshot after the only one.
    gaps = _run(bank, "verify", str(bundle), "--vkey", log_vkey, "--max-gap-hours", "1")
    assert gaps.exit_code == 1
    assert "Gaps (no proven coverage for more than 1 h)" in gaps.output


def test_second_pledge_beyond_the_stock_is_refused(homes: tuple[Path, Path, str, Path]) -> None:
    borrower, bank, _log_vkey, bundle = homes
    registry = json.loads(
        _ok(
            borrower,
            "finance",
            "registry",
            "--sku",
            "CHIP-000",
            "--site",
            "FAB1",
            "--period",
            _month(),
        )
    )
    assert len(registry["pledges"]) == 1
    grant = json.loads(
        _ok(
            borrower,
            "finance",
            "grant",
            "--bank",
            BANK,
            "--sku",
            "CHIP-000",
            "--site",
            "FAB1",
            "--period",
            _month(),
        )
    )
    request = bundle.parent / "second.json"
    _ok(
        borrower,
        "finance",
        "pledge",
        "request",
        "--grant",
        grant["grant"]["id"],
        "--bank-vkey",
        str(bundle.parent / "bank.vkey"),
        "--sku",
        "CHIP-000",
        "--site",
        "FAB1",
        "--quantity",
        "400",
        "--period",
        _month(),
        "--out",
        str(request),
    )
    signature = bundle.parent / "second.sig"
    shown = _ok(bank, "finance", "pledge", "sign", str(request), "--out", str(signature))
    assert "1 earlier pledge(s)" in shown  # what the bank compares with the registry
    # the bank's own registry holds the first pledge, which the request names
    assert "holds pledge" in shown
    pledge_id = json.loads(request.read_text())["pledge"]["id"]
    got = _run(borrower, "finance", "pledge", "complete", pledge_id, "--signature", str(signature))
    assert got.exit_code == 1
    assert "cannot cover" in got.output
    assert "Traceback" not in got.output


def test_cover_names_a_snapshot_the_stock_cannot_cover_and_verify_fails_it(
    tmp_path: Path,
) -> None:
    borrower, bank, log_vkey, _bundle = make_homes(tmp_path)
    _ok(borrower, "publish", str(_snapshot(tmp_path, 1100)), "--json")
    _ok(borrower, "publish", str(_snapshot(tmp_path, 650)), "--json")  # below the 700 pledged
    got = _run(borrower, "finance", "cover")
    assert got.exit_code == 1
    assert "1 coverage proof(s) logged" in got.output  # the 1100 one
    assert "cannot cover its 1 pledge(s): no coverage proof" in got.output
    assert "Traceback" not in got.output
    again = _run(borrower, "finance", "cover")  # idempotent: nothing new to prove
    assert "0 coverage proof(s) logged" in again.output
    bundle = tmp_path / "bundle2.json"
    _ok(borrower, "finance", "export", "--bank", BANK, "--period", _month(), "--out", str(bundle))
    report = _run(bank, "verify", str(bundle), "--vkey", log_vkey, "--max-gap-hours", "1000")
    assert report.exit_code == 1
    assert "Snapshots under pledge: 3, with verified coverage: 2" in report.output
    assert "Snapshots without proven coverage: 1" in report.output
    assert "coverage NOT proven" in report.output
    as_json = json.loads(
        _run(
            bank, "verify", str(bundle), "--vkey", log_vkey, "--json", "--max-gap-hours", "1000"
        ).output
    )
    assert as_json["ok"] is False
    assert len(as_json["uncovered"]) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        pytest.param(
            ["finance", "export", "--bank", "x", "--period", "2026-13", "--out", "f"],
            "period",
            id="bad-period",
        ),
        pytest.param(
            ["finance", "pledge", "complete", "nope", "--signature", "x"],
            "no pledge",
            id="unknown-pledge",
        ),
        pytest.param(
            ["finance", "export", "--bank", "nobody", "--period", "2026-11", "--out", "f.json"],
            "no pledge to nobody",
            id="no-pledge",
        ),
    ],
)
def test_bad_input_is_one_line(
    homes: tuple[Path, Path, str, Path], args: list[str], needle: str
) -> None:
    borrower = homes[0]
    got = _run(borrower, *args)
    assert got.exit_code == 1
    assert needle in got.output
    assert "Traceback" not in got.output


def test_forward_a_supplier_fact_and_verify_it(tmp_path: Path) -> None:
    supplier = tmp_path / "fab"
    vkey = _ok(supplier, "init", "--name", "fab.example/wafers").strip()
    as_of = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    stock = tmp_path / "wafers.json"
    stock.write_text(
        json.dumps(
            {
                "positions": [
                    {
                        "sku": "WAFER-8",
                        "location": "FAB1",
                        "as_of": as_of,
                        "quantities": {"available": 900, "in_transit": 0, "in_inspection": 0},
                        "safety_stock": 200,
                    }
                ]
            }
        )
    )
    done = json.loads(_ok(supplier, "publish", str(stock), "--json"))
    evidence = tmp_path / "evidence.json"
    _ok(supplier, "ledger", "export", "--out", str(evidence))
    doc = json.loads(evidence.read_text())
    [item] = [e for e in doc["entries"] if e["index"] == done["index"]]
    leaf = json.loads(base64.b64decode(item["leaf"]))
    subject = leaf["body"]["positions"][0]["subject"]
    forwarded = tmp_path / "forwarded.json"
    fact = f"{item['index']}:{subject}:available_at_least_safety_stock"
    _ok(
        tmp_path / "module",
        "finance",
        "forward",
        str(evidence),
        "--fact",
        fact,
        "--via",
        "module.example",
        "--out",
        str(forwarded),
    )
    got = _run(tmp_path / "phone", "verify", str(forwarded), "--vkey", vkey)
    assert got.exit_code == 0, got.output
    assert "OK: all 1 forwarded fact(s) verify" in got.output
    assert "range proof verifies" in got.output
    # Claiming a fact the supplier did not state fails.
    wrong = tmp_path / "wrong.json"
    _ok(
        tmp_path / "module",
        "finance",
        "forward",
        str(evidence),
        "--fact",
        f"{item['index']}:{subject}:available_below_safety_stock",
        "--out",
        str(wrong),
    )
    bad = _run(tmp_path / "phone", "verify", str(wrong), "--vkey", vkey)
    assert bad.exit_code == 1
    assert "stated no" in bad.output
