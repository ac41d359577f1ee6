"""Errors of the disclosure package."""

from __future__ import annotations

__all__ = ["GrantError", "PolicyError"]


class PolicyError(ValueError):
    """A disclosure policy document is malformed or unsafe; the message says where."""


class GrantError(ValueError):
    """A grant record is malformed (bad patterns, period, buckets or grantee)."""
