"""The ``scnode`` command group, shared by every command module.

Command modules import :data:`main` (and :data:`bench`) from here and attach their
commands with decorators; :mod:`node.cli` imports them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from node.home import resolve_home

__all__ = ["CliContext", "CliError", "bench", "main", "pass_cli"]


class CliError(click.ClickException):
    """A clear, one-line error for the user; exit status 1, no traceback."""

    exit_code = 1

    def format_message(self) -> str:
        return self.message


@dataclass(frozen=True)
class CliContext:
    home: Path


pass_cli = click.make_pass_decorator(CliContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Home folder (keys, database, settings). Default: $SCNODE_HOME, else ./.scnode",
)
@click.version_option(package_name="scnode")
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """scnode: a supply-chain collaboration network node."""
    ctx.obj = CliContext(home=resolve_home(home))


@main.group()
def bench() -> None:
    """Benchmarks (figures for the README; use --json for machine-readable output)."""
