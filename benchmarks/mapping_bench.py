"""Matcher throughput: fields per second on a deterministic set of distinct field names.

The names are derived from the vocabulary's own labels the way partners' exports vary
them (case, separators, camelCase, unit suffixes, typed prefixes, numbering, typos),
plus names that match nothing, so the cache of earlier answers never helps: every name
is new to a freshly built matcher. Building the matcher (loading the Turtle, indexing
labels) is reported separately.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from semantic_mapping import Matcher, SourceField, load_vocabulary

__all__ = ["DEFAULT_FIELDS", "ROUNDS", "make_fields", "run"]

DEFAULT_FIELDS = 10_000
ROUNDS = 3
SEED = 20261122
_SUFFIXES = ("", "", "", "(件)", " (PCS)", "（kg）", "_qty", " 数量", "_1", " Total", "/EA", "2")
_PREFIXES = ("", "", "", "F", "c", "i", "Main ", "主仓", "WH1 ", "x_")
_NOISE = "abcdefghijklmnopqrstuvwxyz"


def _vary(label: str, rng: random.Random) -> str:
    text = label
    roll = rng.random()
    if roll < 0.2:
        text = text.upper()
    elif roll < 0.4:
        text = text.lower().replace(" ", "_")
    elif roll < 0.6:
        text = "".join(w[:1].upper() + w[1:] for w in text.split())
    if rng.random() < 0.15 and len(text) > 4:
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice(_NOISE) + text[i + 1 :]
    return rng.choice(_PREFIXES) + text + rng.choice(_SUFFIXES)


def make_fields(count: int, *, seed: int = SEED) -> list[SourceField]:
    """`count` distinct field names (deterministic for a seed)."""
    rng = random.Random(seed)
    vocabulary = load_vocabulary()
    labels = sorted({x.text for c in vocabulary.concepts.values() for x in c.labels})
    names: set[str] = set()
    out: list[SourceField] = []
    while len(out) < count:
        if rng.random() < 0.1:
            name = "".join(rng.choice(_NOISE) for _ in range(rng.randint(3, 12)))
        else:
            name = _vary(rng.choice(labels), rng)
        if len(out) % 7 == 0:
            name = f"{name} {len(out)}"
        if name.strip() and name not in names and len(name) <= 200:
            names.add(name)
            out.append(SourceField(name))
    return out


def _round(sources: list[SourceField], advance: Callable[[int], None] | None) -> dict[str, Any]:
    started = time.perf_counter()
    matcher = Matcher(load_vocabulary())
    build_s = time.perf_counter() - started
    chunk = 1000
    answered = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(sources), chunk):
        results = matcher.match_many(sources[start : start + chunk])
        answered += sum(r.concept != "none" for r in results)
        if advance is not None:
            advance(len(results))
    return {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "build_s": build_s,
        "answered": answered,
        "labels": len(matcher.index.by_compact),
    }


def run(
    fields: int = DEFAULT_FIELDS,
    *,
    rounds: int = ROUNDS,
    advance: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Best of `rounds` (as timeit does: the least disturbed run), each with a new matcher.

    `fields_per_s` is wall-clock; `fields_per_cpu_s` counts only this process's CPU
    time, which stays meaningful on a machine busy with other work.
    """
    sources = make_fields(fields)
    results = [_round(sources, advance) for _ in range(rounds)]
    best = min(results, key=lambda r: float(r["wall_s"]))
    median_wall = statistics.median(float(r["wall_s"]) for r in results)
    best_cpu = min(float(r["cpu_s"]) for r in results)
    return {
        "fields": len(sources),
        "distinct_names": len({s.name for s in sources}),
        "rounds": rounds,
        "seconds": round(best["wall_s"], 3),
        "fields_per_s": round(len(sources) / best["wall_s"], 1),
        "fields_per_s_median": round(len(sources) / median_wall, 1),
        "fields_per_cpu_s": round(len(sources) / best_cpu, 1),
        "answered_share": round(best["answered"] / len(sources), 3),
        "matcher_build_ms": round(best["build_s"] * 1000, 1),
        "labels_indexed": best["labels"],
    }


if __name__ == "__main__":  # pragma: no cover
    print(run())
