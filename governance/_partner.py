"""What the rules need to know about a partner (a node of the network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

from governance._errors import GovernanceError
from governance._timestamps import resolve_zone

__all__ = ["PartnerProfile"]


@dataclass(frozen=True)
class PartnerProfile:
    """A partner node: its id and, optionally, the zone of its offset-less times.

    ``zone`` is a fixed offset (``+08:00``) or an IANA name (``Asia/Shanghai``);
    without it, a timestamp with no offset from this partner is refused.
    """

    node_id: str
    zone: str | None = None
    tz: tzinfo | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.node_id, str) or not self.node_id:
            raise GovernanceError("a partner needs a non-empty node id")
        object.__setattr__(self, "tz", None if self.zone is None else resolve_zone(self.zone))
