"""``scnode tenant ...`` and ``scnode db upgrade`` / ``serve`` on a multi-tenant host."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from node.app import make_engine
from node.cli import main
from node.settings import load_settings
from node.tenancy import SEALED_PREFIX, tenants


def _run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args])


def test_create_list_suspend_resume_token(tmp_path: Path) -> None:
    home = tmp_path / "host"
    made = _run(home, "tenant", "create", "acme.example/node", "--json")
    assert made.exit_code == 0, made.output
    body = json.loads(made.output)
    assert body["path"] == f"/t/{body['id']}"
    assert body["token"].startswith("scn_")
    assert (home / "master.key").stat().st_mode & 0o777 == 0o600
    listed = _run(home, "tenant", "list", "--json")
    assert listed.exit_code == 0
    assert [t["id"] for t in json.loads(listed.output)] == [body["id"]]
    assert body["token"] not in listed.output
    assert SEALED_PREFIX not in listed.output
    stopped = _run(home, "tenant", "suspend", body["id"])
    assert stopped.exit_code == 0
    assert "suspended" in stopped.output
    assert "active" in _run(home, "tenant", "resume", body["id"]).output
    token = _run(home, "tenant", "token", body["id"], "--role", "operator", "--name", "erp")
    assert token.exit_code == 0, token.output
    assert token.output.startswith("scn_")
    plain = _run(home, "tenant", "create", "other.example/node")
    assert plain.exit_code == 0
    assert plain.output.splitlines()[0].startswith("scn_")  # the token, on stdout
    # the registry row holds the sealed keys only
    engine = make_engine(load_settings(home=home).database_url)
    try:
        with engine.connect() as conn:
            sealed = conn.execute(select(tenants.c.sealed_keys)).scalars().all()
    finally:
        engine.dispose()
    assert all(s.startswith(SEALED_PREFIX) for s in sealed)
    assert not list(home.glob("tenants/*/keys"))  # no key files on disk


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    home = tmp_path / "host"
    assert _run(home, "tenant", "create", "acme.example/node").exit_code == 0
    for args, needle in (
        (("tenant", "create", "acme.example/node"), "already exists"),
        (("tenant", "create", "bad name"), "invalid tenant name"),
        (("tenant", "suspend", "0000000000000000"), "no tenant"),
        (("tenant", "token", "0000000000000000", "--role", "admin"), "no tenant"),
    ):
        ran = _run(home, *args)
        assert ran.exit_code == 1, args
        assert needle in ran.output
        assert "Traceback" not in ran.output
    (home / "master.key").chmod(0o644)
    exposed = _run(home, "tenant", "token", _first_id(home), "--role", "admin")
    assert exposed.exit_code == 0  # a tenant token needs no keys
    refused = _run(home, "tenant", "create", "third.example/node")
    assert refused.exit_code == 1
    assert "readable by others" in refused.output


def _first_id(home: Path) -> str:
    listed = json.loads(_run(home, "tenant", "list", "--json").output)
    return str(listed[0]["id"])


def test_db_upgrade_upgrades_the_tenants_too(tmp_path: Path) -> None:
    home = tmp_path / "host"
    assert _run(home, "tenant", "create", "acme.example/node").exit_code == 0
    done = _run(home, "db", "upgrade")
    assert done.exit_code == 0, done.output
    assert "1 tenant(s)" in done.output


def test_serve_refuses_a_bad_tenant_cache(tmp_path: Path) -> None:
    ran = _run(tmp_path / "host", "serve", "--multi-tenant", "--tenant-cache", "0", "--port", "9")
    assert ran.exit_code == 1
    assert "tenant_cache" in ran.output
    assert "Traceback" not in ran.output
