"""``scnode exception list|show|ack|comment|resolve``, ``scnode rules show|publish``
and ``scnode bench governance``.

The CLI acts as this node's staff: it acknowledges the cases assigned to this
node, and comments on or resolves the cases this node raised or is assigned.
Every transition is appended to the node's ledger, as through the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from governance import ExceptionType, GovernanceError, rule_set_from_json
from node.api.node_log import NodeLog
from node.api.problems import ProblemError
from node.cli._app import CliContext, CliError, bench, main, pass_cli
from node.cli._progress import progress
from node.cli._service import cli_settings, migrated_engine
from node.governance import GovernanceService
from node.governance._db import write_transaction
from node.governance._rules import rule_set_document
from node.governance._service import all_cases
from node.governance._views import case_view

__all__ = ["bench_governance", "exception", "rules"]

MAX_RULES_FILE = 1024 * 1024


@contextmanager
def _service(cli: CliContext) -> Iterator[GovernanceService]:
    settings = cli_settings(cli)
    with migrated_engine(settings) as engine:
        service = GovernanceService(engine, NodeLog(settings, engine))
        try:
            service.start()
            yield service
        except ProblemError as exc:
            raise CliError(exc.detail) from None
        except GovernanceError as exc:
            raise CliError(str(exc)) from None


def _echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def _line(case: dict[str, Any]) -> str:
    due = case["next_deadline_display"] or "-"
    return (
        f"{case['id']}  {case['type']:<18}  {case['state']:<12}  {case['sla_state']:<8}  "
        f"{case['assignee']}  {case['subject']}  due {due}"
    )


# -- scnode exception ----------------------------------------------------------


@main.group()
def exception() -> None:
    """Exception cases with SLA clocks (governance)."""


@exception.command("list")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved cases")
@click.option("--type", "types", multiple=True, type=click.Choice([t.value for t in ExceptionType]))
@click.option("--assignee", default=None, help="Only cases assigned to this node id")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def exception_list(
    cli: CliContext,
    *,
    include_resolved: bool,
    types: tuple[str, ...],
    assignee: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List exception cases, newest first (unresolved only unless --all)."""
    with _service(cli) as service:
        found = all_cases(service, unresolved_only=not include_resolved, types=list(types))
        if assignee is not None:
            found = [c for c in found if c.assignee == assignee]
        views = [case_view(service, c) for c in found[:limit]]
    if as_json:
        _echo_json(views)
        return
    if not views:
        click.echo("no exception cases")
    for view in views:
        click.echo(_line(view))


def _act(cli: CliContext, case_id: str, action: str, text: str | None, as_json: bool) -> None:
    with _service(cli) as service:
        try:
            service.visible_case(case_id, None)
        except LookupError:
            raise CliError(f"no exception case {case_id!r}") from None
        case = service.act(case_id, action, by=service.origin, text=text)
        view = case_view(service, case)
    if as_json:
        _echo_json(view)
    else:
        click.echo(_line(view))


@exception.command("show")
@click.argument("case_id")
@pass_cli
def exception_show(cli: CliContext, case_id: str) -> None:
    """Show one case with its comments and ledger events (JSON)."""
    with _service(cli) as service:
        try:
            view = case_view(service, service.visible_case(case_id, None))
        except LookupError:
            raise CliError(f"no exception case {case_id!r}") from None
    _echo_json(view)


@exception.command("ack")
@click.argument("case_id")
@click.option("--note", default=None, help="An optional note")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def exception_ack(cli: CliContext, case_id: str, note: str | None, as_json: bool) -> None:
    """Acknowledge a case assigned to this node."""
    _act(cli, case_id, "ack", note, as_json)


@exception.command("comment")
@click.argument("case_id")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def exception_comment(cli: CliContext, case_id: str, text: str, as_json: bool) -> None:
    """Comment on an unresolved case."""
    _act(cli, case_id, "comment", text, as_json)


@exception.command("resolve")
@click.argument("case_id")
@click.argument("resolution")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def exception_resolve(cli: CliContext, case_id: str, resolution: str, as_json: bool) -> None:
    """Resolve a case this node raised or is assigned."""
    _act(cli, case_id, "resolve", resolution, as_json)


# -- scnode rules --------------------------------------------------------------


@main.group()
def rules() -> None:
    """The network's governance rule sets (published as ledger entries)."""


@rules.command("show")
@click.option("--json", "as_json", is_flag=True, help="The full rule set in force, as JSON")
@pass_cli
def rules_show(cli: CliContext, as_json: bool) -> None:
    """The rule set in force now and every stored version."""
    with _service(cli) as service:
        current = service.rule_set()
        history = service.rules.all(reload=True)
    stored = next((s for s in history if s.rules.ref == current.ref), None)
    if as_json:
        _echo_json(
            {
                "current": None
                if stored is None
                else {**stored.to_dict(), "document": rule_set_document(stored)},
                "history": [s.to_dict() for s in history],
            }
        )
        return
    for s in history:
        mark = "*" if s.rules.ref == current.ref else " "
        entry = "not in the ledger yet" if s.ledger_index is None else f"entry {s.ledger_index}"
        click.echo(
            f"{mark} {s.rules.ref}  effective_from {s.rules.effective_from}  {s.digest}  {entry}"
        )


@rules.command("publish")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def rules_publish(cli: CliContext, file: Path, as_json: bool) -> None:
    """Put the rule set in FILE (JSON) in force and publish it as a ledger entry."""
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_RULES_FILE + 1)
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}") from None
    if len(data) > MAX_RULES_FILE:
        raise CliError(f"{file} is larger than {MAX_RULES_FILE} bytes")
    try:
        parsed = rule_set_from_json(data)
    except GovernanceError as exc:
        raise CliError(f"{file}: {exc}") from None
    with _service(cli) as service:
        now = service.clock()
        with write_transaction(service.engine) as conn:
            added = service.rules.add(conn, parsed, now=now)
        service.rules.publish_pending(service.node_log, now=now)
        stored = next(s for s in service.rules.all(reload=True) if s.rules.ref == parsed.ref)
    if as_json:
        _echo_json({**stored.to_dict(), "added": added})
        return
    what = "published" if added else "already stored"
    entry = "" if stored.ledger_index is None else f"; ledger entry {stored.ledger_index}"
    click.echo(f"rule set {parsed.ref} {what} ({stored.digest}){entry}")


# -- scnode bench governance -----------------------------------------------------


@bench.command("governance")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option("--quick", is_flag=True, help="10 partners × 3 days (a smoke run).")
def bench_governance(as_json: bool, quick: bool) -> None:
    """Health queries over 100 partners × 30 days; metric update cost per record."""
    from benchmarks.governance_bench import run

    def bar(description: str, total: int) -> Any:
        return progress(description, total, quiet=as_json)

    results = run(quick=quick, progress=bar)
    if as_json:
        click.echo(json.dumps(results, sort_keys=True))
        return
    for key, value in results.items():
        click.echo(f"{key:<38} {value}")
