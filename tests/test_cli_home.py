from __future__ import annotations

from pathlib import Path

from node.home import resolve_home


def test_home_option_wins_over_environment() -> None:
    assert resolve_home("/tmp/a", {"SCNODE_HOME": "/tmp/b"}) == Path("/tmp/a")


def test_home_from_environment() -> None:
    assert resolve_home(None, {"SCNODE_HOME": "/tmp/b"}) == Path("/tmp/b")


def test_home_default_is_dot_scnode() -> None:
    assert resolve_home(None, {}) == Path(".scnode")
