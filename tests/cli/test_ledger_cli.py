"""``scnode init`` / ``ledger ...`` / ``key ...`` end to end, with a temporary home."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from ledger import (
    NoteVerifier,
    TlogProof,
    leaf_hash,
    open_checkpoint,
    verify_bundle,
    verify_inclusion,
)
from ledger.storage import LedgerStore
from ledger.storage._schema import entries
from node.cli import main
from node.cli._app import CliError
from node.cli.ledger_cmd import parse_entries_spec
from node.db import create_engine

NAME = "acme.example/ledger"


def run(home: Path, *args: str) -> Result:
    runner = CliRunner()
    return runner.invoke(main, ["--home", str(home), *args], env={"SCNODE_DATABASE_URL": None})


def ok(home: Path, *args: str) -> str:
    result = run(home, *args)
    assert result.exit_code == 0, result.output
    return result.output


def failed(home: Path, *args: str) -> str:
    """Run a command that must fail cleanly: exit 1, a message, no traceback."""
    result = run(home, *args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "node"
    vkey = ok(home, "init", "--name", NAME).strip()
    assert NoteVerifier.from_vkey(vkey).name == NAME
    return home


def _vkey(home: Path) -> str:
    return (home / "keys" / "log.vkey").read_text().strip()


def _append(home: Path, n: int) -> None:
    for i in range(n):
        ok(home, "ledger", "append", "--kind", "inventory.snapshot", "--body", f'{{"n":{i}}}')


def _store(home: Path) -> LedgerStore:
    return LedgerStore.open(create_engine(f"sqlite:///{home / 'scnode.sqlite'}"), NAME)


def test_init_creates_keys_database_and_settings(home: Path) -> None:
    skey = home / "keys" / "log.skey"
    assert stat.S_IMODE(skey.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "scnode.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "scnode.sqlite").stat().st_mode) == 0o600
    assert 'node_name = "acme.example/ledger"' in (home / "scnode.toml").read_text()
    assert "PRIVATE" not in _vkey(home)
    store = _store(home)
    assert store.size() == 0
    assert store.checkpoint() is not None  # the empty log's checkpoint is signed


def test_init_refuses_to_overwrite_a_node(home: Path) -> None:
    before = (home / "keys" / "log.skey").read_bytes()
    out = failed(home, "init", "--name", "other.example")
    assert "already exists" in out
    assert (home / "keys" / "log.skey").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "has space"], "key name"),
        (["--name", "a+b"], "key name"),
        (["--name", NAME, "--database-url", "mysql://x@localhost/db"], "database_url"),
        (
            ["--name", NAME, "--database-url", "postgresql+psycopg://u:pw@127.0.0.1:1/x"],
            "cannot upgrade",
        ),
    ],
)
def test_init_with_bad_input_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    home = tmp_path / "fresh"
    out = failed(home, "init", *args)
    assert message in out
    assert "pw@" not in out
    assert not home.exists()


def test_init_in_an_existing_folder_cleans_up_after_failure(tmp_path: Path) -> None:
    home = tmp_path / "existing"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    failed(home, "init", "--name", NAME, "--database-url", "postgresql+psycopg://u:p@127.0.0.1:1/x")
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]


def test_append_prints_index_leaf_hash_and_a_signed_checkpoint(home: Path) -> None:
    out = ok(home, "ledger", "append", "--kind", "inventory.snapshot", "--body", '{"sku":"A"}')
    head, _, note = out.partition("\n\n")
    assert head.splitlines()[0] == "index 0"
    digest = bytes.fromhex(head.splitlines()[1].removeprefix("leaf hash "))
    cp = open_checkpoint(note, [NoteVerifier.from_vkey(_vkey(home))], origin=NAME)
    assert cp.size == 1
    verify_inclusion(digest, 0, 1, [], cp.root)
    data = json.loads(ok(home, "ledger", "append", "--kind", "po.issued", "--body", "{}", "--json"))
    assert data["index"] == 1
    assert bytes.fromhex(data["leaf_hash"]) == _store(home).entry(1).leaf_hash


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("inventory.snapshot", '{"sku":', "not valid JSON"),
        ("inventory.snapshot", "[1, 2]", "JSON object"),
        ("inventory.snapshot", '{"a": NaN}', "not valid JSON"),
        ("Not A Kind", "{}", "kind"),
        ("key.rotate", "{}", "scnode key rotate"),
    ],
)
def test_append_with_bad_input_writes_nothing(
    home: Path, kind: str, body: str, message: str
) -> None:
    out = failed(home, "ledger", "append", "--kind", kind, "--body", body)
    assert message in out
    assert _store(home).size() == 0


def test_commands_without_a_node_say_so(tmp_path: Path) -> None:
    for args in (["ledger", "verify"], ["ledger", "append", "--kind", "a", "--body", "{}"]):
        assert "no node" in failed(tmp_path / "none", *args)


def test_verify_passes_then_names_the_first_tampered_entry(home: Path) -> None:
    _append(home, 6)
    assert ok(home, "ledger", "verify").startswith("ok: 6 entries")
    report = json.loads(ok(home, "ledger", "verify", "--json"))
    assert (report["ok"], report["size"]) == (True, 6)
    store = _store(home)
    leaf = store.entry(3).leaf or b""
    with store.engine.begin() as conn:
        conn.execute(
            update(entries).where(entries.c.seq == 3).values(leaf=leaf.replace(b'"n":3', b'"n":9'))
        )
    out = failed(home, "ledger", "verify")
    assert "entry 3" in out
    result = run(home, "ledger", "verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["first_bad_index"] == 3


def test_export_writes_a_bundle_that_verifies_offline(home: Path, tmp_path: Path) -> None:
    _append(home, 12)
    out = tmp_path / "bundle.json"
    ok(home, "ledger", "export", "--out", str(out), "--entries", "0-3,7, 11")
    report = verify_bundle(out.read_bytes(), vkeys=[_vkey(home)])
    assert [e.index for e in report.entries] == [0, 1, 2, 3, 7, 11]
    ok(home, "ledger", "export", "--out", str(out))
    assert len(verify_bundle(out.read_bytes(), vkeys=[_vkey(home)]).entries) == 12


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("0-12", "beyond the log"),
        ("5-2", "backwards"),
        ("x", "not N or N-M"),
        ("1,,2", "not N or N-M"),
    ],
)
def test_export_with_bad_entries_writes_nothing(
    home: Path, tmp_path: Path, spec: str, message: str
) -> None:
    _append(home, 12)
    out = tmp_path / "bundle.json"
    assert message in failed(home, "ledger", "export", "--out", str(out), "--entries", spec)
    assert not out.exists()
    assert list(tmp_path.glob(".bundle*")) == []


def test_export_refuses_deleted_payloads(home: Path, tmp_path: Path) -> None:
    _append(home, 4)
    _store(home).delete_payloads([2])
    out = tmp_path / "b.json"
    assert "deleted" in failed(home, "ledger", "export", "--out", str(out), "--entries", "2")
    assert not out.exists()
    ok(home, "ledger", "export", "--out", str(out))  # default: entries with payloads
    assert [e.index for e in verify_bundle(out.read_bytes(), vkeys=[_vkey(home)]).entries] == [
        0,
        1,
        3,
    ]
    assert ok(home, "ledger", "verify").startswith("ok: 4 entries")


def test_prove_prints_a_tlog_proof_that_verifies(home: Path) -> None:
    _append(home, 9)
    text = ok(home, "ledger", "prove", "--index", "4")
    proof = TlogProof.from_text(text)
    cp = open_checkpoint(proof.checkpoint, [NoteVerifier.from_vkey(_vkey(home))])
    assert (proof.index, cp.size) == (4, 9)
    digest = leaf_hash(_store(home).entry(4).leaf or b"")
    verify_inclusion(digest, 4, 9, list(proof.proof), cp.root)
    older = json.loads(ok(home, "ledger", "prove", "--index", "2", "--size", "5", "--json"))
    assert older["size"] == 5
    verify_inclusion(
        bytes.fromhex(older["leaf_hash"]),
        2,
        5,
        [bytes.fromhex(h) for h in older["proof"]],
        bytes.fromhex(older["root"]),
    )
    assert "no signed checkpoint" in failed(home, "ledger", "prove", "--index", "1", "--size", "99")
    assert "not in the checkpoint" in failed(home, "ledger", "prove", "--index", "9")


def test_checkpoint_command_signs_the_current_size(home: Path) -> None:
    _append(home, 2)
    data = json.loads(ok(home, "ledger", "checkpoint", "--json"))
    assert data["size"] == 2
    assert ok(home, "ledger", "checkpoint") == data["checkpoint"]


def test_key_rotation_keeps_the_log_verifiable(home: Path, tmp_path: Path) -> None:
    first = _vkey(home)
    _append(home, 3)
    out = ok(home, "key", "rotate", "--overlap-hours", "1")
    second = _vkey(home)
    assert second != first
    assert second in out
    _append(home, 2)
    cp = _store(home).checkpoint()
    assert cp is not None
    for vkey in (first, second):  # during the overlap both keys sign
        open_checkpoint(cp.text, [NoteVerifier.from_vkey(vkey)])
    bundle = tmp_path / "b.json"
    ok(home, "ledger", "export", "--out", str(bundle))
    report = verify_bundle(bundle.read_bytes(), vkeys=[first])  # pinned: the first key
    assert len(report.entries) == 6
    assert "retired" in ok(home, "key", "retire", "--all")
    _append(home, 1)
    cp = _store(home).checkpoint()
    assert cp is not None
    with pytest.raises(Exception, match="not signed by any trusted"):
        open_checkpoint(cp.text, [NoteVerifier.from_vkey(first)])
    ok(home, "ledger", "export", "--out", str(bundle))
    verify_bundle(bundle.read_bytes(), vkeys=[first])
    assert ok(home, "ledger", "verify").startswith("ok: 7 entries")
    assert ok(home, "key", "show").splitlines()[0] == second


def test_exposed_private_key_is_refused(home: Path) -> None:
    (home / "keys" / "log.skey").chmod(0o644)
    assert "readable by others" in failed(home, "ledger", "checkpoint")


def test_node_on_either_database(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "db-node"
    ok(home, "init", "--name", NAME, "--database-url", database_url)
    assert database_url.split("://", maxsplit=1)[0] in (home / "scnode.toml").read_text()
    _append(home, 3)
    assert ok(home, "ledger", "verify").startswith("ok: 3 entries")


def test_entries_spec_parser() -> None:
    assert parse_entries_spec("0-2,5,1", 6) == [0, 1, 2, 5]
    assert parse_entries_spec(" 3 ", 4) == [3]
    for bad in ("", "-1", "1-", "a-b", "٣", "4"):
        with pytest.raises(CliError):
            parse_entries_spec(bad, 4)


def test_forget_deletes_payloads_and_keeps_proofs(home: Path, tmp_path: Path) -> None:
    _append(home, 5)
    data = json.loads(ok(home, "ledger", "forget", "--entries", "1-2", "--json"))
    assert data == {"deleted": 2, "requested": 2}
    assert "deleted 0 payload(s)" in ok(home, "ledger", "forget", "--entries", "2")
    assert "beyond the log" in failed(home, "ledger", "forget", "--entries", "9")
    assert _store(home).entry(1).leaf is None
    proof = TlogProof.from_text(ok(home, "ledger", "prove", "--index", "1"))
    cp = open_checkpoint(proof.checkpoint, [NoteVerifier.from_vkey(_vkey(home))])
    verify_inclusion(_store(home).entry(1).leaf_hash, 1, cp.size, list(proof.proof), cp.root)
    assert ok(home, "ledger", "verify").startswith("ok: 5 entries")
