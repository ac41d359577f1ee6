"""Figures for ``scnode bench zk``: range-proof speed and size on this machine.

Every figure is the median of ``runs`` repetitions, after one warm-up that builds
the generators and fixed-base tables (a once-per-process cost, reported as
``setup_ms`` on the terminal only). ``scalar_mult_ms`` is one plain py-ecc
secp256k1 multiplication measured in the same run, so figures can be compared
across machines.

Times are the CPU time of this process (:func:`time.process_time`). The code is
single-threaded, so on an idle machine this is the wall-clock time; on a shared
machine it leaves out the time spent waiting for a core, which would otherwise
swamp the figures.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

import zk
from zk._py_ecc import secp256k1

__all__ = ["BenchResult", "run", "steps"]

BenchResult = dict[str, object]
Advance = Callable[[int], None]
T = TypeVar("T")
BITS = (32, 64)
BATCH = 16
CONTEXT = b"scnode bench zk"
SCALAR_MULTS = 20


def steps(runs: int) -> int:
    """How many progress steps :func:`run` reports."""
    return 2 + len(BITS) * runs * 2 + BATCH + runs + 2 * runs


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def _scalar_mult_ms(rng: secrets.SystemRandom) -> float:
    samples = []
    for _ in range(SCALAR_MULTS):
        k = rng.randrange(1, secp256k1.N)
        start = time.process_time()
        secp256k1.multiply(secp256k1.G, k)
        samples.append(time.process_time() - start)
    return _median_ms(samples)


def _setup(rng: secrets.SystemRandom) -> float:
    def warm() -> None:
        c, o = zk.commit(5, rng=rng)
        proof = zk.prove_at_least(o, 1, bits=64, context=CONTEXT, rng=rng)
        zk.verify_at_least(c, 1, proof, bits=64, context=CONTEXT)
        zk.DEFAULT_GENERATORS.vector_tables(128)

    return round(_timed(warm)[0] * 1000, 1)


def _single(
    bits: int, runs: int, rng: secrets.SystemRandom, advance: Advance
) -> tuple[float, float, int]:
    prove_samples: list[float] = []
    verify_samples: list[float] = []
    size = 0
    for _ in range(runs):
        value = rng.randrange(2**bits)
        threshold = rng.randrange(value + 1)
        c, o = zk.commit(value, rng=rng)
        elapsed, proof = _timed(
            lambda: zk.prove_at_least(o, threshold, bits=bits, context=CONTEXT, rng=rng)  # noqa: B023
        )
        prove_samples.append(elapsed)
        advance(1)
        elapsed, _ = _timed(
            lambda: zk.verify_at_least(c, threshold, proof, bits=bits, context=CONTEXT)  # noqa: B023
        )
        verify_samples.append(elapsed)
        size = len(proof.to_bytes())
        advance(1)
    return _median_ms(prove_samples), _median_ms(verify_samples), size


def _batch(runs: int, rng: secrets.SystemRandom, advance: Advance) -> float:
    claims: list[zk.Claim] = []
    for _ in range(BATCH):
        value = rng.randrange(2**64)
        c, o = zk.commit(value, rng=rng)
        proof = zk.prove_at_least(o, value // 2, bits=64, context=CONTEXT, rng=rng)
        claims.append(zk.AtLeastClaim(c, value // 2, proof, 64, CONTEXT))
        advance(1)
    samples = []
    for _ in range(runs):
        elapsed, _ = _timed(lambda: zk.verify_batch(claims, rng=rng))
        samples.append(elapsed / BATCH)
        advance(1)
    return _median_ms(samples)


def _aggregated(runs: int, rng: secrets.SystemRandom, advance: Advance) -> tuple[float, float]:
    prove_samples: list[float] = []
    verify_samples: list[float] = []
    for _ in range(runs):
        value = rng.randrange(1000, 2**40)
        c, o = zk.commit(value, rng=rng)
        lower, upper = value - 1000, value + 1000
        elapsed, proof = _timed(
            lambda: zk.prove_between(o, lower, upper, bits=64, context=CONTEXT, rng=rng)  # noqa: B023
        )
        prove_samples.append(elapsed)
        advance(1)
        elapsed, _ = _timed(
            lambda: zk.verify_between(c, lower, upper, proof, bits=64, context=CONTEXT)  # noqa: B023
        )
        verify_samples.append(elapsed)
        advance(1)
    return _median_ms(prove_samples), _median_ms(verify_samples)


def run(*, runs: int = 5, advance: Advance = lambda _n: None) -> BenchResult:
    """Measure everything; ``advance`` is called :func:`steps` times in total."""
    rng = secrets.SystemRandom()
    scalar_mult_ms = _scalar_mult_ms(rng)
    advance(1)
    setup_ms = _setup(rng)
    advance(1)
    prove_ms: dict[str, float] = {}
    verify_ms: dict[str, float] = {}
    proof_bytes: dict[str, int] = {}
    for bits in BITS:
        prove_ms[str(bits)], verify_ms[str(bits)], proof_bytes[str(bits)] = _single(
            bits, runs, rng, advance
        )
    batch = _batch(runs, rng, advance)
    agg_prove, agg_verify = _aggregated(runs, rng, advance)
    return {
        "prove_ms": prove_ms,
        "verify_ms": verify_ms,
        "proof_bytes": proof_bytes,
        "batch16_verify_ms_per_proof": batch,
        "aggregated2_prove_ms": agg_prove,
        "aggregated2_verify_ms": agg_verify,
        "scalar_mult_ms": scalar_mult_ms,
        "setup_ms": setup_ms,
    }
