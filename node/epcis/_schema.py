"""The EPCIS 2.0 JSON schema, with JSON Schema format checks enabled.

The schema is GS1's (``epcis-json-schema.json``, draft-07); the node does not ship
a copy: a path to it is passed in (``--schema`` on the command line, the
``SCNODE_EPCIS_SCHEMA`` environment variable for the service). Format checks
(``date-time``, ``uri``, ...) matter: without them a malformed ``eventTime`` or an
extension field without a namespace passes.
"""

from __future__ import annotations

import json
from collections import deque
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError, best_match

from node.epcis._errors import EpcisError

__all__ = ["EpcisSchema", "load_schema"]


def _where(path: deque[str | int]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _short(error: ValidationError) -> str:
    """One alternative of an ``anyOf`` that failed, in a few words."""
    if error.validator == "enum":
        return "not a standard (CBV) value"
    if error.validator == "format":
        return f"not a {error.validator_value!r}"
    if error.validator == "pattern":
        return f"not matching {error.validator_value!r}"
    if error.validator == "type":
        return f"not of type {error.validator_value!r}"
    return f"not valid ({error.validator})"


class EpcisSchema:
    """A validator for EPCIS 2.0 JSON documents and bare events."""

    def __init__(self, schema: dict[str, Any]) -> None:
        try:
            Draft7Validator.check_schema(schema)
        except SchemaError as exc:
            raise EpcisError(f"not a usable JSON schema: {exc.message}") from None
        self._validator = Draft7Validator(schema, format_checker=FormatChecker())
        self.id = str(schema.get("$id", ""))

    def validate(self, document: object) -> None:
        """None if ``document`` is valid EPCIS 2.0 JSON; EpcisError with the reason."""
        error = best_match(self._validator.iter_errors(document))
        if error is None:
            return
        while error.context:
            # "not valid under any of the given schemas": say why, at the deepest place
            deepest = max(len(e.absolute_path) for e in error.context)
            if deepest > len(error.absolute_path):
                error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
                continue
            if all(e.validator == "required" for e in error.context):
                missing = sorted({e.message.split("'")[1] for e in error.context})
                raise EpcisError(f"{_where(error.absolute_path)}: needs {' or '.join(missing)}")
            reasons = sorted({_short(e) for e in error.context})
            value = repr(error.instance)
            value = value if len(value) <= 80 else value[:77] + "..."
            raise EpcisError(f"{_where(error.absolute_path)}: {value} is {' and '.join(reasons)}")
        message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
        raise EpcisError(f"{_where(error.absolute_path)}: {message}")


@lru_cache(maxsize=4)
def load_schema(path: Path) -> EpcisSchema:
    """The schema at ``path`` (cached per path)."""
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise EpcisError(f"cannot read the EPCIS schema {path}: {exc.strerror}") from None
    except ValueError:
        raise EpcisError(f"the EPCIS schema {path} is not JSON") from None
    if not isinstance(data, dict):
        raise EpcisError(f"the EPCIS schema {path} is not a JSON object")
    return EpcisSchema(data)
