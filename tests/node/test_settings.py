"""Settings: sources and their order, safe defaults, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SCNODE_"):
            monkeypatch.delenv(name)


def test_defaults_are_local_and_sqlite_in_home(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    assert s.database_url == f"sqlite:///{(tmp_path / 'scnode.sqlite').absolute()}"
    assert s.host == "127.0.0.1"
    assert s.workers == 1
    assert s.tenancy == "single"
    assert s.run_migrations is True
    assert not any("token" in name for name in Settings.model_fields)


def test_home_toml_then_env_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scnode.toml").write_text('port = 9001\nnode_name = "from-file"\nworkers = 3\n')
    monkeypatch.setenv("SCNODE_HOME", str(tmp_path))
    s = load_settings()
    assert (s.port, s.node_name, s.workers) == (9001, "from-file", 3)
    monkeypatch.setenv("SCNODE_PORT", "9002")
    assert load_settings().port == 9002
    assert load_settings(port=9003, workers=None).port == 9003
    assert load_settings(port=9003, workers=None).workers == 3


def test_database_url_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://scnode:scnode@127.0.0.1:5432/scnode"
    monkeypatch.setenv("SCNODE_DATABASE_URL", url)
    s = load_settings(home=tmp_path)
    assert s.database_url == url
    assert s.database_backend == "postgresql"
    assert "scnode@" not in s.redacted_database_url().split("//", 1)[1].split(":", 1)[0] or (
        "***" in s.redacted_database_url()
    )
    assert "***" in s.redacted_database_url()


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("database_url", "postgresql://u:changethis@db.example:5432/x", "placeholder password"),
        ("database_url", "postgresql://u@db.example/x", "placeholder password"),
        ("database_url", "mysql://u:p@h/x", "sqlite:// or postgresql://"),
        ("database_url", "::not a url::", "not a valid database URL"),
        ("port", 70000, "port"),
        ("workers", 0, "workers"),
        ("tenancy", "many", "tenancy"),
        ("node_name", "a b", "node_name"),
        ("public_url", "ftp://x", "public_url"),
    ],
)
def test_refused(tmp_path: Path, field: str, value: object, needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        load_settings(home=tmp_path, **{field: value})


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "scnode.toml").write_text('admin_token = "changethis"\n')
    with pytest.raises(SettingsError, match="admin_token"):
        load_settings(home=tmp_path)


def test_environment_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings(home=tmp_path, port=8123, workers=2, node_name="n1", run_migrations=False)
    for name, value in s.as_environment().items():
        monkeypatch.setenv(name, value)
    assert load_settings() == s
