"""Normalisation of field names and labels into comparable keys.

Every step is a small named function, and :func:`analyse` records which steps changed a
name, so the matcher can explain itself ("altLabel '现存量' after removing unit suffix
'(件)'"). Labels of the vocabulary go through the same pipeline as source fields.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

__all__ = [
    "ABBREVIATIONS",
    "UNIT_WORDS",
    "Analysis",
    "Variant",
    "analyse",
    "compact",
    "expand_abbreviations",
    "identifier_core",
    "is_cjk",
    "nfkc",
    "normalise_key",
    "quantity_core",
    "split_words",
    "strip_erp_prefix",
    "strip_unit_suffix",
]

#: Units seen as suffixes of quantity columns: UN/ECE Rec. 20 codes, common English and
#: Chinese unit words, currencies (those mark money columns).
UNIT_WORDS: Final = frozenset(
    {
        "件", "个", "箱", "台", "套", "只", "支", "卷", "包", "袋", "瓶", "盒", "片", "张", "根",
        "桶", "双", "条", "米", "吨", "千克", "公斤", "克", "升", "毫升", "元", "万元", "pcs",
        "pc", "piece", "pieces", "ea", "each", "unit", "units", "kg", "kgm", "g", "grm", "t",
        "tne", "lb", "lbs", "m", "mtr", "l", "ltr", "ml", "box", "boxes", "ctn", "carton",
        "cartons", "dzn", "pce", "set", "sets", "pack", "pair", "pairs", "roll", "rmb", "cny",
        "usd", "eur", "¥", "$", "€", "%",
    }
)  # fmt: skip
MONEY_UNITS: Final = frozenset({"元", "万元", "rmb", "cny", "usd", "eur", "¥", "$", "€"})

#: Abbreviations of field names, token → expansion (lower case). General vocabulary of
#: ERP exports, not tied to one system's field.
ABBREVIATIONS: Final = {
    "qty": "quantity", "qtys": "quantity", "quant": "quantity", "qnty": "quantity",
    "avail": "available", "avl": "available", "ava": "available", "avb": "available",
    "qoh": "quantity on hand", "soh": "stock on hand", "onhand": "on hand",
    "uom": "unit of measure", "um": "unit of measure",
    "wh": "warehouse", "whs": "warehouse", "whse": "warehouse", "wrh": "warehouse",
    "loc": "location", "po": "purchase order", "desc": "description", "descr": "description",
    "no": "number", "nr": "number", "nbr": "number", "num": "number",
    "mat": "material", "matl": "material", "prod": "product", "inv": "inventory",
    "invent": "inventory", "phys": "physical", "res": "reserved", "resv": "reserved",
    "reserv": "reserved", "alloc": "allocated", "exp": "expiry", "mfg": "manufacturing",
    "mfd": "manufacturing", "dt": "date", "ts": "timestamp", "amt": "amount", "val": "value",
    "recv": "received", "rcv": "received", "rcvd": "received", "recd": "received",
    "ord": "order", "ss": "safety stock", "rop": "reorder point", "min": "minimum",
    "max": "maximum", "cust": "customer", "vend": "vendor", "vdr": "vendor",
    "supp": "supplier", "btch": "batch", "sn": "serial number", "upd": "updated",
    "tot": "total", "cnt": "count", "insp": "inspection", "qc": "quality control",
    "dmg": "damaged", "blk": "blocked", "fcst": "forecast", "gr": "goods receipt",
    "bal": "balance", "curr": "current", "instock": "in stock", "intransit": "in transit",
    "lvl": "level", "expdate": "expiry date", "descn": "description", "itm": "item",
    "prc": "price", "whouse": "warehouse", "sku": "sku", "plnt": "plant",
    "sloc": "storage location", "bun": "base unit", "crcy": "currency",
    "unrestr": "unrestricted", "restr": "restricted", "stk": "stock", "trf": "transfer",
    "tfr": "transfer", "xfer": "transfer", "transf": "transfer", "sled": "expiry date",
    "qual": "quality", "avg": "average", "ave": "average",
}  # fmt: skip

#: Words that only say "this is a quantity"; removing them leaves the quantity's kind.
QUANTITY_WORDS: Final = frozenset({"quantity", "count", "units", "pcs", "stock", "level"})
QUANTITY_SUFFIXES_ZH: Final = ("数量", "库存", "数", "量")
#: Words that only say "this is an identifier"; removing them leaves what is identified.
IDENTIFIER_WORDS: Final = frozenset({"id", "code", "number", "key", "ref"})
IDENTIFIER_SUFFIXES_ZH: Final = ("编码", "编号", "代码", "号码", "号", "码")

_CJK_RE: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RE: Final = re.compile(
    r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)
_OPEN: Final = "([{<（【《〈「"
_CLOSE: Final = ")]}>）】》〉」"
_SUFFIX_RE: Final = re.compile(
    r"^(?P<body>.*?\S)\s*["
    + re.escape(_OPEN)
    + r"]\s*(?P<inner>[^"
    + re.escape(_OPEN + _CLOSE)
    + r"]{1,16})\s*["
    + re.escape(_CLOSE)
    + r"]\s*$"
)
_SLASH_UNIT_RE: Final = re.compile(r"^(?P<body>.*?\S)\s*[/_\-]\s*(?P<unit>[^/_\-\s]{1,5})$")
_CURIE_RE: Final = re.compile(r"^(?P<prefix>[A-Za-z][\w-]*):(?P<local>[A-Za-z_][\w.-]*)$")
_ERP_PREFIX_RE: Final = re.compile(
    r"^(?P<prefix>F|[cidfbn])(?P<rest>[A-Z][A-Za-z0-9_]*[a-z][A-Za-z0-9_]*)$"
)
#: What a typed-prefix letter says about the value (Hungarian notation of Yonyou U8 etc.).
PREFIX_HINTS: Final = {
    "c": "identifier",
    "i": "quantity",
    "f": "quantity",
    "n": "quantity",
    "d": "date",
}


def is_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def nfkc(text: str) -> str:
    """Unicode NFKC: full-width letters, digits and brackets become half-width."""
    return unicodedata.normalize("NFKC", text).strip()


def strip_unit_suffix(text: str) -> tuple[str, str | None, bool]:
    """Remove a trailing bracketed suffix or '/unit'; returns (body, suffix, is_unit)."""
    match = _SUFFIX_RE.match(text)
    if match is not None:
        inner = match.group("inner").strip()
        return match.group("body"), inner, inner.lower() in UNIT_WORDS
    match = _SLASH_UNIT_RE.match(text)
    if match is not None and match.group("unit").lower() in UNIT_WORDS:
        return match.group("body"), match.group("unit"), True
    return text, None, False


def strip_erp_prefix(text: str) -> tuple[str, str] | None:
    """'FBaseQty' → ('BaseQty', 'F'); 'cInvCode' → ('InvCode', 'c'); None if no prefix."""
    match = _ERP_PREFIX_RE.match(text)
    if match is None:
        return None
    return match.group("rest"), match.group("prefix")


def split_words(text: str) -> list[str]:
    """Split camelCase, snake_case, kebab-case, spaces, punctuation; lower-case the words."""
    return [w.lower() for w in _WORD_RE.findall(text)]


def expand_abbreviations(words: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    out: list[str] = []
    expanded: list[tuple[str, str]] = []
    for word in words:
        full = ABBREVIATIONS.get(word)
        if full is not None and full != word:
            out.extend(full.split())
            expanded.append((word, full))
        else:
            out.append(word)
    return out, expanded


def quantity_core(key: str) -> tuple[str, str] | None:
    """Remove the words that only say 'quantity': 'quantity in transit' → 'in transit'."""
    words = key.split()
    kept = [w for w in words if w not in QUANTITY_WORDS]
    if kept and len(kept) < len(words):
        removed = " ".join(w for w in words if w in QUANTITY_WORDS)
        return " ".join(kept), removed
    if words and is_cjk(words[-1]):
        last = words[-1]
        for suffix in QUANTITY_SUFFIXES_ZH:
            rest = last[: -len(suffix)]
            if last.endswith(suffix) and rest and rest not in QUANTITY_SUFFIXES_ZH:
                return " ".join([*words[:-1], last[: -len(suffix)]]), suffix
    return None


def identifier_core(key: str) -> tuple[str, str] | None:
    """Remove the words that only say 'identifier': 'sku id' → 'sku', '仓库编码' → '仓库'."""
    words = key.split()
    if len(words) >= 2 and words[-1] in IDENTIFIER_WORDS and words[-2] not in IDENTIFIER_WORDS:
        return " ".join(words[:-1]), words[-1]
    if words and is_cjk(words[-1]):
        last = words[-1]
        for suffix in IDENTIFIER_SUFFIXES_ZH:
            rest = last[: -len(suffix)]
            if last.endswith(suffix) and rest and rest not in IDENTIFIER_SUFFIXES_ZH:
                return " ".join([*words[:-1], rest]), suffix
    return None


def compact(text: str) -> str:
    """Letters, digits and CJK only, lower case: the key for exact matches of codes."""
    return "".join(ch for ch in nfkc(text).lower() if ch.isalnum())


@lru_cache(maxsize=65536)
def normalise_key(text: str) -> str:
    """Words of a label or name, abbreviations expanded, joined by single spaces."""
    words, _ = expand_abbreviations(split_words(nfkc(text)))
    return " ".join(words)


@dataclass(frozen=True)
class Variant:
    """One way of reading a name: a key, the steps that produced it, and their cost."""

    key: str
    compact: str
    verbatim: str  # the text itself (NFKC, lower case): for codes written exactly as labelled
    steps: tuple[str, ...]
    compact_steps: tuple[str, ...]  # the steps an exact match of `compact` depends on
    penalty: float
    core: str | None  # "quantity" / "identifier": words removed; only such concepts may match


@dataclass(frozen=True)
class Analysis:
    original: str
    variants: tuple[Variant, ...]
    unit: str | None  # unit suffix found ("件", "PCS", "kg"), if any
    hint: str | None  # value type suggested by a typed prefix or unit ("quantity", "date", ...)


@lru_cache(maxsize=131072)
def analyse(name: str) -> Analysis:
    """All readings of one field name, most literal first."""
    steps: list[str] = []
    text = nfkc(name)
    if text != name.strip():
        steps.append("NFKC (full-width → half-width)")
    curie = _CURIE_RE.match(text)
    if curie is not None:
        steps.append(f"removed namespace prefix '{curie.group('prefix')}:'")
        text = curie.group("local")
    body, suffix, is_unit = strip_unit_suffix(text)
    unit: str | None = None
    hint: str | None = None
    if suffix is not None:
        if is_unit:
            unit = suffix
            hint = "money" if suffix.lower() in MONEY_UNITS else "quantity"
            steps.append(f"removed unit suffix '{text[len(body) :].strip()}'")
        else:
            steps.append(f"removed qualifier '{text[len(body) :].strip()}'")
        text = body
    variants: list[Variant] = []
    _add_readings(variants, text, tuple(steps), 0.0)
    whole = compact(text)
    if whole in ABBREVIATIONS and " ".join(split_words(text)) != whole:
        # 'SLoc', 'BUn': an abbreviation written in mixed case splits into fragments
        _add_readings(variants, ABBREVIATIONS[whole], (*steps, f"read '{text}' as '{whole}'"), 0.0)
    prefixed = strip_erp_prefix(text)
    if prefixed is not None:
        rest, prefix = prefixed
        hint = hint or PREFIX_HINTS.get(prefix)
        _add_readings(variants, rest, (*steps, f"removed ERP prefix '{prefix}'"), 0.03)
    return Analysis(original=name, variants=tuple(variants), unit=unit, hint=hint)


def _add_readings(out: list[Variant], text: str, steps: tuple[str, ...], penalty: float) -> None:
    words = split_words(text)
    if not words:
        return
    expanded_words, expanded = expand_abbreviations(words)
    key = " ".join(expanded_words)
    more = list(steps)
    if len(words) > 1 and not all(is_cjk(w) for w in words):
        more.append("split into words")
    more.extend(f"expanded '{a}' → '{b}'" for a, b in expanded)
    out.append(
        Variant(key, compact(text), text.strip().lower(), tuple(more), steps, penalty, core=None)
    )
    for kind, reader in (("quantity", quantity_core), ("identifier", identifier_core)):
        core = reader(key)
        if core is not None:
            core_key, removed = core
            out.append(
                Variant(
                    core_key,
                    compact(core_key),
                    core_key,
                    (*more, f"removed {kind} word '{removed}'"),
                    steps,
                    penalty + 0.05,
                    core=kind,
                )
            )
