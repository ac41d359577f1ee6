"""The error hierarchy of :mod:`governance`.

Callers branch on the subclasses; every message says what is wrong in words a
partner's operator can act on.
"""

from __future__ import annotations

__all__ = [
    "CaseFormatError",
    "ExceptionTransitionError",
    "GovernanceError",
    "MetricsStateError",
    "RuleSetError",
    "TimestampError",
]


class GovernanceError(Exception):
    """Base class of every error raised by :mod:`governance`."""


class RuleSetError(GovernanceError):
    """A rule set (JSON or object) is malformed or inconsistent."""


class TimestampError(GovernanceError):
    """A timestamp cannot be read under the network's timestamp standard."""


class MetricsStateError(GovernanceError):
    """Stored metric buckets cannot be read back, or an observation is invalid."""


class ExceptionTransitionError(GovernanceError):
    """An exception case cannot make the requested transition."""

    def __init__(self, message: str, *, case_id: str, state: str) -> None:
        super().__init__(message)
        self.case_id = case_id
        self.state = state


class CaseFormatError(GovernanceError):
    """A stored exception case cannot be read back."""
