"""Errors of the publishing pipeline; the API turns each into one problem response."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConflictError",
    "InputError",
    "InventoryError",
    "Issue",
    "RefusedError",
    "TooLargeError",
    "UnmappedError",
]


@dataclass(frozen=True)
class Issue:
    """One problem with one part of the input: where, what, and its kind."""

    loc: tuple[str | int, ...]
    msg: str
    type: str


class InventoryError(Exception):
    """A snapshot was refused; nothing was stored. ``status`` and ``slug`` name the problem."""

    status = 422
    slug = "inventory"
    title = "Snapshot refused"

    def __init__(self, detail: str, issues: Sequence[Issue] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.issues = tuple(issues)


class InputError(InventoryError):
    """The body is not a usable export or list of positions (format, encoding, shape)."""

    status = 400
    slug = "inventory-input"
    title = "Unusable snapshot input"


class TooLargeError(InventoryError):
    status = 413
    slug = "inventory-too-large"
    title = "Snapshot too large"


class UnmappedError(InventoryError):
    """Fields without an approved mapping; ``issues`` carry the proposed concepts."""

    slug = "inventory-unmapped"
    title = "Fields without an approved mapping"


class RefusedError(InventoryError):
    """Records break hard rules of the rule set in force; ``issues`` cite each rule."""

    slug = "inventory-rules"
    title = "Records break governance rules"


class ConflictError(InventoryError):
    """Concurrent publishes kept changing what this snapshot depends on (an item's
    salt, or the documents and previous snapshot of a sum statement); retry."""

    status = 409
    slug = "inventory-conflict"
    title = "Snapshot conflicts with concurrent publishes"
