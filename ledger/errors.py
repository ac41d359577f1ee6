"""The ledger's error hierarchy.

Every failure the ledger reports is a :class:`LedgerError`. Parsers of untrusted
input raise :class:`FormatError`; verifiers raise a :class:`VerificationError`
subclass and never return a boolean.
"""

from __future__ import annotations

__all__ = [
    "ChainError",
    "ConsistencyProofError",
    "FormatError",
    "InclusionProofError",
    "LedgerError",
    "RootMismatchError",
    "SignatureError",
    "StorageError",
    "VerificationError",
]


class LedgerError(Exception):
    """Base class of every error raised by :mod:`ledger`."""


class FormatError(LedgerError):
    """Malformed input: bad base64, bad note, bad JSON, non-canonical bytes, ..."""


class VerificationError(LedgerError):
    """Something does not verify."""


class RootMismatchError(VerificationError):
    """A computed Merkle root differs from the expected one."""

    def __init__(self, expected: bytes, calculated: bytes, message: str | None = None) -> None:
        self.expected = expected
        self.calculated = calculated
        super().__init__(
            message
            or f"root mismatch: expected {expected.hex() or '(empty)'}, "
            f"calculated {calculated.hex() or '(empty)'}"
        )


class InclusionProofError(VerificationError):
    """An inclusion proof is malformed or does not verify."""


class ConsistencyProofError(VerificationError):
    """A consistency proof is malformed or does not verify."""


class SignatureError(VerificationError):
    """Missing or invalid signature, unknown key, or witness quorum not met."""


class ChainError(VerificationError):
    """Entry ``index`` does not chain to its predecessor, or is not what was stored."""

    def __init__(self, index: int, message: str) -> None:
        self.index = index
        super().__init__(message)


class StorageError(LedgerError):
    """Storage failure: concurrent conflict, missing data, ..."""
