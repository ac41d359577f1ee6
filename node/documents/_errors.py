"""The documents package's error hierarchy."""

from __future__ import annotations

__all__ = [
    "DocumentError",
    "DocumentFormatError",
    "DocumentNotFoundError",
    "DocumentSignatureError",
    "OutOfOrderError",
    "TransitionError",
]


class DocumentError(Exception):
    """Any refusal of a business document."""


class DocumentFormatError(DocumentError):
    """A document (or a field of one) is malformed."""


class DocumentSignatureError(DocumentError):
    """A document's author signature or hash does not verify."""


class TransitionError(DocumentError):
    """The document is well formed but impossible in its chain's current state."""


class OutOfOrderError(DocumentError):
    """A document refers to one this node does not hold yet; deliver it again later."""


class DocumentNotFoundError(DocumentError):
    """No such document, or the caller is not one of its two parties."""
