"""Attack: a tenant reading another tenant's data on a shared (SaaS) host.

Multi-tenant hosting does not exist yet: one deployment serves one node, with one
database, one key and one set of tokens. Until tenant isolation is built (and
tested here), the node must refuse to run as a multi-tenant host at all, rather
than serve several companies from one database with a single authorisation
domain. These tests hold that refusal in place at both ways of starting the app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from node.app import create_app
from node.cli import main
from node.settings import SettingsError, load_settings


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "host"
    made = CliRunner().invoke(main, ["--home", str(home), "init", "--name", "saas.example/host"])
    assert made.exit_code == 0, made.output
    return home


def test_the_app_refuses_multi_tenant_hosting(tmp_path: Path) -> None:
    home = _home(tmp_path)
    settings = load_settings(home=home, tenancy="multi")
    with pytest.raises(SettingsError, match="multi-tenant hosting"):
        create_app(settings)
    assert create_app(load_settings(home=home)) is not None  # single tenancy runs


def test_scnode_serve_refuses_multi_tenant_hosting(tmp_path: Path) -> None:
    home = _home(tmp_path)
    ran = CliRunner().invoke(
        main, ["--home", str(home), "serve", "--port", "9"], env={"SCNODE_TENANCY": "multi"}
    )
    assert ran.exit_code == 1, ran.output
    assert "multi-tenant hosting" in ran.output
    assert "Traceback" not in ran.output
    assert not isinstance(ran.exception, SettingsError)  # a clean CLI error, not a crash


@pytest.mark.parametrize("value", ["many", "shared", ""])
def test_unknown_tenancy_values_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="tenancy"):
        load_settings(home=tmp_path, tenancy=value)
