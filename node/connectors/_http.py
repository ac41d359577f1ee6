"""What both ERP clients share: one httpx client, JSON out, errors without secrets."""

from __future__ import annotations

import json
from typing import Any, Final

import httpx

from node.connectors._errors import PayloadError, UpstreamError

__all__ = ["USER_AGENT", "error_message", "json_body"]

USER_AGENT: Final = "scnode-connector/1"
_MAX_MESSAGE: Final = 300


def json_body(response: httpx.Response, what: str) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PayloadError(f"{what}: the ERP's answer is not JSON") from None


def error_message(response: httpx.Response, keys: tuple[str, ...]) -> UpstreamError:
    """The ERP's own message (first of ``keys`` found), shortened; never a header."""
    message = response.reason_phrase or "error"
    try:
        value = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        value = None
    if isinstance(value, dict):
        for key in keys:
            found = value.get(key)
            if isinstance(found, str) and found.strip():
                message = found.strip()
                break
    elif isinstance(value, str) and value.strip():
        message = value.strip()
    return UpstreamError(response.status_code, message.splitlines()[0][:_MAX_MESSAGE])
