"""The EPCIS package's error."""

from __future__ import annotations

__all__ = ["EpcisError"]


class EpcisError(Exception):
    """An EPCIS document refused (schema, content or mapping), with the reason."""
