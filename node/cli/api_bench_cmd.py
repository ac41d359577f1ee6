"""``scnode bench api``: the node service's speed over HTTP on loopback."""

from __future__ import annotations

import json

import click

from node.cli._app import CliError, bench
from node.cli._progress import progress

__all__ = ["bench_api"]

JSON_KEYS = (
    "publish100_p50_ms",
    "publish100_p99_ms",
    "read_rps",
    "read_p99_ms",
    "witness_rps",
)


@bench.command("api")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Worker processes of the served node.",
)
@click.option(
    "--duration",
    type=click.FloatRange(0.2, 600),
    default=5.0,
    show_default=True,
    help="Seconds of each timed phase (reads, witness).",
)
@click.option(
    "--publish-runs",
    type=click.IntRange(1, 1000),
    default=5,
    show_default=True,
    help="Snapshots of 100 positions published (p50/p99 over them).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=16,
    show_default=True,
    help="Read requests in flight (keep-alive connections).",
)
@click.option(
    "--clients",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Client processes driving the read and witness load.",
)
@click.option(
    "--witness-logs",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Logs whose checkpoints are witnessed at once (one request in flight each).",
)
def bench_api(  # noqa: PLR0917  click passes options as arguments
    as_json: bool,
    workers: int,
    duration: float,
    publish_runs: int,
    concurrency: int,
    clients: int,
    witness_logs: int,
) -> None:
    """Publish latency, read and witness throughput of a freshly served node.

    Reads and witness requests come from CLIENTS processes of a lean HTTP/1.1
    client on the same machine (keep-alive connections, one request in flight
    each); their figures count successful requests over the phase's wall time."""
    try:
        from benchmarks.api_bench import ApiBenchError, format_results, run, steps
    except ImportError as exc:
        raise CliError(
            f"the benchmarks package is not importable ({exc}); reinstall with pip install -e ."
        ) from None

    try:
        with progress("api benchmark", steps(publish_runs), quiet=as_json) as advance:
            result = run(
                workers=workers,
                duration_s=duration,
                publish_runs=publish_runs,
                concurrency=concurrency,
                clients=clients,
                witness_logs=witness_logs,
                advance=advance,
            )
    except ApiBenchError as exc:
        raise CliError(f"api benchmark failed: {exc}") from None
    if as_json:
        figures = {key: result[key] for key in JSON_KEYS}
        figures.update({k: v for k, v in result.items() if k not in figures})
        click.echo(json.dumps(figures))
        return
    for line in format_results(result):
        click.echo(line)
