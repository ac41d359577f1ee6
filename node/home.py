"""Where a node keeps its keys, database and settings.

The home folder is ``--home DIR`` if given, else ``$SCNODE_HOME``, else ``./.scnode``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["HOME_ENV", "resolve_home"]

HOME_ENV = "SCNODE_HOME"
DEFAULT_HOME = ".scnode"


def resolve_home(
    option: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
) -> Path:
    """Return the home folder for this invocation (not created here)."""
    environ = os.environ if env is None else env
    if option is not None and str(option) != "":
        return Path(option).expanduser()
    from_env = environ.get(HOME_ENV, "")
    if from_env:
        return Path(from_env).expanduser()
    return Path(DEFAULT_HOME)
