"""Shared pieces of the browser tests: the system's Chromium, a uvicorn server in a thread.

The browser is Debian's ``/usr/bin/chromium`` driven by the ``playwright`` package
(no browser is downloaded); tests that need it carry the mark :data:`needs_browser`.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest
import uvicorn
from starlette.types import ASGIApp

from tests.node.helpers import STARTUP_LIMIT_S, free_port

CHROMIUM: Final = Path("/usr/bin/chromium")
ARTIFACTS: Final = Path(__file__).resolve().parents[1] / "artifacts"
BROWSER_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing() -> str | None:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return "Debian's chromium is not installed at /usr/bin/chromium"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package (dev dependency) is not installed"
    return None


_MISSING: Final = _missing()
#: Mark of a test that drives the browser: skipped, with the reason, when it cannot run.
needs_browser: Final = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` (lifespan included) with uvicorn on a loopback port; yields its URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("server did not start")
        if not thread.is_alive():
            raise AssertionError("server thread died")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
