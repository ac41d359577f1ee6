"""Roles of API tokens and peers."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PEER_ROLES", "Role"]


class Role(StrEnum):
    """What a caller may do.

    ``admin`` manages tokens and peers; ``operator`` publishes, maps and approves;
    ``partner`` is a peer company; ``auditor`` and ``bank`` verify what they were
    granted.
    """

    ADMIN = "admin"
    OPERATOR = "operator"
    PARTNER = "partner"
    AUDITOR = "auditor"
    BANK = "bank"


# Roles a node-to-node peer may hold (peers never administer each other).
PEER_ROLES = frozenset({Role.PARTNER, Role.AUDITOR, Role.BANK})
