"""A served node for the benchmarks that drive one over HTTP (api, load, tenants):
a free loopback port, waiting for the server to answer, and stopping it."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx

__all__ = ["free_port", "stop_server", "wait_until_serving"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(
    process: subprocess.Popen[bytes],
    url: str,
    *,
    limit_s: float,
    fail: Callable[[str], Exception],
    probe: str = "/healthz",
    interval_s: float = 0.2,
    exited: Callable[[int], str] | None = None,
) -> None:
    """Poll ``url + probe`` until it answers 200; raise ``fail(reason)`` when the
    process exits first (``exited(status)`` words the reason) or after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while True:
        status = process.poll()
        if status is not None:
            reason = exited(status) if exited else f"scnode serve exited with status {status}"
            raise fail(reason)
        try:
            if httpx.get(url + probe, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise fail(f"scnode serve did not answer within {limit_s:.0f} s")
        time.sleep(interval_s)


def stop_server(
    process: subprocess.Popen[bytes],
    *,
    timeout_s: float,
    kill: Callable[[], None] | None = None,
) -> None:
    """SIGTERM (uvicorn's graceful stop of all its workers), then ``kill()`` (default:
    SIGKILL the process) if it has not ended within ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        (kill or process.kill)()
        process.wait(timeout=10)
