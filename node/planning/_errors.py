"""The planning package's errors: one root, a parse error and a verification error."""

from __future__ import annotations

__all__ = ["FactError", "PlanningError", "PlanningFormatError"]


class PlanningError(Exception):
    """Root of every error raised by :mod:`node.planning`."""


class PlanningFormatError(PlanningError):
    """A forecast, capacity report or fact is malformed (says what is wrong)."""


class FactError(PlanningError):
    """A forwarded capacity fact does not verify (says which check failed)."""
