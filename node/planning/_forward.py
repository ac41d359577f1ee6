"""Verifying a forwarded capacity fact offline: evidence bundle + proofs + disclosure.

The input is the ``scnode-evidence/v1`` bundle the fact's author exported (see
docs/evidence-bundle.md), forwarded byte for byte — either as is, or wrapped by
the intermediary in the network's ``scnode-forwarded-fact/v1`` document
(:func:`node.finance.build_forwarded`: ``{"format", "evidence", "facts": [{entry,
subject, fact}], "via"}``), the same wrapper that carries stock facts to banks.
:func:`verify_forwarded_fact` reads nothing but its arguments: no network, no
clock. It checks, cheapest first:

1. the bundle is exactly RFC 8785 canonical JSON (no byte may change unnoticed);
2. every ``log.vkeys`` item is a pinned key or one introduced by the key history;
3. the ledger part (:func:`ledger.verify_bundle`): leaves, inclusion proofs, the
   signed checkpoint under the pinned key, witness cosignatures and quorum;
4. the ``capacity_fact`` disclosure, if any: the sku and salt hash to the logged
   subject, each demand opening opens the logged demand commitment, and the
   demand equals what the caller expected;
5. every zero-knowledge proof of every ``planning.capacity_fact`` entry;
6. in a wrapper, every listed fact names a capacity-fact entry of the evidence,
   its subject, and a relation that entry proves for at least one week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import zk
from ledger import Bundle, Entry, LedgerError, canonical_json, parse_json, verify_bundle
from node.finance import FORWARD_FORMAT
from node.planning._errors import FactError, PlanningFormatError
from node.planning._fact import (
    FACT_FORMAT,
    FACT_KIND,
    CapacityFact,
    Relation,
    subject_of,
    verify_capacity_fact,
)
from node.planning._weeks import Week

__all__ = ["DISCLOSURE_MEMBER", "VerifiedFact", "VerifiedWeek", "verify_forwarded_fact"]

DISCLOSURE_MEMBER = "capacity_fact"
_MEMBERS = frozenset({"format", "log", "entries", "key_history", "consistency", DISCLOSURE_MEMBER})


@dataclass(frozen=True)
class VerifiedWeek:
    week: Week
    relation: Relation
    demand: int | None  # known only from a disclosed demand opening


@dataclass(frozen=True)
class VerifiedFact:
    origin: str
    index: int
    timestamp_ms: int
    fact_id: str
    subject: str
    sku: str | None
    weeks: tuple[VerifiedWeek, ...]
    checkpoint_size: int
    witnesses: int

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "index": self.index,
            "timestamp_ms": self.timestamp_ms,
            "fact_id": self.fact_id,
            "subject": self.subject,
            "sku": self.sku,
            "checkpoint_size": self.checkpoint_size,
            "witnesses": self.witnesses,
            "weeks": [
                {"week": w.week, "relation": w.relation.value, "demand": w.demand}
                for w in self.weeks
            ],
        }


@dataclass(frozen=True)
class _Disclosure:
    sku: str
    salt: str
    demand: dict[str, zk.Opening]


def _disclosure(doc: Mapping[str, Any]) -> _Disclosure | None:
    raw = doc.get(DISCLOSURE_MEMBER)
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or raw.get("format") != FACT_FORMAT:
        raise FactError(f"bundle member {DISCLOSURE_MEMBER!r} is not a {FACT_FORMAT} disclosure")
    sku, salt, openings = raw.get("sku"), raw.get("salt"), raw.get("demand_openings")
    if set(raw) != {"format", "sku", "salt", "demand_openings"}:
        raise FactError("disclosure has exactly format, sku, salt and demand_openings")
    if not isinstance(sku, str) or not isinstance(salt, str) or not isinstance(openings, Mapping):
        raise FactError("disclosure needs sku, salt and demand_openings")
    demand: dict[str, zk.Opening] = {}
    for week, text in openings.items():
        try:
            demand[week] = zk.Opening.from_bytes(bytes.fromhex(text))
        except (ValueError, TypeError, zk.ProofError) as exc:
            raise FactError(f"disclosed demand opening of week {week!r} is malformed") from exc
    return _Disclosure(sku, salt, demand)


def _check_vkeys(bundle: Bundle, pinned: Sequence[str]) -> None:
    introduced = b"".join(leaf for _, leaf in bundle.key_history)
    for vkey in bundle.vkeys:
        if vkey not in pinned and vkey.encode() not in introduced:
            raise FactError(f"bundle lists key {vkey[:40]!r}, neither pinned nor rotated to")


def verify_forwarded_fact(
    data: bytes,
    *,
    vkeys: Sequence[str],
    witnesses: Sequence[str] = (),
    quorum: int = 0,
    origin: str | None = None,
    sku: str | None = None,
    expect_demand: Mapping[str, int] | None = None,
) -> tuple[VerifiedFact, ...]:
    """Every capacity fact in a forwarded bundle, verified; FactError otherwise.

    ``vkeys``: the author's pinned log key(s); ``witnesses``/``quorum``: trusted
    cosigners. ``sku``: require a disclosure naming this sku. ``expect_demand``
    (week → quantity): require each of these weeks to be covered with a
    disclosed demand equal to the given one (the receiver's own demand).
    """
    doc, data, listed = _unwrap(data)
    try:
        bundle = Bundle.from_bytes(data)
        _check_vkeys(bundle, vkeys)
        report = verify_bundle(
            bundle, vkeys=vkeys, witnesses=witnesses, quorum=quorum, origin=origin
        )
    except LedgerError as exc:
        raise FactError(f"ledger evidence does not verify: {exc}") from exc
    disclosure = _disclosure(doc)
    if sku is not None and (disclosure is None or disclosure.sku != sku):
        raise FactError(f"bundle does not disclose a fact about sku {sku!r}")
    parsed: list[tuple[VerifiedFact, CapacityFact]] = []
    for item, entry_report in zip(bundle.entries, report.entries, strict=True):
        try:
            entry = Entry.from_leaf(item.leaf)
            if entry.kind != FACT_KIND:
                continue
            fact = CapacityFact.from_body(entry.body)
        except (LedgerError, PlanningFormatError) as exc:
            raise FactError(f"entry {item.index}: {exc}") from exc
        found = _one(entry, item.index, fact, disclosure)
        found = replace(
            found,
            checkpoint_size=entry_report.checkpoint_size or 0,
            witnesses=len(entry_report.witnesses),
        )
        parsed.append((found, fact))
    if not parsed:
        raise FactError(f"bundle holds no {FACT_KIND} entry")
    _check_expected([f for f, _ in parsed], expect_demand)
    if listed is not None:
        _check_listed([f for f, _ in parsed], listed)
    for _, fact in parsed:
        verify_capacity_fact(fact, origin=bundle.origin)
    return tuple(f for f, _ in parsed)


def _unwrap(data: bytes) -> tuple[dict[str, Any], bytes, list[tuple[int, str, str]] | None]:
    """The evidence bundle (object and bytes) and, in a wrapper, the facts listed."""
    try:
        doc = parse_json(data)
        canonical = canonical_json(doc)
    except LedgerError as exc:
        raise FactError(f"not a JSON document: {exc}") from exc
    if canonical != data:
        raise FactError("the document is not in RFC 8785 canonical form")
    if not isinstance(doc, dict):
        raise FactError("the document is not a JSON object")
    listed: list[tuple[int, str, str]] | None = None
    if doc.get("format") == FORWARD_FORMAT:
        listed = _listed(doc)
        evidence = doc["evidence"]
        if not isinstance(evidence, dict):
            raise FactError("the wrapper's evidence is not a bundle object")
        doc, data = evidence, canonical_json(evidence)
    unknown = sorted(set(doc) - _MEMBERS)
    if unknown:
        raise FactError(f"bundle has members a capacity fact does not use: {unknown}")
    return doc, data, listed


def _listed(doc: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    unknown = sorted(set(doc) - {"format", "evidence", "facts", "via"})
    if unknown:
        raise FactError(f"forwarded-fact document has unknown members {unknown}")
    via = doc.get("via")
    if via is not None and not isinstance(via, str):
        raise FactError("via must be a string")
    items = doc.get("facts")
    if not isinstance(items, list) or not items:
        raise FactError("facts must be a non-empty list")
    out: list[tuple[int, str, str]] = []
    for n, item in enumerate(items):
        if not isinstance(item, Mapping) or set(item) != {"entry", "subject", "fact"}:
            raise FactError(f"facts[{n}] must be {{entry, subject, fact}}")
        entry, subject, fact = item["entry"], item["subject"], item["fact"]
        if isinstance(entry, bool) or not isinstance(entry, int) or entry < 0:
            raise FactError(f"facts[{n}].entry must be an entry index")
        if not isinstance(subject, str) or not isinstance(fact, str):
            raise FactError(f"facts[{n}] needs subject and fact strings")
        out.append((entry, subject, fact))
    return out


def _check_listed(found: Sequence[VerifiedFact], listed: Sequence[tuple[int, str, str]]) -> None:
    by_index = {f.index: f for f in found}
    for entry, subject, fact in listed:
        verified = by_index.get(entry)
        if verified is None:
            raise FactError(f"forwarded fact on entry {entry}: no capacity fact at that index")
        if verified.subject != subject:
            raise FactError(f"forwarded fact on entry {entry}: subject does not match")
        if fact not in {w.relation.value for w in verified.weeks}:
            raise FactError(f"forwarded fact on entry {entry}: the entry proves no {fact!r}")


def _one(
    entry: Entry, index: int, fact: CapacityFact, disclosure: _Disclosure | None
) -> VerifiedFact:
    demand: dict[str, int] = {}
    sku: str | None = None
    if disclosure is not None and subject_of(disclosure.sku, disclosure.salt) == fact.subject:
        sku = disclosure.sku
        for claim in fact.weeks:
            opening = disclosure.demand.get(claim.week)
            if opening is None:
                continue
            try:
                zk.verify_opening(claim.demand, opening)
            except zk.ProofError as exc:
                raise FactError(f"week {claim.week}: disclosed demand does not match") from exc
            demand[claim.week] = int(opening.value)
        extra = set(disclosure.demand) - {c.week for c in fact.weeks}
        if extra:
            raise FactError(f"disclosure opens weeks the fact does not cover: {sorted(extra)}")
    elif disclosure is not None:
        raise FactError("disclosed sku and salt do not match the fact's subject")
    return VerifiedFact(
        origin=entry.origin,
        index=index,
        timestamp_ms=entry.timestamp_ms,
        fact_id=fact.fact_id,
        subject=fact.subject,
        sku=sku,
        weeks=tuple(VerifiedWeek(c.week, c.relation, demand.get(c.week)) for c in fact.weeks),
        checkpoint_size=0,
        witnesses=0,
    )


def _check_expected(facts: Sequence[VerifiedFact], expect: Mapping[str, int] | None) -> None:
    if not expect:
        return
    known: dict[str, int | None] = {w.week: w.demand for f in facts for w in f.weeks}
    for week, quantity in sorted(expect.items()):
        if week not in known:
            raise FactError(f"no fact covers week {week}")
        if known[week] != quantity:
            raise FactError(f"week {week}: the fact was proven against another demand")
