"""Each party's disclosure policy: who may read which of its facts."""

from __future__ import annotations

from typing import Any

_ROLES: dict[str, Any] = {
    "admin": {"views": ["quantities", "commitments", "facts", "openings"], "scope": "all"},
    "operator": {"views": ["quantities", "commitments", "facts", "openings"], "scope": "all"},
    "auditor": {"views": ["commitments", "facts"], "scope": "all"},
    "partner": {"views": ["facts"], "scope": "supplied"},
    "bank": {"views": ["commitments", "facts", "openings"], "scope": "granted"},
}


def policy(parties: list[tuple[str, str]]) -> dict[str, Any]:
    """A policy letting each ``(party name, sku pattern)`` partner read the facts of
    the items it is supplied with; banks read only what a grant covers."""
    return {
        "format": "scnode-disclosure-policy/v1",
        "version": 2,
        "roles": _ROLES,
        "parties": [
            {"party": name, "role": "partner", "skus": [skus], "locations": ["*"]}
            for name, skus in parties
        ],
    }
