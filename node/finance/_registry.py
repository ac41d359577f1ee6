"""The pledge registry: who may ask, what they learn, and the lookup itself.

Each ``finance.pledge`` entry lists registry keys, one per calendar month of its
period: ``H(tag || RFC 8785 {borrower, sku, site, bucket})`` (see
:func:`registry_key`). A bank that is asked to lend against (sku, site) of a
borrower computes the keys of its period and asks the borrower's log for pledge
entries carrying them. A hit says that a pledge exists (its id, entry index,
period and quantity commitment); the quantity, the ratio and any other term stay
hidden. What keeps the registry honest is not the lookup but the coverage
proofs: see docs/threat-model-financing.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledger import JSONValue
from node.finance._pledge import SignedPledge, month_buckets, registry_key

__all__ = ["RegistryHit", "period_keys", "registry_lookup"]


@dataclass(frozen=True)
class RegistryHit:
    """What a registry query reveals about one existing pledge."""

    key: str
    pledge: str
    seq: int
    from_ms: int
    to_ms: int
    commitment: str

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "key": self.key,
            "pledge": self.pledge,
            "seq": self.seq,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "commitment": self.commitment,
        }


def period_keys(
    borrower: str, sku: str, site: str, from_ms: int, to_ms: int, *, lot: str | None = None
) -> tuple[str, ...]:
    """The registry keys of (borrower, sku, site[, lot]) for every month of a period."""
    return tuple(registry_key(borrower, sku, site, b, lot) for b in month_buckets(from_ms, to_ms))


def registry_lookup(
    pledges: Iterable[tuple[int, SignedPledge]], keys: Iterable[str]
) -> list[RegistryHit]:
    """The pledges (entry index, signed pledge) that carry any of ``keys``."""
    wanted = set(keys)
    hits = []
    for seq, signed in pledges:
        p = signed.pledge
        for key in p.registry:
            if key in wanted:
                hits.append(RegistryHit(key, p.id, seq, p.from_ms, p.to_ms, p.commitment.hex()))
    return hits
