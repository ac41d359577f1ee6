"""``scnode bench load``: many concurrent clients against a multi-worker node on PostgreSQL."""

from __future__ import annotations

import json

import click

from node.cli._app import CliError, bench
from node.cli._progress import progress

__all__ = ["bench_load"]

#: the top-level keys of ``--json``, first and in this order (more may follow)
JSON_KEYS = (
    "workers",
    "clients",
    "duration_s",
    "requests",
    "errors",
    "error_rate",
    "server_errors",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "throughput_rps",
    "operations",
    "publishes_acknowledged",
    "ledger_size",
    "ledger_verified",
    "lost_publishes",
    "duplicate_publishes",
)


@bench.command("load")
@click.option(
    "--database-url",
    envvar="SCNODE_LOAD_DATABASE_URL",
    required=True,
    help="An empty PostgreSQL database (postgresql+psycopg://…); the node is created in it."
    " Env: SCNODE_LOAD_DATABASE_URL.",
)
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--clients", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option(
    "--minutes", type=click.FloatRange(0.05, 120), default=5.0, show_default=True, help="Duration."
)
@click.option(
    "--rate",
    type=click.FloatRange(0.01, 1000),
    default=0.5,
    show_default=True,
    help="Requests per second per client, at most (each client waits for its reply).",
)
@click.option(
    "--publish-share",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of requests that publish a snapshot (1-3 positions); the rest read.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Seed of the clients' choices."
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def bench_load(
    *,
    database_url: str,
    workers: int,
    clients: int,
    minutes: float,
    rate: float,
    publish_share: float,
    seed: int,
    as_json: bool,
) -> None:
    """Error rate and latency under load, then a full ledger verification."""
    try:
        from benchmarks.load_bench import LoadBenchError, LoadPlan, format_results, run, steps
    except ImportError as exc:
        raise CliError(
            f"the benchmarks package is not importable ({exc}); reinstall with pip install -e ."
        ) from None

    plan = LoadPlan(
        database_url=database_url,
        workers=workers,
        clients=clients,
        duration_s=minutes * 60,
        rate=rate,
        publish_share=publish_share,
        seed=seed,
    )
    try:
        with progress("load benchmark", steps(plan.duration_s), quiet=as_json) as advance:
            result = run(plan, advance=advance)
    except LoadBenchError as exc:
        raise CliError(f"load benchmark failed: {exc}") from None
    if as_json:
        figures = {key: result[key] for key in JSON_KEYS}
        figures.update({k: v for k, v in result.items() if k not in figures})
        click.echo(json.dumps(figures))
    else:
        for line in format_results(result):
            click.echo(line)
    if not result["ledger_verified"] or result["lost_publishes"] or result["duplicate_publishes"]:
        raise CliError("the ledger check after the load failed (see the figures above)")
