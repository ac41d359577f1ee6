"""``GET /dashboard``: the collaboration health page and its static assets.

The page and its assets are static files of this package (``node/dashboard/``),
served by the node itself: no CDN, no external fonts, so it works without
internet. They carry no data; the page reads ``GET /v1/governance/dashboard``
with a token the user enters once (kept in the tab's ``sessionStorage``).
Every URL in them is relative to the page, so the same files work when the node
is served under a path prefix (``/t/<tenant>/dashboard``).
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter

from node.api.static_page import add_static_page

__all__ = ["ASSETS", "router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)

#: The assets the page may load, with their media types (nothing else is served).
ASSETS: Final = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
add_static_page(router, at="dashboard", package="node.dashboard", assets=ASSETS, what="dashboard")
