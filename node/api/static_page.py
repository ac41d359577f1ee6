"""A page the node serves itself (no CDN, no build step): its HTML at ``/NAME``,
``/NAME/`` redirected relatively, and a fixed set of assets at ``/NAME/assets/``.

The dashboard and the upload page are served this way; both use only relative
URLs, so they work under a path prefix (``/t/<tenant>/``) as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Annotated, Final

from fastapi import APIRouter, Path
from fastapi.responses import Response

from node.api.problems import ProblemError

__all__ = ["PAGE_HEADERS", "add_static_page"]

PAGE_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


def add_static_page(
    router: APIRouter, *, at: str, package: str, assets: Mapping[str, str], what: str
) -> None:
    """Serve ``package``'s ``index.html`` at ``/{at}`` and ``assets`` (file name →
    media type; nothing else) at ``/{at}/assets/{name}``."""

    def read(file: str) -> bytes:
        return resources.files(package).joinpath(file).read_bytes()

    def page() -> Response:
        return Response(
            read("index.html"), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
        )

    def page_slash() -> Response:
        # relative: right under any path prefix
        return Response(status_code=308, headers={"Location": f"../{at}", **PAGE_HEADERS})

    def asset(name: Annotated[str, Path(max_length=64)]) -> Response:
        media_type = assets.get(name)
        if media_type is None:
            raise ProblemError(404, "not-found", f"no such {what} asset", title="Not found")
        return Response(read(name), media_type=media_type, headers=PAGE_HEADERS)

    page.__doc__ = f"The {what} page (static HTML)."
    page_slash.__doc__ = f"``/{at}/`` → ``../{at}``."
    asset.__doc__ = f"One of the {what} page's static assets."
    router.add_api_route(f"/{at}", page, methods=["GET"], include_in_schema=False)
    router.add_api_route(f"/{at}/", page_slash, methods=["GET"], include_in_schema=False)
    router.add_api_route(f"/{at}/assets/{{name}}", asset, methods=["GET"], include_in_schema=False)
