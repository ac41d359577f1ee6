"""The ``inventory.snapshot`` ledger entry: subjects, proof contexts, the body.

Nothing in the body is a plaintext business number. Each position appears as

* ``subject``: SHA-256 (hex) of the RFC 8785 JSON
  ``{"format": "scnode-inventory-subject/v1", "location", "lot", "salt", "sku"}``,
  where ``salt`` is 32 random bytes (hex) kept per item in the owner's database and
  disclosed, with the SKU and site, only to those entitled to them;
* ``as_of_ms``: the as-of time (UTC ms);
* ``commitments``: bucket → Pedersen commitment (33 bytes, hex), and
  ``safety_stock`` → commitment when a safety stock was given;
* ``facts``: ``available_at_least_safety_stock`` with a Bulletproofs range proof
  (base64) that ``C_available − C_safety_stock`` commits to a value in
  ``[0, 2^bits)``, or ``available_below_safety_stock`` with no proof.

Each proof is bound to :func:`fact_context`: origin, snapshot id, subject, fact.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import rfc8785

from ledger import JSONValue

__all__ = [
    "AT_LEAST",
    "BELOW",
    "ENTRY_KIND",
    "FACT_FORMAT",
    "SNAPSHOT_FORMAT",
    "SUBJECT_FORMAT",
    "Fact",
    "Lineage",
    "PositionBody",
    "fact_context",
    "snapshot_body",
    "subject_of",
]

ENTRY_KIND: Final = "inventory.snapshot"
SNAPSHOT_FORMAT: Final = "scnode-inventory-snapshot/v1"
SUBJECT_FORMAT: Final = "scnode-inventory-subject/v1"
FACT_FORMAT: Final = "scnode-inventory-fact/v1"
AT_LEAST: Final = "available_at_least_safety_stock"
BELOW: Final = "available_below_safety_stock"


def subject_of(sku: str, location: str | None, lot: str | None, salt: str) -> str:
    """The public, salted hash naming one item (sku, site, lot) on the ledger."""
    value = {"format": SUBJECT_FORMAT, "sku": sku, "location": location, "lot": lot, "salt": salt}
    return hashlib.sha256(rfc8785.dumps(value)).hexdigest()


def fact_context(origin: str, snapshot: str, subject: str, fact: str) -> bytes:
    """The context bytes a fact's proof is bound to (RFC 8785 JSON)."""
    return rfc8785.dumps(
        {
            "format": FACT_FORMAT,
            "origin": origin,
            "snapshot": snapshot,
            "subject": subject,
            "fact": fact,
        }
    )


@dataclass(frozen=True)
class Fact:
    fact: str
    proof: bytes | None = None
    bits: int | None = None

    def to_json(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {"fact": self.fact}
        if self.proof is not None:
            out["proof"] = base64.b64encode(self.proof).decode("ascii")
            out["bits"] = self.bits
        return out


@dataclass(frozen=True)
class PositionBody:
    subject: str
    as_of_ms: int
    commitments: Mapping[str, bytes]
    facts: Sequence[Fact]

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "subject": self.subject,
            "as_of_ms": self.as_of_ms,
            "commitments": {k: v.hex() for k, v in sorted(self.commitments.items())},
            "facts": [f.to_json() for f in self.facts],
        }


@dataclass(frozen=True)
class Lineage:
    source: str | None
    profile_version: int | None
    rule_set: str
    rule_set_digest: str
    policy_version: int

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "source": self.source,
            "mapping_profile_version": self.profile_version,
            "rule_set": self.rule_set,
            "rule_set_digest": self.rule_set_digest,
            "disclosure_policy_version": self.policy_version,
        }


def snapshot_body(
    *,
    snapshot: str,
    received_ms: int,
    lineage: Lineage,
    generators: bytes,
    positions: Sequence[PositionBody],
    exceptions: Sequence[Mapping[str, Any]],
    movements: Sequence[Mapping[str, Any]] = (),
) -> dict[str, JSONValue]:
    """The body of the ``inventory.snapshot`` entry (see the module docstring);
    ``movements`` (sum statements, :mod:`node.inventory._sums`) only when any."""
    body: dict[str, JSONValue] = {
        "format": SNAPSHOT_FORMAT,
        "snapshot": snapshot,
        "received_ms": received_ms,
        "lineage": lineage.to_json(),
        "zk": {"curve": "secp256k1", "generators": generators.hex()},
        "positions": [p.to_json() for p in positions],
        "exceptions": [dict(e) for e in exceptions],
    }
    if movements:
        body["movements"] = [dict(m) for m in movements]
    return body
