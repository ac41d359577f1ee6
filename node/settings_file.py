"""Writing the home folder's settings file (``HOME/scnode.toml``).

:mod:`node.settings` reads it; ``scnode init`` writes it once. Values are TOML
basic strings. The file may hold a database password, so it is created with mode
0600.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from node.settings import SETTINGS_FILE

__all__ = ["settings_path", "toml_string", "write_settings"]

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def settings_path(home: Path) -> Path:
    return home / SETTINGS_FILE


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def write_settings(home: Path, values: Mapping[str, str]) -> Path:
    """Create ``HOME/scnode.toml`` with ``values``; FileExistsError if it exists."""
    path = settings_path(home)
    text = "# scnode settings (see node/settings.py for every key)\n" + "".join(
        f"{key} = {toml_string(value)}\n" for key, value in values.items()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return path
