"""``scnode demo``: the three-tier network on loopback, narrated."""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

import click

from node.cli._app import CliError, main
from node.cli._progress import progress

#: setup ticks (4 homes, 4 servers) + publishing + the later steps
_TICKS = 8 + 1 + 4


@main.command("demo")
@click.option("--keep-running", is_flag=True, help="Leave the nodes up until Ctrl-C.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary only.")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the nodes' homes (default: a temporary folder, removed afterwards).",
)
def demo(keep_running: bool, as_json: bool, workdir: Path | None) -> None:
    """Run the fab -> module maker -> phone maker network with a bank, end to end."""
    from node.demo import DemoError, run_week, summary, write_tokens

    lines: list[str] = []

    def say(text: str) -> None:
        if as_json:
            return
        lines.append(text)

    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        if any(workdir.iterdir()):
            raise CliError(f"--workdir {workdir} is not empty")
        root_ctx: Any = _Kept(workdir)
    else:
        root_ctx = tempfile.TemporaryDirectory(prefix="scnode-demo-")
    with root_ctx as root:
        with progress("three-tier week", _TICKS, quiet=as_json) as advance:
            try:
                week = run_week(Path(root), say=say, tick=lambda: advance(1))
            except DemoError as exc:
                raise CliError(f"the demo could not start: {exc}") from None
        try:
            result = summary(week)
            if as_json:
                click.echo(json.dumps(result, indent=2, ensure_ascii=False))
            else:
                click.echo("\n".join(lines))
                click.echo("")
                click.echo(f"Wall time: {result['wall_s']} s")
            if keep_running:
                _wait(week.nodes, write_tokens(week, Path(root)), as_json)
        finally:
            week.stop()


class _Kept:
    """A working folder the caller asked for: kept afterwards."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> str:
        return str(self.path)

    def __exit__(self, *_exc: object) -> None:
        return None


def _wait(nodes: dict[str, Any], tokens: Path, as_json: bool) -> None:
    if not as_json:
        click.echo("Nodes keep running (Ctrl-C to stop):")
        for label, node in nodes.items():
            click.echo(f"  {label:<7} {node.url}  dashboard: {node.url}/dashboard")
        click.echo(f"Admin tokens (for the dashboard and the API): {tokens}")
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        signal.signal(signal.SIGINT, previous)
