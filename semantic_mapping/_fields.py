"""What goes into the matcher and what comes out: source fields and match results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from semantic_mapping._errors import FieldInputError

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_SAMPLES",
    "Alternative",
    "MatchResult",
    "SourceField",
]

MAX_NAME_LENGTH: Final = 256
MAX_DESCRIPTION_LENGTH: Final = 2048
MAX_SAMPLES: Final = 50


@dataclass(frozen=True)
class SourceField:
    """A partner's field: its name, and where known a description and sample values."""

    name: str
    description: str | None = None
    samples: tuple[object, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise FieldInputError("field name is empty")
        if len(self.name) > MAX_NAME_LENGTH:
            raise FieldInputError(
                f"field name is {len(self.name)} characters long (limit {MAX_NAME_LENGTH})"
            )
        if any(ord(ch) < 32 and ch not in "\t" for ch in self.name) or "\ufffd" in self.name:
            raise FieldInputError(f"field name {self.name[:40]!r} contains control or binary bytes")
        if self.description is not None and not isinstance(self.description, str):
            raise FieldInputError("description must be a string or null")

    @classmethod
    def from_json(cls, item: object) -> SourceField:
        """Parse one item of the `scnode map --json` input."""
        if not isinstance(item, dict):
            raise FieldInputError(f"each item must be an object, got {type(item).__name__}")
        name = item.get("name")
        if not isinstance(name, str):
            raise FieldInputError("each item needs a string 'name'")
        description = item.get("description")
        if description is not None and not isinstance(description, str):
            raise FieldInputError(f"{name!r}: 'description' must be a string or null")
        samples = item.get("samples")
        if samples is None:
            samples = []
        if not isinstance(samples, list):
            raise FieldInputError(f"{name!r}: 'samples' must be an array or null")
        if any(isinstance(s, dict | list) for s in samples):
            raise FieldInputError(f"{name!r}: samples must be scalars")
        if description is not None:
            description = description[:MAX_DESCRIPTION_LENGTH]
        return cls(name=name, description=description, samples=tuple(samples[:MAX_SAMPLES]))


@dataclass(frozen=True)
class Alternative:
    concept: str
    confidence: float


@dataclass(frozen=True)
class MatchResult:
    name: str
    concept: str
    confidence: float
    alternatives: tuple[Alternative, ...]
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "concept": self.concept,
            "confidence": self.confidence,
            "alternatives": [
                {"concept": a.concept, "confidence": a.confidence} for a in self.alternatives
            ],
            "explanation": self.explanation,
        }
