"""Errors of the semantic mapping package.

Every parser of untrusted input (field names, CSV headers, profiles, partner records,
EPCIS documents) raises one of these, never a bare builtin exception.
"""

from __future__ import annotations

__all__ = [
    "FieldInputError",
    "MappingError",
    "ProfileError",
    "TransformError",
    "VocabularyError",
]


class MappingError(Exception):
    """Base class of every error raised by :mod:`semantic_mapping`."""


class VocabularyError(MappingError):
    """The vocabulary graph (or an extension of it) is malformed or incomplete."""


class FieldInputError(MappingError):
    """A source field description or a header is unusable (empty, duplicate, binary, huge)."""


class ProfileError(MappingError):
    """A mapping profile is malformed, or an approval is inconsistent with it."""


class TransformError(MappingError):
    """A partner record or EPCIS event cannot be turned into a canonical record."""
