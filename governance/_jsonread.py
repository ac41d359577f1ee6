"""Strict readers for untrusted JSON values, raising a chosen domain error.

Each reader names the JSON path of the offending value, so a partner can fix
its document without reading the code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from governance._errors import GovernanceError

__all__ = ["Reader"]


class Reader:
    """Typed accessors over parsed JSON; every failure raises ``error``."""

    def __init__(self, error: type[GovernanceError]) -> None:
        self.error = error

    def fail(self, path: str, what: str) -> GovernanceError:
        return self.error(f"{path}: {what}")

    def obj(self, value: Any, path: str, *, keys: Sequence[str] | None = None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected an object, got {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(path, "object keys must be strings")
        if keys is not None:
            unknown = sorted(set(value) - set(keys))
            if unknown:
                raise self.fail(path, f"unknown key(s) {', '.join(map(repr, unknown))}")
        return value

    def field(self, obj: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in obj:
            raise self.fail(path, f"missing key {key!r}")
        return obj[key]

    def string(self, value: Any, path: str, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {type(value).__name__}")
        if not empty and not value:
            raise self.fail(path, "must not be empty")
        return value

    def integer(self, value: Any, path: str, *, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected an integer, got {type(value).__name__}")
        if minimum is not None and value < minimum:
            raise self.fail(path, f"must be at least {minimum}, got {value}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {type(value).__name__}")
        result = float(value)
        if not math.isfinite(result):
            raise self.fail(path, "must be a finite number")
        return result

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {type(value).__name__}")
        return value

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list | tuple):
            raise self.fail(path, f"expected a list of strings, got {type(value).__name__}")
        return tuple(self.string(v, f"{path}[{i}]") for i, v in enumerate(value))

    def items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise self.fail(path, f"expected a list, got {type(value).__name__}")
        return list(value)
