"""Strings that are not Unicode text: lone surrogates from JSON ``"\\ud800"`` escapes.

``json.loads`` accepts an escaped lone surrogate, but the result cannot be encoded
as UTF-8 (for a database, a hash, a response). Parsers of untrusted JSON refuse
such a value with :func:`lone_surrogate_at`; text echoed back to a client goes
through :func:`printable` first.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["lone_surrogate_at", "printable"]

_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with every lone surrogate written as a ``\\udXXX`` escape (UTF-8 safe)."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def lone_surrogate_at(value: object) -> str | None:
    """Where in a parsed JSON value a string or key holds a lone surrogate
    (``$.positions[0].sku``), or None when every string is Unicode text."""
    pending: list[tuple[object, str]] = [(value, "$")]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item) is not None:
                return where
        elif isinstance(item, dict):
            for key, member in item.items():
                name = printable(str(key))
                if isinstance(key, str) and _SURROGATE.search(key) is not None:
                    return f"{where} key {name!r}"
                pending.append((member, f"{where}.{name}"))
        elif isinstance(item, list | tuple):
            pending.extend((member, f"{where}[{n}]") for n, member in enumerate(item))
    return None
