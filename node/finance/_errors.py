"""The error hierarchy of :mod:`node.finance`."""

from __future__ import annotations

__all__ = [
    "FinanceError",
    "FinanceFormatError",
    "FinanceNotFoundError",
    "FinanceVerificationError",
    "PledgeRefusedError",
    "RegistryUnavailableError",
]


class FinanceError(Exception):
    """Base class of every error raised by :mod:`node.finance`."""


class FinanceFormatError(FinanceError):
    """A pledge, coverage record or bundle that is malformed (bad input)."""


class FinanceVerificationError(FinanceError):
    """A signature, proof or cross-reference that does not verify."""


class PledgeRefusedError(FinanceError):
    """A pledge the borrower's stock cannot cover together with the pledges already active."""


class FinanceNotFoundError(FinanceFormatError):
    """A grant or pledge this node does not know."""


class RegistryUnavailableError(FinanceError):
    """Another bank's registry could not be asked (unreachable, or an HTTP error)."""
