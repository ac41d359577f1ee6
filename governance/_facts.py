"""Facts a node verified about a peer's log, as the governance rules see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from governance._errors import GovernanceError

__all__ = ["AT_OR_ABOVE", "BELOW", "PeerFacts"]

#: Safety-stock fact values (from verified zk band statements).
BELOW: Final = "below"
AT_OR_ABOVE: Final = "at_or_above"


@dataclass(frozen=True)
class PeerFacts:
    """What a node verified about a peer's log (filled by the node from zk/ledger).

    ``safety_stock`` maps ``sku@location`` to ``below`` or ``at_or_above`` (the
    verified fact, never the quantity); ``failed_proofs`` and ``split_views``
    hold ids of the entries or checkpoint pairs that failed.
    """

    partner: str
    safety_stock: Mapping[str, str] = field(default_factory=dict)
    failed_proofs: tuple[str, ...] = ()
    split_views: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "safety_stock", MappingProxyType(dict(self.safety_stock)))
        bad = {v for v in self.safety_stock.values() if v not in {BELOW, AT_OR_ABOVE}}
        if bad:
            raise GovernanceError(f"safety-stock facts must be {BELOW!r} or {AT_OR_ABOVE!r}")
