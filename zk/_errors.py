"""The error hierarchy of :mod:`zk`.

Every failure of a verifier, a parser or a prover precondition raises
:class:`ProofError` or one of its subclasses; callers branch on the subclass only
where they need to.
"""

from __future__ import annotations

__all__ = ["EncodingError", "ProofError", "StatementError", "VerificationError"]


class ProofError(Exception):
    """Base class of every error raised by :mod:`zk`."""


class EncodingError(ProofError):
    """Bytes that are not a canonical encoding of a point, scalar, proof or opening."""


class VerificationError(ProofError):
    """A proof, commitment or opening that does not verify."""


class StatementError(ProofError):
    """A prover asked to prove something false or outside the supported parameters."""
