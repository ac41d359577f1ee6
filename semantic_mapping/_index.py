"""Label index: every label of the vocabulary under its exact, normalised and core keys,
plus prepared choice lists for rapidfuzz."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from semantic_mapping._normalise import (
    compact,
    identifier_core,
    is_cjk,
    nfkc,
    normalise_key,
    quantity_core,
)
from semantic_mapping._vocabulary import Label, Vocabulary

__all__ = ["Entry", "LabelIndex", "sorted_tokens"]

#: Score of a verbatim match (same text, case aside), by label kind.
VERBATIM_SCORE: Final = {"pref": 1.0, "alt": 1.0, "hidden": 1.0, "status": 0.9}
#: Score of an exact match of the compact form (letters and digits only), by label kind.
COMPACT_SCORE: Final = {"pref": 1.0, "alt": 0.98, "hidden": 0.98, "status": 0.85}
#: Score of a match of the normalised key (words, abbreviations expanded), by label kind.
KEY_SCORE: Final = {"pref": 0.97, "alt": 0.95, "hidden": 0.9, "status": 0.8}
#: Weight of a fuzzy match, by label kind (codes and status values do not take part).
FUZZY_WEIGHT: Final = {"pref": 1.0, "alt": 1.0, "hidden": 0.95}


@dataclass(frozen=True)
class Entry:
    concept: str
    label: Label
    score: float


def _add(table: dict[str, dict[str, Entry]], key: str, entry: Entry) -> None:
    if not key:
        return
    slot = table.setdefault(key, {})
    current = slot.get(entry.concept)
    if current is None or entry.score > current.score:
        slot[entry.concept] = entry


#: Readings with the 'quantity' or 'identifier' words removed, and who may match them.
CORE_KINDS: Final = ("quantity", "identifier")
_CORE_READERS: Final = (("quantity", quantity_core), ("identifier", identifier_core))


def _fuzzy_worthy(kind: str, key: str) -> bool:
    """Codes take part in fuzzy matching only when they are made of real words: not
    'labst', not 'c code' (a typed prefix split off)."""
    if kind != "hidden":
        return True
    words = key.split()
    return len(words) > 1 and all(len(w) > 1 for w in words)


def sorted_tokens(key: str) -> str:
    """Words in sorted order: plain `ratio` on these equals rapidfuzz's token_sort_ratio,
    without re-sorting every choice on every call."""
    return " ".join(sorted(key.split()))


class LabelIndex:
    """Immutable lookup tables built once per vocabulary."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        by_compact: dict[str, dict[str, Entry]] = {}
        by_key: dict[str, dict[str, Entry]] = {}
        by_core: dict[str, dict[str, dict[str, Entry]]] = {"quantity": {}, "identifier": {}}
        fuzzy: dict[str, dict[str, Entry]] = {}
        by_verbatim: dict[str, dict[str, Entry]] = {}
        contained_latin: dict[str, list[tuple[frozenset[str], Entry]]] = {}
        contained_cjk: list[tuple[str, Entry]] = []
        self.typed: Mapping[str, frozenset[str]] = MappingProxyType(
            {
                kind: frozenset(c.id for c in vocabulary.concepts.values() if c.value_type == kind)
                for kind in CORE_KINDS
            }
        )
        for concept in vocabulary.concepts.values():
            for label in concept.labels:
                cid, kind = concept.id, label.kind
                verbatim = nfkc(label.text).lower()
                _add(by_verbatim, verbatim, Entry(cid, label, VERBATIM_SCORE[kind]))
                _add(by_compact, compact(label.text), Entry(cid, label, COMPACT_SCORE[kind]))
                key = normalise_key(label.text)
                _add(by_key, key, Entry(cid, label, KEY_SCORE[kind]))
                if kind != "status":
                    for core_kind, reader in _CORE_READERS:
                        core = reader(key) if cid in self.typed[core_kind] else None
                        if core is not None:
                            _add(by_core[core_kind], core[0], Entry(cid, label, KEY_SCORE[kind]))
                weight = FUZZY_WEIGHT.get(kind)
                if weight is not None and _fuzzy_worthy(kind, key):
                    _add(fuzzy, sorted_tokens(key), Entry(cid, label, weight))
                    words = key.split()
                    if is_cjk(key) and len(words) == 1 and len(key) >= 2:
                        contained_cjk.append((key, Entry(cid, label, weight)))
                    elif not is_cjk(key) and len(set(words)) >= 2:
                        item = (frozenset(words), Entry(cid, label, weight))
                        contained_latin.setdefault(min(words, key=len), []).append(item)
        self.by_verbatim: Mapping[str, Mapping[str, Entry]] = MappingProxyType(by_verbatim)
        self.contained_latin: Mapping[str, list[tuple[frozenset[str], Entry]]] = MappingProxyType(
            contained_latin
        )
        cjk_table: dict[str, list[Entry]] = {}
        for label_key, entry in contained_cjk:
            cjk_table.setdefault(label_key, []).append(entry)
        self.contained_cjk: Mapping[str, list[Entry]] = MappingProxyType(cjk_table)
        self.longest_cjk_label = max((len(k) for k in cjk_table), default=0)
        self.by_compact: Mapping[str, Mapping[str, Entry]] = MappingProxyType(by_compact)
        self.by_key: Mapping[str, Mapping[str, Entry]] = MappingProxyType(by_key)
        self.by_core: Mapping[str, Mapping[str, Mapping[str, Entry]]] = MappingProxyType(by_core)
        self.fuzzy_entries: Mapping[str, Mapping[str, Entry]] = MappingProxyType(fuzzy)
        self.latin_choices: tuple[str, ...] = tuple(sorted(k for k in fuzzy if not is_cjk(k)))
        self.cjk_choices: tuple[str, ...] = tuple(sorted(k for k in fuzzy if is_cjk(k)))
        self._windows: dict[tuple[bool, int, float], tuple[str, ...]] = {}

    def choices_for(self, key: str, cutoff: float) -> tuple[str, ...]:
        """Fuzzy choices whose length allows a ratio ≥ cutoff with `key` (2·min/(a+b)),
        cached per length: fewer strings for rapidfuzz to score, same result."""
        cjk = is_cjk(key)
        slot = (cjk, len(key), cutoff)
        window = self._windows.get(slot)
        if window is None:
            ratio = cutoff / 100.0
            low, high = len(key) * ratio / (2 - ratio), len(key) * (2 - ratio) / ratio
            pool = self.cjk_choices if cjk else self.latin_choices
            window = tuple(c for c in pool if low <= len(c) <= high)
            if len(self._windows) < 4096:
                self._windows[slot] = window
        return window
