"""``scnode verify``: offline (sockets disabled), per-entry report, clean failures."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ledger import canonical_json
from node.cli import main
from tests.ledger.logfactory import MemoryLog, log_signer, witness


class _NetworkUsed(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise _NetworkUsed("scnode verify must not open network connections")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="module")
def log() -> MemoryLog:
    log = MemoryLog()
    log.fill(25)
    return log


def _write(tmp_path: Path, data: bytes, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["verify", *args])


def _good(log: MemoryLog) -> bytes:
    return log.bundle([0, 7, 24], log.signed([log_signer()], witnesses=[witness(1), witness(2)]))


def _clean_failure(result: Result, *needles: str) -> None:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output


def test_verifies_offline(log: MemoryLog, tmp_path: Path) -> None:
    path = _write(tmp_path, _good(log))
    w = [witness(1).vkey, witness(2).vkey]
    result = _run(str(path), "--vkey", log_signer().vkey, "--witness", w[0], "--witness", w[1])
    assert result.exit_code == 0, result.output
    assert "OK: all 3 entries verify" in result.output
    assert result.output.count("ok   entry") == 3
    assert "witnesses 2/2 needed" in result.output


def test_json_report(log: MemoryLog, tmp_path: Path) -> None:
    path = _write(tmp_path, _good(log))
    result = _run(str(path), "--vkey", log_signer().vkey, "--witness", witness(1).vkey, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    assert [e["index"] for e in report["entries"]] == [0, 7, 24]
    assert report["entries"][1]["leaf_hash"] == log.entries[7].leaf_hash().hex()
    assert report["entries"][0]["witnesses"] == ["witness1.example"]


def test_vkey_from_file(log: MemoryLog, tmp_path: Path) -> None:
    path = _write(tmp_path, _good(log))
    key = tmp_path / "log.vkey"
    key.write_text(log_signer().vkey + "\n")
    assert _run(str(path), "--vkey", str(key), "--quorum", "0").exit_code == 0


def test_quorum_not_met(log: MemoryLog, tmp_path: Path) -> None:
    path = _write(tmp_path, _good(log))
    w = [witness(n).vkey for n in (1, 2, 3)]
    args = [str(path), "--vkey", log_signer().vkey]
    for vkey in w:
        args += ["--witness", vkey]
    _clean_failure(_run(*args), "FAILED: 3 of 3", "quorum is 3")
    assert _run(*args, "--quorum", "2").exit_code == 0


def test_wrong_key(log: MemoryLog, tmp_path: Path) -> None:
    path = _write(tmp_path, _good(log))
    other = log_signer(bytes([99]) * 32).vkey
    _clean_failure(_run(str(path), "--vkey", other), "not signed by any trusted log key")


def _doc(log: MemoryLog) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(_good(log))
    return doc


def test_tampered_leaf_names_the_entry(log: MemoryLog, tmp_path: Path) -> None:
    doc = _doc(log)
    leaf = json.loads(base64.b64decode(doc["entries"][1]["leaf"]))
    leaf["body"]["sku"] = "SKU-FORGED"
    doc["entries"][1]["leaf"] = base64.b64encode(canonical_json(leaf)).decode()
    path = _write(tmp_path, canonical_json(doc))
    result = _run(str(path), "--vkey", log_signer().vkey, "--quorum", "0")
    _clean_failure(result, "FAIL entry      7", "FAILED: 1 of 3")
    assert result.output.count("ok   entry") == 2


def test_truncated_proof(log: MemoryLog, tmp_path: Path) -> None:
    doc = _doc(log)
    head, note = doc["entries"][0]["proof"].split("\n\n", 1)
    doc["entries"][0]["proof"] = "\n".join(head.split("\n")[:-2]) + "\n\n" + note
    path = _write(tmp_path, canonical_json(doc))
    _clean_failure(_run(str(path), "--vkey", log_signer().vkey), "too few")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "malformed input"),
        (b"{not json", "malformed JSON"),
        (b"\xff\xfe\x00", "UTF-8"),
        (b'{"format": "other"}', "format"),
    ],
)
def test_malformed_bundle(tmp_path: Path, content: bytes, needle: str) -> None:
    path = _write(tmp_path, content)
    _clean_failure(_run(str(path), "--vkey", log_signer().vkey), needle)
    result = _run(str(path), "--vkey", log_signer().vkey, "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["ok"] is False


def test_garbage_base64(log: MemoryLog, tmp_path: Path) -> None:
    doc = _doc(log)
    doc["entries"][2]["leaf"] = "this is not base64!"
    path = _write(tmp_path, canonical_json(doc))
    _clean_failure(_run(str(path), "--vkey", log_signer().vkey), "entries[2]", "base64")


def test_bad_keys_and_paths(log: MemoryLog, tmp_path: Path) -> None:
    path = _write(tmp_path, _good(log))
    _clean_failure(_run(str(path), "--vkey", "not-a-key"), "verifier key")
    _clean_failure(_run(str(path), "--vkey", witness(1).vkey), "key type 0x04")
    _clean_failure(_run(str(tmp_path / "missing.json"), "--vkey", "x"), "not found")
    _clean_failure(_run(str(tmp_path), "--vkey", "x"), "directory")
    result = _run(str(path))
    assert result.exit_code != 0
    assert "--vkey" in result.output


def test_wrong_origin(log: MemoryLog, tmp_path: Path) -> None:
    path = _write(tmp_path, _good(log))
    result = _run(str(path), "--vkey", log_signer().vkey, "--quorum", "0", "--origin", "x.example")
    _clean_failure(result, "not 'x.example'")


def test_the_network_really_is_off() -> None:
    with pytest.raises(_NetworkUsed):
        socket.socket()


def test_nothing_is_written(log: MemoryLog, tmp_path: Path) -> None:
    good = _write(tmp_path, _good(log))
    bad = _write(tmp_path, b"{", "bad.json")
    before = sorted(p.name for p in tmp_path.iterdir())
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as cwd:
        assert (
            runner.invoke(main, ["verify", str(good), "--vkey", log_signer().vkey]).exit_code == 0
        )
        assert runner.invoke(main, ["verify", str(bad), "--vkey", log_signer().vkey]).exit_code == 1
        assert list(Path(cwd).iterdir()) == []
    after = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert after == [n for n in before if (tmp_path / n).is_file()]
