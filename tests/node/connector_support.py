"""A fake Odoo and a fake ERPNext serving the recorded payloads (tests/node/data/connectors)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

from tests.node.helpers import free_port

DATA = Path(__file__).parent / "data" / "connectors"
ODOO_KEY = "6578616d706c65206a736f6e20617069206b6579"
ERP_KEY, ERP_SECRET = "a1b2c3d4e5f6a7b", "0f9e8d7c6b5a4f3"
WEBHOOK_SECRET = "whsec-scnode-test-7f3a"


def recorded(*parts: str) -> bytes:
    return DATA.joinpath(*parts).read_bytes()


class FakeOdoo:
    """Answers ``POST /json/2/<model>/<method>`` from the recordings; logs the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"bearer {ODOO_KEY}":
            return httpx.Response(401, content=recorded("odoo", "error-invalid-apikey.json"))
        parts = request.url.path.split("/")
        if request.method != "POST" or parts[1:3] != ["json", "2"] or len(parts) != 5:
            return httpx.Response(404, json={"message": "not found"})
        model, method = parts[3], parts[4]
        self.calls.append((f"{model}/{method}", json.loads(request.content)))
        path = DATA / "odoo" / f"{model}.{method}.json"
        if not path.exists():
            return httpx.Response(404, json={"message": f"no recording for {model}.{method}"})
        return httpx.Response(200, content=path.read_bytes())


class FakeErpNext:
    """Answers ``GET /api/resource/...`` from the recordings; logs the paths."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"token {ERP_KEY}:{ERP_SECRET}":
            return httpx.Response(403, content=recorded("erpnext", "error-permission.json"))
        path = unquote(request.url.path)
        self.paths.append(path)
        prefix = "/api/resource/"
        if not path.startswith(prefix):
            return httpx.Response(404, json={"exc_type": "DoesNotExistError"})
        rest = path[len(prefix) :]
        doctype, _, name = rest.partition("/")
        slug = doctype.lower().replace(" ", "-")
        file = DATA / "erpnext" / (f"{slug}.{name}.json" if name else f"{slug}.list.json")
        if not file.exists():
            return httpx.Response(404, json={"exc_type": "DoesNotExistError"})
        return httpx.Response(200, content=file.read_bytes())


def _fake_odoo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/json/2/{model}/{method}")
    async def call(model: str, method: str, request: Request) -> Response:
        if request.headers.get("authorization") != f"bearer {ODOO_KEY}":
            return Response(recorded("odoo", "error-invalid-apikey.json"), status_code=401)
        await request.json()
        path = DATA / "odoo" / f"{model}.{method}.json"
        if not path.exists():
            return Response(b'{"message": "no such method"}', status_code=404)
        return Response(path.read_bytes(), media_type="application/json")

    return app


def serve_fake_odoo() -> Iterator[str]:
    """A fake Odoo on loopback (a real uvicorn server) serving the recordings; its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(_fake_odoo_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("fake Odoo did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
