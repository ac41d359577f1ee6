"""Matcher throughput: fields per second on a deterministic set of distinct field names.

The names are derived from the vocabulary's own labels the way partners' exports vary
them (case, separators, camelCase, unit suffixes, typed prefixes, numbering, typos),
plus names that match nothing, so the cache of earlier answers never helps: every name
is new to a freshly built matcher. Building the matcher (loading the Turtle, indexing
labels) is reported separately.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from semantic_mapping import Matcher, SourceField, load_vocabulary

__all__ = ["DEFAULT_FIELDS", "make_fields", "run"]

DEFAULT_FIELDS = 10_000
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


def run(
    fields: int = DEFAULT_FIELDS, *, advance: Callable[[int], None] | None = None
) -> dict[str, Any]:
    sources = make_fields(fields)
    started = time.perf_counter()
    matcher = Matcher(load_vocabulary())
    build_s = time.perf_counter() - started
    chunk = 1000
    started = time.perf_counter()
    answered = 0
    for start in range(0, len(sources), chunk):
        results = matcher.match_many(sources[start : start + chunk])
        answered += sum(r.concept != "none" for r in results)
        if advance is not None:
            advance(len(results))
    elapsed = time.perf_counter() - started
    return {
        "fields": len(sources),
        "distinct_names": len({s.name for s in sources}),
        "seconds": round(elapsed, 3),
        "fields_per_s": round(len(sources) / elapsed, 1),
        "answered_share": round(answered / len(sources), 3),
        "matcher_build_ms": round(build_s * 1000, 1),
        "labels_indexed": len(matcher.index.by_compact),
    }


if __name__ == "__main__":  # pragma: no cover
    print(run())
