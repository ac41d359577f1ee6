"""Grant records: what the owner granted one bank or auditor (SKUs, sites, period, openings)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from node.auth.roles import Role
from node.disclosure._errors import GrantError
from node.disclosure._patterns import check_patterns, matches

__all__ = ["GRANTABLE_ROLES", "OPENABLE", "Grant", "new_grant"]

#: Roles a grant may be made to (partners never receive openings).
GRANTABLE_ROLES: Final = frozenset({Role.BANK, Role.AUDITOR})
#: What a grant may open: the quantity buckets and the safety stock.
OPENABLE: Final = frozenset(
    {
        "on_hand",
        "available",
        "in_transit",
        "in_inspection",
        "reserved",
        "blocked",
        "damaged",
        "on_order",
        "safety_stock",
    }
)
MAX_MS: Final = 2**53 - 1


@dataclass(frozen=True)
class Grant:
    """``grantee`` (a token or peer key name holding ``role``) may see the positions
    whose SKU and site match, with an as-of time in ``[from_ms, to_ms]``, and the
    openings of ``buckets`` for them."""

    id: str
    grantee: str
    role: Role
    skus: tuple[str, ...]
    locations: tuple[str, ...]
    from_ms: int
    to_ms: int
    buckets: frozenset[str]
    created_ms: int
    revoked_ms: int | None = None

    def covers(self, sku: str, location: str | None, as_of_ms: int) -> bool:
        return (
            self.revoked_ms is None
            and matches(self.skus, sku)
            and matches(self.locations, location)
            and self.from_ms <= as_of_ms <= self.to_ms
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "grantee": self.grantee,
            "role": self.role.value,
            "skus": list(self.skus),
            "locations": list(self.locations),
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "buckets": sorted(self.buckets),
            "created_ms": self.created_ms,
            "revoked_ms": self.revoked_ms,
        }


def _ms(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MS:
        raise GrantError(f"{what} must be UTC milliseconds in [0, 2^53)")
    return value


def new_grant(
    *,
    grant_id: str,
    grantee: object,
    role: object,
    skus: object,
    locations: object,
    from_ms: object,
    to_ms: object,
    buckets: Iterable[object],
    created_ms: int,
) -> Grant:
    """A checked :class:`Grant`; :class:`GrantError` says what is wrong."""
    if not isinstance(grantee, str) or not grantee.strip() or len(grantee) > 200:
        raise GrantError("grantee must be a token or peer key name of 1-200 characters")
    try:
        parsed_role = Role(str(role))
    except ValueError:
        raise GrantError(f"unknown role {role!r}") from None
    if parsed_role not in GRANTABLE_ROLES:
        raise GrantError(f"grants are made to a bank or an auditor, not {parsed_role.value}")
    try:
        sku_patterns = check_patterns(skus, "skus")
        location_patterns = check_patterns(locations, "locations")
    except ValueError as exc:
        raise GrantError(str(exc)) from None
    start, end = _ms(from_ms, "from_ms"), _ms(to_ms, "to_ms")
    if start > end:
        raise GrantError("the grant period ends before it starts")
    opened = set()
    for bucket in buckets:
        if not isinstance(bucket, str) or bucket not in OPENABLE:
            raise GrantError(f"cannot grant the opening of {bucket!r}")
        opened.add(bucket)
    return Grant(
        id=grant_id,
        grantee=grantee,
        role=parsed_role,
        skus=sku_patterns,
        locations=location_patterns,
        from_ms=start,
        to_ms=end,
        buckets=frozenset(opened),
        created_ms=created_ms,
    )
