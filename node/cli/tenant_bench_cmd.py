"""``scnode bench tenants``: a multi-tenant host with many tenants on PostgreSQL."""

from __future__ import annotations

import json

import click

from node.cli._app import CliError, bench
from node.cli._progress import progress

__all__ = ["bench_tenants"]

JSON_KEYS = (
    "tenants",
    "workers",
    "tenant_create_per_s",
    "publish_p50_ms",
    "publish_p99_ms",
    "hot_publish_p50_ms",
    "hot_publish_p99_ms",
    "read_p50_ms",
    "read_p99_ms",
    "verified_tenants",
    "ledger_errors",
    "errors",
)


@bench.command("tenants")
@click.option(
    "--database-url",
    envvar="SCNODE_BENCH_DATABASE_URL",
    required=True,
    help="PostgreSQL URL; a scratch database is created next to it and dropped "
    "afterwards (env SCNODE_BENCH_DATABASE_URL)",
)
@click.option("--tenants", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option(
    "--publishes",
    type=click.IntRange(0, 1_000_000),
    default=200,
    show_default=True,
    help="Snapshots published to tenants picked at random",
)
@click.option(
    "--hot-publishes",
    type=click.IntRange(0, 1_000_000),
    default=40,
    show_default=True,
    help="Snapshots published to one tenant, concurrently",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Requests in flight",
)
@click.option(
    "--tenant-cache",
    type=click.IntRange(1, 100_000),
    default=64,
    show_default=True,
    help="Tenant apps each worker keeps loaded",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def bench_tenants(  # noqa: PLR0917  click passes options as arguments
    database_url: str,
    tenants: int,
    workers: int,
    publishes: int,
    hot_publishes: int,
    concurrency: int,
    tenant_cache: int,
    as_json: bool,
) -> None:
    """Onboard many tenants, publish to random ones and to one at once, verify ledgers."""
    try:
        from benchmarks.tenants_bench import TenantsBenchError, format_results, run, steps
    except ImportError as exc:
        raise CliError(
            f"the benchmarks package is not importable ({exc}); reinstall with pip install -e ."
        ) from None
    total = steps(tenants, publishes, hot_publishes)
    try:
        with progress("tenants benchmark", total, quiet=as_json) as advance:
            result = run(
                database_url=database_url,
                tenants=tenants,
                workers=workers,
                publishes=publishes,
                hot_publishes=hot_publishes,
                concurrency=concurrency,
                tenant_cache=tenant_cache,
                advance=advance,
            )
    except TenantsBenchError as exc:
        raise CliError(f"tenants benchmark failed: {exc}") from None
    if as_json:
        figures = {key: result[key] for key in JSON_KEYS}
        figures.update({k: v for k, v in result.items() if k not in figures})
        click.echo(json.dumps(figures))
    else:
        for line in format_results(result):
            click.echo(line)
    if result["ledger_errors"]:
        raise CliError(f"{result['ledger_errors']} tenant ledger(s) failed verification")
