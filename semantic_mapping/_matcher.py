"""The field matcher: source field (name, description, samples) → concept, confidence,
ranked alternatives and an explanation a person can check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from rapidfuzz import fuzz, process

from semantic_mapping._fields import (
    MAX_NAME_LENGTH,
    Alternative,
    MatchResult,
    SourceField,
)
from semantic_mapping._index import Entry, LabelIndex, sorted_tokens
from semantic_mapping._normalise import Analysis, analyse, is_cjk, normalise_key
from semantic_mapping._profile import MappingProfile
from semantic_mapping._samples import infer_sample_type, sample_fit
from semantic_mapping._vocabulary import NONE, Label, Vocabulary

__all__ = ["AMBIGUITY_MARGIN", "THRESHOLD", "Matcher"]

#: Below this score the matcher answers `none` rather than guess.
THRESHOLD: Final = 0.55
#: Two different concepts closer than this are ambiguous; the winner loses AMBIGUITY_PENALTY.
AMBIGUITY_MARGIN: Final = 0.03
AMBIGUITY_PENALTY: Final = 0.08
#: rapidfuzz scores below this are not considered at all (a similarity of 70 already
#: scores 0.92 × 0.7² ≈ 0.45, well below THRESHOLD).
FUZZY_CUTOFF: Final = 70.0
FUZZY_LIMIT: Final = 6
#: Weight of evidence from the description relative to the name; bonus when both agree.
DESCRIPTION_WEIGHT: Final = 0.95
AGREEMENT_BONUS: Final = 0.05
#: A label contained in the name scores CONTAINED_BASE + CONTAINED_SPAN × (share covered),
#: always below 0.8: extra words can change the meaning ("Low Stock Level"), so
#: containment alone never yields a high-confidence answer.
CONTAINED_BASE: Final = 0.5
CONTAINED_SPAN: Final = 0.3
CONTIGUOUS_BONUS: Final = 0.03
SAMPLE_BONUS: Final = 0.02
SAMPLE_MISFIT_FACTOR: Final = 0.75
#: Why a concept is a candidate, rendered only when shown: (prefix, label, how, steps).
_Why = tuple[str, Label, str, Sequence[str]]


@dataclass
class _Candidate:
    score: float
    why: _Why
    notes: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        prefix, label, how, steps = self.why
        text = f"{prefix}{label.describe()}{how}"
        return f"{text} after {', '.join(steps)}" if steps else text


def _offer(found: dict[str, _Candidate], concept: str, score: float, why: _Why) -> None:
    current = found.get(concept)
    if current is None or score > current.score:
        found[concept] = _Candidate(score, why)


class Matcher:
    """Matches source fields against a vocabulary; build once, call many times."""

    def __init__(self, vocabulary: Vocabulary, *, threshold: float = THRESHOLD) -> None:
        self.vocabulary = vocabulary
        self.index = LabelIndex(vocabulary)
        self.threshold = threshold
        self._cache: dict[tuple[str, str | None, str | None], MatchResult] = {}

    def match(self, source: SourceField, *, profile: MappingProfile | None = None) -> MatchResult:
        if profile is not None:
            approved = profile.mapping_for(source.name)
            if approved is not None:
                return MatchResult(
                    name=source.name,
                    concept=approved.concept,
                    confidence=1.0,
                    alternatives=(),
                    explanation=(
                        f"approved in profile '{profile.source}' v{approved.version} by "
                        f"{approved.approved_by} at {approved.approved_at.isoformat()}"
                    ),
                )
        sample_type = infer_sample_type(source.samples)
        key = (source.name, source.description, sample_type)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        result = self._match(source, sample_type)
        if len(self._cache) < 200_000:
            self._cache[key] = result
        return result

    def match_many(
        self, sources: Sequence[SourceField], *, profile: MappingProfile | None = None
    ) -> list[MatchResult]:
        return [self.match(s, profile=profile) for s in sources]

    def _match(self, source: SourceField, sample_type: str | None) -> MatchResult:
        analysis = analyse(source.name)
        found = self._candidates(analysis)
        if source.description:
            described = self._candidates(analyse(source.description[:MAX_NAME_LENGTH]))
            self._merge_description(found, described)
        self._apply_types(found, sample_type, analysis.hint)
        return self._decide(source.name, found)

    def _merge_description(
        self, found: dict[str, _Candidate], described: Mapping[str, _Candidate]
    ) -> None:
        """Evidence from the description: agreement raises confidence; a description that
        names a narrower concept than the name (name 'Quantity', description 'Purchase Order
        Quantity') narrows the answer."""
        name_best = max(found.items(), key=lambda kv: kv[1].score, default=None)
        for concept, cand in described.items():
            score = cand.score * DESCRIPTION_WEIGHT
            mine = found.get(concept)
            if mine is not None and mine.score >= self.threshold and score >= self.threshold:
                mine.score = max(mine.score, score) + AGREEMENT_BONUS
                mine.notes.append(f"description agrees ({cand.reason})")
            elif mine is None or score > mine.score:
                prefix, label, how, steps = cand.why
                found[concept] = _Candidate(score, (f"description: {prefix}", label, how, steps))
        desc_best = max(described.items(), key=lambda kv: kv[1].score, default=None)
        if name_best is None or desc_best is None:
            return
        broad, broad_cand = name_best
        narrow, narrow_cand = desc_best
        described_enough = narrow_cand.score * DESCRIPTION_WEIGHT >= self.threshold
        if described_enough and narrow in self.vocabulary.descendants(broad):
            target = found[narrow]
            target.score = max(target.score, broad_cand.score)
            target.notes.append(f"description narrows '{broad}' ({broad_cand.reason})")
            broad_cand.score = target.score - 2 * AMBIGUITY_MARGIN

    def _candidates(self, analysis: Analysis) -> dict[str, _Candidate]:
        index = self.index
        found: dict[str, _Candidate] = {}
        for variant in analysis.variants:
            if not variant.core:
                for entry in index.by_verbatim.get(variant.verbatim, {}).values():
                    why = ("", entry.label, " matches verbatim", variant.compact_steps)
                    _offer(found, entry.concept, entry.score - variant.penalty, why)
                self._contained(found, variant.key, variant.steps, variant.penalty)
                for entry in index.by_compact.get(variant.compact, {}).values():
                    why = ("", entry.label, " matches exactly", variant.compact_steps)
                    _offer(found, entry.concept, entry.score - variant.penalty, why)
            for entry in index.by_key.get(variant.key, {}).values():
                if variant.core and entry.concept not in index.typed[variant.core]:
                    continue
                why = ("", entry.label, "", variant.steps)
                _offer(found, entry.concept, entry.score - variant.penalty, why)
            if variant.core:
                for entry in index.by_core[variant.core].get(variant.key, {}).values():
                    why = ("", entry.label, f" without its {variant.core} word", variant.steps)
                    _offer(found, entry.concept, entry.score * 0.95 - variant.penalty, why)
        best = max((c.score for c in found.values()), default=0.0)
        for variant in analysis.variants:
            if variant.core or (variant.penalty > 0 and best >= 0.9):
                continue
            self._fuzzy(found, variant.key, variant.steps, variant.penalty)
        return found

    def _contained(
        self, found: dict[str, _Candidate], key: str, steps: Sequence[str], penalty: float
    ) -> None:
        """Labels contained in a longer name ('reserved quantity' in 'reserved quantity for
        production'): the larger the share of the name the label covers, the higher."""
        words = key.split()
        if is_cjk(key):
            if len(words) != 1:
                return
            table = self.index.contained_cjk
            longest = min(len(key) - 1, self.index.longest_cjk_label)
            for size in range(2, longest + 1):
                for start in range(len(key) - size + 1):
                    for entry in table.get(key[start : start + size], ()):
                        self._offer_contained(found, entry, size / len(key), steps, penalty)
            return
        tokens = set(words)
        if len(tokens) < 3:
            return
        padded = f" {key} "
        for token in tokens:
            for label_tokens, entry in self.index.contained_latin.get(token, ()):
                if len(label_tokens) < len(tokens) and label_tokens <= tokens:
                    share = len(label_tokens) / len(tokens)
                    # the label's words side by side, in order, say more than scattered ones
                    phrase = f" {normalise_key(entry.label.text)} " in padded
                    bonus = CONTIGUOUS_BONUS if phrase else -CONTIGUOUS_BONUS
                    self._offer_contained(found, entry, share, steps, penalty - bonus)

    @staticmethod
    def _offer_contained(
        found: dict[str, _Candidate],
        entry: Entry,
        share: float,
        steps: Sequence[str],
        penalty: float,
    ) -> None:
        score = (CONTAINED_BASE + CONTAINED_SPAN * share) * entry.score - penalty
        _offer(found, entry.concept, score, ("", entry.label, " is contained in the name", steps))

    def _fuzzy(
        self, found: dict[str, _Candidate], key: str, steps: Sequence[str], penalty: float
    ) -> None:
        query = sorted_tokens(key)
        hits = process.extract(
            query,
            self.index.choices_for(query, FUZZY_CUTOFF),
            scorer=fuzz.ratio,
            processor=None,
            limit=FUZZY_LIMIT,
            score_cutoff=FUZZY_CUTOFF,
        )
        for choice, similarity, _ in hits:
            for entry in self.index.fuzzy_entries[choice].values():
                score = 0.92 * (similarity / 100.0) ** 2 * entry.score - penalty
                why = ("", entry.label, f" is {similarity:.0f}% similar", steps)
                _offer(found, entry.concept, score, why)

    def _apply_types(
        self, found: Mapping[str, _Candidate], sample_type: str | None, hint: str | None
    ) -> None:
        for concept_id, cand in found.items():
            if concept_id == NONE:
                continue
            value_type = self.vocabulary[concept_id].value_type
            fit = sample_fit(value_type, sample_type)
            if fit is True:
                cand.score += SAMPLE_BONUS
                cand.notes.append(f"samples look like {sample_type}")
            elif fit is False:
                cand.score *= SAMPLE_MISFIT_FACTOR
                cand.notes.append(f"samples look like {sample_type}, not a {value_type}")
            if hint is not None and not _hint_fits(hint, value_type):
                cand.score *= SAMPLE_MISFIT_FACTOR
                cand.notes.append(f"name suggests a {hint}, not a {value_type}")

    def _decide(self, name: str, found: Mapping[str, _Candidate]) -> MatchResult:
        ranked = sorted(found.items(), key=lambda kv: (-kv[1].score, kv[0]))
        if not ranked or ranked[0][1].score < self.threshold:
            best = ranked[0] if ranked else None
            why = (
                f"no label close enough (best: {best[0]} {best[1].score:.2f}, {best[1].reason})"
                if best is not None
                else "no label of the vocabulary resembles this field"
            )
            top = best[1].score if best is not None else 0.0
            return MatchResult(
                name=name,
                concept=NONE,
                confidence=round(max(0.0, 1.0 - top), 3),
                alternatives=_alternatives(ranked, skip=None),
                explanation=why,
            )
        concept, cand = ranked[0]
        score = cand.score
        notes = list(cand.notes)
        rival = next((kv for kv in ranked[1:] if kv[0] != NONE or concept != NONE), None)
        if rival is not None and rival[1].score >= score - AMBIGUITY_MARGIN:
            score -= AMBIGUITY_PENALTY
            notes.append(f"nearly as close to '{rival[0]}' ({rival[1].reason})")
        if concept == NONE:
            explanation = f"{cand.reason}: a field with no canonical equivalent"
        else:
            explanation = cand.reason
        if notes:
            explanation += "; " + "; ".join(notes)
        return MatchResult(
            name=name,
            concept=concept,
            confidence=round(min(1.0, max(0.0, score)), 3),
            alternatives=_alternatives(ranked, skip=concept),
            explanation=explanation,
        )


def _alternatives(
    ranked: Sequence[tuple[str, _Candidate]], *, skip: str | None
) -> tuple[Alternative, ...]:
    out = [
        Alternative(concept=c, confidence=round(min(1.0, max(0.0, cand.score)), 3))
        for c, cand in ranked
        if c not in (skip, NONE)
    ]
    return tuple(out[:3])


_HINT_FITS: Final = {
    "quantity": frozenset({"quantity", "money"}),
    "money": frozenset({"money"}),
    "identifier": frozenset({"identifier", "text", "unit", "status"}),
    "date": frozenset({"date", "datetime"}),
}


def _hint_fits(hint: str, value_type: str) -> bool:
    return value_type in _HINT_FITS.get(hint, frozenset({value_type}))
