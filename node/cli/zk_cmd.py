"""``scnode bench zk``: range-proof figures for this machine."""

from __future__ import annotations

import json

import click

from node.cli._app import CliError, bench
from node.cli._progress import progress

__all__ = ["bench_zk"]

JSON_KEYS = (
    "prove_ms",
    "verify_ms",
    "proof_bytes",
    "batch16_verify_ms_per_proof",
    "aggregated2_prove_ms",
    "aggregated2_verify_ms",
    "scalar_mult_ms",
)


def _figures(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


@bench.command("zk")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--runs",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Repetitions per figure (the median is reported).",
)
def bench_zk(as_json: bool, runs: int) -> None:
    """Bulletproofs prove/verify times, proof sizes, batch and aggregated figures."""
    try:
        from benchmarks.zk_bench import run, steps
    except ImportError as exc:
        raise CliError(
            f"the benchmarks package is not importable ({exc}); reinstall with pip install -e ."
        ) from None

    with progress("zk benchmark", steps(runs), quiet=as_json) as advance:
        result = run(runs=runs, advance=advance)
    if as_json:
        click.echo(json.dumps({key: result[key] for key in JSON_KEYS}, sort_keys=False))
        return
    prove, verify, size = (_figures(result[k]) for k in ("prove_ms", "verify_ms", "proof_bytes"))
    click.echo(f"zk benchmark (secp256k1, Bulletproofs; CPU time, median of {runs} runs)")
    for bits in ("32", "64"):
        click.echo(
            f"  {bits}-bit range proof: prove {prove[bits]} ms, verify {verify[bits]} ms, "
            f"{size[bits]} bytes"
        )
    click.echo(f"  batch of 16 (64-bit): {result['batch16_verify_ms_per_proof']} ms per proof")
    click.echo(
        f"  aggregated m=2 (64-bit): prove {result['aggregated2_prove_ms']} ms, "
        f"verify {result['aggregated2_verify_ms']} ms"
    )
    click.echo(f"  py-ecc secp256k1 scalar multiplication: {result['scalar_mult_ms']} ms")
    click.echo(f"  one-time setup (generators and tables): {result['setup_ms']} ms")
