"""Refuse JSON request bodies that carry strings which are not Unicode text.

``json.loads`` accepts an escaped lone surrogate (``"\\ud800"``), and pydantic
passes it on; the string then breaks whatever must encode it as UTF-8 (a database
row, a hash, a signature base). :class:`JsonTextGuard` refuses such a body on every
route, before any handler runs, with a 400 problem naming where the string is.

Only bodies that can hold one are parsed: JSON media types whose bytes contain a
``\\u`` escape of the surrogate range (an unescaped surrogate is not valid UTF-8
and the JSON parser refuses it already). Other requests pass untouched.
"""

from __future__ import annotations

import json
import re
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node._unicode import lone_surrogate_at
from node.api.deps import MAX_BODY_BYTES
from node.api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

__all__ = ["JsonTextGuard"]

_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _json_media(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = bytes(value).split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _refusal(body: bytes) -> str | None:
    """Where the body holds a lone surrogate, or None (also for bodies that are not
    JSON: the route's own parser refuses those with its own message)."""
    if _SURROGATE_ESCAPE.search(body) is None:
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return lone_surrogate_at(value)


class JsonTextGuard:
    """Pure ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _json_media(scope):
            await self.app(scope, receive, send)
            return
        read: list[Message] = []
        size = 0
        while True:
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(read), send)
                return
            size += len(message.get("body", b""))
            if size > MAX_BODY_BYTES:
                # too large to hold: the route's body reader refuses it (413) as it
                # streams; never buffer more than the node accepts
                await self.app(scope, _replay(read, receive), send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in read)
        where = _refusal(body)
        if where is None:
            replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
            await self.app(scope, _replay(replay, receive), send)
            return
        problem = {
            "type": PROBLEM_BASE + "invalid-text",
            "title": "Invalid text",
            "status": 400,
            "detail": f"a string at {where} is not Unicode text (a lone surrogate escape)",
            "instance": scope.get("path", ""),
        }
        payload = json.dumps(problem).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
