"""Tier-N capacity facts: "capacity for SKU X in week W is below (or at least) the demand".

The supplier at the bottom of the chain (a wafer fab) commits to its capacity and
to the demand it was given, per week, and proves in zero knowledge which side of
the demand its capacity lies on, without disclosing either number:

* ``capacity_below_demand``: ``C_demand − C_capacity`` commits to a value ``≥ 1``
  (``zk.prove_at_least(…, 1)``), i.e. capacity ≤ demand − 1;
* ``capacity_at_least_demand``: ``C_capacity − C_demand`` commits to a value
  ``≥ 0`` (``zk.prove_at_least(…, 0)``).

One aggregated range proof shows every committed capacity and demand is in
``[0, 2^32)``, so the differences cannot wrap around the group order: the
relations hold as integers. Each proof is bound to :func:`fact_context` (origin,
fact id, subject, week, relation); the range proof to :func:`range_context`.

The body (:meth:`CapacityFact.to_body`) is recorded as a ``planning.capacity_fact``
ledger entry: commitments, proofs and a salted subject hash, no plaintext number.
The fab exports it as a ``scnode-evidence/v1`` bundle; the bundle's extra member
``capacity_fact`` may disclose the sku, the subject salt and the demand openings
(the demand the receiver already knows). The module maker forwards the bundle
unchanged; the phone maker checks it with :func:`verify_forwarded_fact`, offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import rfc8785

import zk
from ledger import JSONValue
from node.planning._errors import FactError, PlanningFormatError
from node.planning._models import MAX_QUANTITY
from node.planning._weeks import Week, parse_week

__all__ = [
    "BITS",
    "FACT_FORMAT",
    "FACT_KIND",
    "MAX_WEEKS",
    "SUBJECT_FORMAT",
    "CapacityFact",
    "ProvenFact",
    "Relation",
    "WeekClaim",
    "fact_context",
    "prove_capacity_fact",
    "range_context",
    "subject_of",
    "verify_capacity_fact",
]

FACT_KIND: Final = "planning.capacity_fact"
FACT_FORMAT: Final = "scnode-capacity-fact/v1"
SUBJECT_FORMAT: Final = "scnode-capacity-subject/v1"
BITS: Final = 32
MAX_WEEKS: Final = zk.MAX_AGGREGATION // 2  # capacity + demand per week in one range proof


class Relation(StrEnum):
    BELOW = "capacity_below_demand"
    AT_LEAST = "capacity_at_least_demand"


def subject_of(sku: str, salt: str) -> str:
    """The salted hash naming the sku on the ledger (hex SHA-256 of RFC 8785 JSON)."""
    return hashlib.sha256(
        rfc8785.dumps({"format": SUBJECT_FORMAT, "sku": sku, "salt": salt})
    ).hexdigest()


def fact_context(origin: str, fact_id: str, subject: str, week: str, relation: str) -> bytes:
    return rfc8785.dumps(
        {
            "format": FACT_FORMAT,
            "origin": origin,
            "fact_id": fact_id,
            "subject": subject,
            "week": week,
            "relation": relation,
        }
    )


def range_context(origin: str, fact_id: str, subject: str) -> bytes:
    return rfc8785.dumps(
        {"format": FACT_FORMAT, "origin": origin, "fact_id": fact_id, "subject": subject}
    )


@dataclass(frozen=True)
class WeekClaim:
    week: Week
    relation: Relation
    capacity: zk.Commitment
    demand: zk.Commitment
    proof: zk.RangeProof


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise PlanningFormatError(f"{where} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PlanningFormatError(f"{where} is not valid base64") from exc


def _unhex(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise PlanningFormatError(f"{where} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise PlanningFormatError(f"{where} is not valid hex") from exc


def _zk(parse: Any, raw: bytes, where: str) -> Any:
    try:
        return parse(raw)
    except zk.ProofError as exc:
        raise PlanningFormatError(f"{where}: {exc}") from exc


@dataclass(frozen=True)
class CapacityFact:
    """The public part of a capacity fact: what the ledger entry's body holds."""

    fact_id: str
    subject: str
    weeks: tuple[WeekClaim, ...]
    range_proof: zk.RangeProof

    def to_body(self) -> dict[str, JSONValue]:
        return {
            "format": FACT_FORMAT,
            "fact_id": self.fact_id,
            "subject": self.subject,
            "bits": BITS,
            "zk": {"curve": "secp256k1", "generators": zk.DEFAULT_GENERATORS.digest.hex()},
            "weeks": [
                {
                    "week": w.week,
                    "relation": w.relation.value,
                    "capacity": w.capacity.to_bytes().hex(),
                    "demand": w.demand.to_bytes().hex(),
                    "proof": _b64(w.proof.to_bytes()),
                }
                for w in self.weeks
            ],
            "range_proof": _b64(self.range_proof.to_bytes()),
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> CapacityFact:
        """Parse an entry body strictly; PlanningFormatError naming what is wrong."""
        if not isinstance(body, Mapping) or body.get("format") != FACT_FORMAT:
            raise PlanningFormatError(f"entry body is not a {FACT_FORMAT} fact")
        if body.get("bits") != BITS:
            raise PlanningFormatError(f"fact bits must be {BITS}")
        fact_id, subject = body.get("fact_id"), body.get("subject")
        if not isinstance(fact_id, str) or not fact_id or not isinstance(subject, str):
            raise PlanningFormatError("fact_id and subject must be strings")
        raw_weeks = body.get("weeks")
        if not isinstance(raw_weeks, list) or not 1 <= len(raw_weeks) <= MAX_WEEKS:
            raise PlanningFormatError(f"a fact has 1 to {MAX_WEEKS} weeks")
        weeks: list[WeekClaim] = []
        for i, raw in enumerate(raw_weeks):
            where = f"weeks[{i}]"
            if not isinstance(raw, Mapping):
                raise PlanningFormatError(f"{where} is not an object")
            try:
                relation = Relation(str(raw.get("relation")))
            except ValueError as exc:
                raise PlanningFormatError(f"{where}.relation is unknown") from exc
            cap = _unhex(raw.get("capacity"), f"{where}.capacity")
            dem = _unhex(raw.get("demand"), f"{where}.demand")
            weeks.append(
                WeekClaim(
                    week=parse_week(raw.get("week")),
                    relation=relation,
                    capacity=_zk(zk.Commitment.from_bytes, cap, f"{where}.capacity"),
                    demand=_zk(zk.Commitment.from_bytes, dem, f"{where}.demand"),
                    proof=_zk(zk.RangeProof.from_bytes, _unb64(raw.get("proof"), where), where),
                )
            )
        if len({w.week for w in weeks}) != len(weeks):
            raise PlanningFormatError("a fact lists a week twice")
        proof = _unb64(body.get("range_proof"), "range_proof")
        return cls(fact_id, subject, tuple(weeks), _zk(zk.RangeProof.from_bytes, proof, "range"))


@dataclass(frozen=True)
class ProvenFact:
    """A fact with its secrets: the openings stay in the owner's database."""

    fact: CapacityFact
    sku: str
    salt: str
    capacity_openings: Mapping[Week, zk.Opening]
    demand_openings: Mapping[Week, zk.Opening]

    def disclosure(self) -> dict[str, JSONValue]:
        """The ``capacity_fact`` bundle member for the customer: sku, salt, demand."""
        return {
            "format": FACT_FORMAT,
            "sku": self.sku,
            "salt": self.salt,
            "demand_openings": {
                week: opening.to_bytes().hex()
                for week, opening in sorted(self.demand_openings.items())
            },
        }


def prove_capacity_fact(
    *,
    origin: str,
    fact_id: str,
    sku: str,
    salt: str,
    weeks: Sequence[tuple[Week, int, int]],
    rng: zk.Rng,
) -> ProvenFact:
    """Commit to (capacity, demand) per week and prove where capacity lies.

    ``weeks``: (week, capacity, demand), 1 to :data:`MAX_WEEKS` distinct weeks,
    quantities in ``[0, 2^32)``. The relation of each week is the true one.
    """
    if not 1 <= len(weeks) <= MAX_WEEKS or len({w for w, _, _ in weeks}) != len(weeks):
        raise PlanningFormatError(f"a fact covers 1 to {MAX_WEEKS} distinct weeks")
    subject = subject_of(sku, salt)
    claims: list[WeekClaim] = []
    cap_open: dict[Week, zk.Opening] = {}
    dem_open: dict[Week, zk.Opening] = {}
    for week, capacity, demand in weeks:
        parse_week(week)
        for value in (capacity, demand):
            if isinstance(value, bool) or not isinstance(value, int):
                raise PlanningFormatError("capacity and demand must be whole numbers")
            if not 0 <= value <= MAX_QUANTITY:
                raise PlanningFormatError("capacity and demand must be in [0, 2^32)")
        c_cap, o_cap = zk.commit(capacity, rng=rng)
        c_dem, o_dem = zk.commit(demand, rng=rng)
        relation = Relation.BELOW if capacity < demand else Relation.AT_LEAST
        context = fact_context(origin, fact_id, subject, week, relation.value)
        if relation is Relation.BELOW:
            proof = zk.prove_at_least(o_dem - o_cap, 1, bits=BITS, context=context, rng=rng)
        else:
            proof = zk.prove_at_least(o_cap - o_dem, 0, bits=BITS, context=context, rng=rng)
        claims.append(WeekClaim(week, relation, c_cap, c_dem, proof))
        cap_open[week], dem_open[week] = o_cap, o_dem
    openings = [o for w, _, _ in weeks for o in (cap_open[w], dem_open[w])]
    ranged = zk.prove_range(
        openings, bits=BITS, context=range_context(origin, fact_id, subject), rng=rng
    )
    fact = CapacityFact(fact_id, subject, tuple(claims), ranged)
    return ProvenFact(fact, sku, salt, cap_open, dem_open)


def verify_capacity_fact(fact: CapacityFact, *, origin: str) -> None:
    """Check every proof of a fact logged by ``origin``; FactError if one fails."""
    commitments = [c for w in fact.weeks for c in (w.capacity, w.demand)]
    try:
        zk.verify_range(
            commitments,
            fact.range_proof,
            bits=BITS,
            context=range_context(origin, fact.fact_id, fact.subject),
        )
    except zk.ProofError as exc:
        raise FactError(f"range proof of the committed quantities fails: {exc}") from exc
    for claim in fact.weeks:
        context = fact_context(origin, fact.fact_id, fact.subject, claim.week, claim.relation)
        try:
            if claim.relation is Relation.BELOW:
                diff, threshold = claim.demand - claim.capacity, 1
            else:
                diff, threshold = claim.capacity - claim.demand, 0
            zk.verify_at_least(diff, threshold, claim.proof, bits=BITS, context=context)
        except zk.ProofError as exc:
            raise FactError(f"week {claim.week}: {claim.relation.value} does not verify") from exc
