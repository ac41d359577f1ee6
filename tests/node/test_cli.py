"""``scnode token|peer|db`` commands on a real home folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.app import make_engine
from node.auth.tokens import authenticate_token
from node.cli import main
from tests.node.helpers import vkey_of

pytest.importorskip("node.db")


def _run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SCNODE_DATABASE_URL", "SCNODE_HOME", "SCNODE_NODE_NAME"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def test_db_upgrade_creates_the_schema(home: Path) -> None:
    r = _run(home, "db", "upgrade")
    assert r.exit_code == 0, r.output
    assert (home / "scnode.sqlite").exists()
    assert _run(home, "db", "upgrade").exit_code == 0  # idempotent


def test_token_create_list_revoke(home: Path) -> None:
    r = _run(home, "token", "create", "--role", "operator", "--name", "erp")
    assert r.exit_code == 0, r.output
    token = r.stdout.strip()
    assert token.startswith("scn_")
    engine = make_engine(f"sqlite:///{home / 'scnode.sqlite'}")
    with engine.connect() as conn:
        principal = authenticate_token(conn, token)
    assert (principal.role.value, principal.name) == ("operator", "erp")
    listed = json.loads(_run(home, "token", "list", "--json").stdout)
    assert [(t["id"], t["role"], t["revoked_at"]) for t in listed] == [
        (principal.id, "operator", None)
    ]
    assert token not in _run(home, "token", "list").stdout
    assert _run(home, "token", "revoke", principal.id).exit_code == 0
    assert json.loads(_run(home, "token", "list", "--json").stdout)[0]["revoked_at"]
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["token", "create", "--role", "root"], "Invalid value for '--role'"),
        (["token", "revoke", "ffffffffffffffff"], "no token with id"),
        (
            ["peer", "add", "https://x.example", "--vkey", "junk", "--role", "partner"],
            "invalid vkey",
        ),
        (["peer", "add", "https://x.example", "--vkey", "a+b+c", "--role", "admin"], "--role"),
        (["peer", "remove", "0123456789abcdef"], "no active peer"),
        (["--home", "/dev/null/x", "db", "upgrade"], "database upgrade failed"),
    ],
)
def test_bad_input_is_one_clear_line(home: Path, args: list[str], needle: str) -> None:
    r = _run(home, *args)
    assert r.exit_code != 0
    assert needle in r.output
    assert "Traceback" not in r.output


def test_bad_database_url_is_refused(home: Path) -> None:
    r = _run(home, "db", "upgrade", "--database-url", "postgresql://u:changeme@db.example/x")
    assert r.exit_code == 1
    assert "placeholder password" in r.output
    assert "changeme" not in r.output


def test_peer_add_list_remove(home: Path) -> None:
    vkey = vkey_of("beta.example", Ed25519PrivateKey.generate())
    r = _run(
        home,
        "peer",
        "add",
        "https://beta.example:8470",
        "--vkey",
        vkey,
        "--role",
        "partner",
        "--json",
    )
    assert r.exit_code == 0, r.output
    added = json.loads(r.stdout)
    assert (added["url"], added["role"], added["status"]) == (
        "https://beta.example:8470",
        "partner",
        "active",
    )
    again = _run(home, "peer", "add", "https://beta.example", "--vkey", vkey, "--role", "bank")
    assert again.exit_code == 1
    assert "already registered" in again.output
    assert [p["id"] for p in json.loads(_run(home, "peer", "list", "--json").stdout)] == [
        added["id"]
    ]
    assert _run(home, "peer", "remove", added["id"]).exit_code == 0
    assert json.loads(_run(home, "peer", "list", "--json").stdout) == []
    assert len(json.loads(_run(home, "peer", "list", "--all", "--json").stdout)) == 1
