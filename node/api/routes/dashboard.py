"""``GET /dashboard``: the collaboration health page and its static assets.

The page and its assets are static files of this package (``node/dashboard/``),
served by the node itself: no CDN, no external fonts, so it works without
internet. They carry no data; the page reads ``GET /v1/governance/dashboard``
with a token the user enters once (kept in the tab's ``sessionStorage``).
Every URL in them is relative to the page, so the same files work when the node
is served under a path prefix (``/t/<tenant>/dashboard``).
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Final

from fastapi import APIRouter, Path
from fastapi.responses import Response

from node.api.problems import ProblemError

__all__ = ["router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)

#: The assets the page may load, with their media types (nothing else is served).
ASSETS: Final = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


def _read(name: str) -> bytes:
    return resources.files("node.dashboard").joinpath(name).read_bytes()


@router.get("/dashboard")
def page() -> Response:
    """The dashboard page (static HTML)."""
    return Response(_read("index.html"), media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/dashboard/")
def page_slash() -> Response:
    """``/dashboard/`` → ``../dashboard`` (relative: right under any path prefix)."""
    return Response(status_code=308, headers={"Location": "../dashboard", **_HEADERS})


@router.get("/dashboard/assets/{name}")
def asset(name: Annotated[str, Path(max_length=64)]) -> Response:
    """One of the page's static assets."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise ProblemError(404, "not-found", "no such dashboard asset", title="Not found")
    return Response(_read(name), media_type=media_type, headers=_HEADERS)
