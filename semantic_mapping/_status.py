"""Status values → quantity buckets: partner state codes ('在途', '待检', 'ZP', 'CC') and
GS1 CBV dispositions in all three spellings (bare word, URN, Web URI, or CURIE)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from semantic_mapping._normalise import compact, normalise_key, quantity_core
from semantic_mapping._vocabulary import BUCKETS, MOVEMENT_DISPOSITIONS, Vocabulary

__all__ = ["StatusMatch", "StatusMatcher", "cbv_disposition_name"]

_CBV_FORMS: Final = (
    re.compile(r"^urn:epcglobal:cbv:disp:([a-z_]+)$"),
    re.compile(r"^https?://ref\.gs1\.org/cbv/Disp-([a-z_]+)$"),
    re.compile(r"^cbv:Disp-([a-z_]+)$"),
)
_BARE_RE: Final = re.compile(r"^[a-z_]+$")
#: Scores: a CBV disposition is exact by definition; a status code or a bucket label
#: matched exactly is near-certain; a fuzzy match is a proposal.
CBV_SCORE: Final = 1.0
CODE_SCORE: Final = 0.95
LABEL_SCORE: Final = 0.9
FUZZY_CUTOFF: Final = 88.0
STATUS_THRESHOLD: Final = 0.8


def cbv_disposition_name(value: str) -> str | None:
    """'urn:epcglobal:cbv:disp:in_transit', '…/Disp-in_transit', 'cbv:Disp-…' → 'in_transit'."""
    text = value.strip()
    for pattern in _CBV_FORMS:
        match = pattern.match(text)
        if match is not None:
            return match.group(1)
    return None


@dataclass(frozen=True)
class StatusMatch:
    value: str
    bucket: str | None  # None: no bucket (unknown, or a movement such as retail_sold)
    confidence: float
    explanation: str


class StatusMatcher:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._dispositions: dict[str, str] = {}
        self._codes: dict[str, tuple[str, str, float]] = {}
        for bucket in BUCKETS:
            concept = vocabulary[bucket]
            for disposition in concept.cbv_dispositions:
                self._dispositions[disposition] = bucket
            for label in concept.labels:
                score = CODE_SCORE if label.kind == "status" else LABEL_SCORE
                for key in {compact(label.text), compact(normalise_key(label.text))}:
                    current = self._codes.get(key)
                    if current is None or score > current[2]:
                        self._codes[key] = (bucket, label.describe(), score)
        self._choices = tuple(sorted(k for k in self._codes if len(k) >= 4))

    def match(self, value: str) -> StatusMatch:
        name = cbv_disposition_name(value)
        bare = value.strip()
        if (
            name is None
            and _BARE_RE.match(bare)
            and (bare in self._dispositions or bare in MOVEMENT_DISPOSITIONS)
        ):
            name = bare
        if name is not None:
            return self._cbv(value, name)
        key = compact(value)
        if not key:
            return StatusMatch(value, None, 0.0, "empty status value")
        hit = self._codes.get(key)
        if hit is None:
            core = quantity_core(normalise_key(value))
            if core is not None:
                hit = self._codes.get(compact(core[0]))
        if hit is not None:
            bucket, label, score = hit
            return StatusMatch(value, bucket, score, f"{label} of '{bucket}'")
        best = process.extractOne(
            key, self._choices, scorer=fuzz.ratio, processor=None, score_cutoff=FUZZY_CUTOFF
        )
        if best is not None:
            bucket, label, score = self._codes[best[0]]
            confidence = round(score * (best[1] / 100.0) ** 2, 3)
            return StatusMatch(
                value, bucket, confidence, f"{label} of '{bucket}' is {best[1]:.0f}% similar"
            )
        return StatusMatch(value, None, 0.0, "no bucket has this status value")

    def _cbv(self, value: str, name: str) -> StatusMatch:
        if name in MOVEMENT_DISPOSITIONS:
            return StatusMatch(
                value, None, CBV_SCORE, f"CBV disposition '{name}' is a movement out of stock"
            )
        bucket = self._dispositions.get(name)
        if bucket is None:
            return StatusMatch(value, None, 0.0, f"'{name}' is not a CBV disposition we align")
        return StatusMatch(
            value,
            bucket,
            CBV_SCORE,
            f"CBV disposition '{name}' (skos:closeMatch of '{bucket}')",
        )
