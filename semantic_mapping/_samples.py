"""What a column's sample values look like: dates, numbers, codes, units, text.

The matcher uses the answer to confirm or doubt a label match (a column of dates is
not a quantity) and to choose between concepts whose labels are equally close.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from semantic_mapping._normalise import UNIT_WORDS, nfkc

__all__ = ["COMPATIBLE", "infer_sample_type", "sample_fit"]

_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%m/%d/%Y", "%Y%m%d")
_DATETIME_RE: Final = re.compile(
    r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE_ZH_RE: Final = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
_INT_RE: Final = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$|^[+-]?\d+$")
_DEC_RE: Final = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d*)\.\d+$")
_CODE_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./:#]*$")
_EXTRA_UNITS: Final = frozenset({"kgm", "grm", "st", "pce", "h87", "c62", "个", "件", "箱"})

#: Sample types each value type of the vocabulary accepts.
COMPATIBLE: Final = {
    "quantity": frozenset({"integer", "decimal"}),
    "money": frozenset({"integer", "decimal"}),
    "identifier": frozenset({"code", "integer", "text"}),
    "text": frozenset({"text", "code"}),
    "date": frozenset({"date", "datetime"}),
    "datetime": frozenset({"datetime", "date"}),
    "unit": frozenset({"unit"}),
    "status": frozenset({"text", "code", "unit"}),
}


def _one(value: object) -> str | None:  # noqa: PLR0911, PLR0912  one branch per shape
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "decimal"
    text = nfkc(str(value))
    if not text:
        return None
    if _DATETIME_RE.match(text):
        return "datetime"
    if _DATE_ZH_RE.match(text):
        return "date"
    for fmt in _DATE_FORMATS:
        if fmt == "%Y%m%d" and not text.startswith(("19", "20")):
            continue
        try:
            datetime.strptime(text, fmt)
        except ValueError:
            continue
        return "date"
    if _INT_RE.match(text):
        # leading zeros or long digit strings are codes (material numbers, GTINs)
        if (text.startswith("0") and len(text) > 1) or len(text) >= 10:
            return "code"
        return "integer"
    if _DEC_RE.match(text):
        return "decimal"
    if text.lower() in UNIT_WORDS or text.lower() in _EXTRA_UNITS:
        return "unit"
    if _CODE_RE.match(text) and any(ch.isdigit() for ch in text):
        return "code"
    return "text"


def infer_sample_type(samples: Sequence[object] | None) -> str | None:
    """The type shared by at least 80% of the non-empty samples, or None."""
    if not samples:
        return None
    kinds = [k for k in (_one(v) for v in samples[:50]) if k is not None]
    if not kinds:
        return None
    if all(k in {"integer", "decimal"} for k in kinds):
        return "decimal" if "decimal" in kinds else "integer"
    if all(k in {"date", "datetime"} for k in kinds):
        return "datetime" if "datetime" in kinds else "date"
    best = max(set(kinds), key=kinds.count)
    return best if kinds.count(best) >= 0.8 * len(kinds) else None


def sample_fit(value_type: str, sample_type: str | None) -> bool | None:
    """True if the samples fit the concept's value type, False if not, None if unknown."""
    if sample_type is None or value_type not in COMPATIBLE:
        return None
    return sample_type in COMPATIBLE[value_type]
