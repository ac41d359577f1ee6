"""``scnode planning``: gap detection on local files and offline capacity-fact checks.

* ``scnode planning gaps FORECAST CAPACITY [--committed FILE] [--json]`` compares a
  demand forecast with a capacity report (both JSON, see docs/planning.md);
  exit status 1 when there is any gap.
* ``scnode planning verify-fact FILE --vkey KEY [--witness KEY --quorum K]
  [--sku SKU] [--expect 2026-W10=1000 ...] [--json]`` checks a forwarded capacity
  fact (evidence bundle or forwarded-fact document) with no network access.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from node.cli._app import CliError, main
from node.planning import (
    CapacityReport,
    DemandForecast,
    PlanningError,
    Week,
    detect_gaps,
    parse_week,
    verify_forwarded_fact,
)

__all__ = ["planning_group"]


@main.group("planning")
def planning_group() -> None:
    """Demand and capacity: gaps, and capacity facts forwarded across tiers."""


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(_read(path, what))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise CliError(f"{what} {path} is not JSON") from None


def _read_key(value: str) -> str:
    path = Path(value)
    if "+" not in value and path.is_file():
        return _read(path, "key file").decode("utf-8", "replace").strip()
    return value.strip()


@planning_group.command("gaps")
@click.argument("forecast", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("capacity", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--committed",
    type=click.Path(dir_okay=False, path_type=Path),
    help='JSON list of {"sku", "week", "quantity"}: orders committed per week.',
)
@click.option("--json", "as_json", is_flag=True, help="Print the gaps as JSON.")
def gaps_cmd(forecast: Path, capacity: Path, committed: Path | None, as_json: bool) -> None:
    """Weeks where demand exceeds capacity, or capacity falls below committed orders."""
    try:
        f = DemandForecast.from_json(_json(forecast, "forecast"))
        c = CapacityReport.from_json(_json(capacity, "capacity report"))
        promised: dict[tuple[str, Week], int] = {}
        for item in _json(committed, "committed orders") if committed else []:
            if not isinstance(item, dict) or not isinstance(item.get("quantity"), int):
                raise CliError("committed orders: each item needs sku, week and quantity")
            key = (str(item.get("sku")), parse_week(item.get("week")))
            promised[key] = promised.get(key, 0) + item["quantity"]
        found = detect_gaps(f, c, promised)
    except PlanningError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "kind": g.kind.value,
                        "group_id": g.group_id,
                        "skus": list(g.skus),
                        "week": g.week,
                        "demand": g.demand,
                        "actual": g.actual,
                        "maximum": g.maximum,
                        "committed": g.committed,
                        "shortfall": g.shortfall,
                    }
                    for g in found
                ],
                indent=2,
            )
        )
    else:
        for gap in found:
            click.echo(f"{gap.kind.value:26} {gap.message()}")
        click.echo(f"{len(found)} gap(s)" if found else "no gaps")
    if found:
        raise SystemExit(1)


@planning_group.command("verify-fact")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vkey", "vkeys", multiple=True, required=True, help="The author's log key.")
@click.option("--witness", "witnesses", multiple=True, help="A trusted witness key.")
@click.option("--quorum", type=click.IntRange(min=0), default=None, help="Witnesses needed.")
@click.option("--sku", help="Require a disclosure naming this sku.")
@click.option("--expect", "expects", multiple=True, help="WEEK=QTY: your demand that week.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_fact_cmd(  # noqa: PLR0917  click passes options as arguments
    file: Path,
    vkeys: tuple[str, ...],
    witnesses: tuple[str, ...],
    quorum: int | None,
    sku: str | None,
    expects: tuple[str, ...],
    as_json: bool,
) -> None:
    """Check a forwarded capacity fact offline against the author's pinned key."""
    expect: dict[str, int] = {}
    for item in expects:
        name, _, qty = item.partition("=")
        if not qty.isdigit():
            raise CliError(f"--expect {item!r}: use WEEK=QTY, e.g. 2026-W10=1000")
        try:
            expect[parse_week(name)] = int(qty)
        except PlanningError as exc:
            raise CliError(f"--expect {item!r}: {exc}") from None
    try:
        found = verify_forwarded_fact(
            _read(file, "fact file"),
            vkeys=[_read_key(v) for v in vkeys],
            witnesses=[_read_key(w) for w in witnesses],
            quorum=len(witnesses) if quorum is None else quorum,
            sku=sku,
            expect_demand=expect or None,
        )
    except PlanningError as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "problem": str(exc)}))
            raise SystemExit(1) from None
        raise CliError(f"FAILED: {exc}") from None
    if as_json:
        click.echo(json.dumps({"ok": True, "facts": [f.to_json() for f in found]}, indent=2))
        return
    for fact in found:
        about = fact.sku or f"subject {fact.subject[:16]}…"
        click.echo(f"{fact.origin} entry {fact.index} ({fact.fact_id}), {about}:")
        for week in fact.weeks:
            demand = "" if week.demand is None else f" (demand {week.demand})"
            click.echo(f"  {week.week}: {week.relation.value.replace('_', ' ')}{demand}")
    click.echo(f"OK: {len(found)} capacity fact(s) verify")
