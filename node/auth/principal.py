"""Who is making a request: a token holder or a signing peer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from node.auth.roles import Role

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    kind: Literal["token", "peer"]
    id: str  # token id or peer id
    name: str  # token name or peer key name
    role: Role
