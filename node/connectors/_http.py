"""What both ERP clients share: one httpx client, JSON out, errors without secrets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final, Self

import httpx

from node.connectors._errors import PayloadError, UpstreamError

__all__ = ["USER_AGENT", "ErpHttpClient", "error_message", "json_body"]

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


class ErpHttpClient:
    """One httpx client for an ERP's base URL, with its credential headers; closes as
    a context manager."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None,
        timeout: float,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={**headers, "User-Agent": USER_AGENT},
            transport=transport,
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
