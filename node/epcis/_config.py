"""Where the node finds the EPCIS 2.0 JSON schema at run time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from node.epcis._errors import EpcisError
from node.epcis._schema import EpcisSchema, load_schema

__all__ = ["SCHEMA_ENV", "configured_schema"]

#: Environment variable naming the schema file (the node ships no copy of it).
SCHEMA_ENV: Final = "SCNODE_EPCIS_SCHEMA"


def configured_schema(path: Path | str | None = None) -> EpcisSchema:
    """The schema at ``path``, else at ``$SCNODE_EPCIS_SCHEMA``; EpcisError if neither."""
    chosen = path if path is not None else os.environ.get(SCHEMA_ENV)
    if not chosen:
        raise EpcisError(
            f"no EPCIS 2.0 JSON schema configured: pass --schema or set {SCHEMA_ENV} "
            "to the path of epcis-json-schema.json"
        )
    return load_schema(Path(chosen))
