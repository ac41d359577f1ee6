"""Helpers shared by the node service tests."""

from __future__ import annotations

import base64
import hashlib
import socket
import subprocess
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def keyid_hex(name: str, key: Ed25519PrivateKey) -> str:
    """C2SP signed-note key id, derived here from the spec, not from node.auth."""
    raw = key.public_key().public_bytes_raw()
    return hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4].hex()


def vkey_of(name: str, key: Ed25519PrivateKey) -> str:
    """A C2SP vkey written out independently of node.auth.vkey's parser."""
    raw = key.public_key().public_bytes_raw()
    encoded = base64.b64encode(b"\x01" + raw).decode()
    return f"{name}+{keyid_hex(name, key)}+{encoded}"


def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database: for tests of HTTP behaviour that no backend changes."""
    return f"sqlite:///{tmp_path / 'scnode.sqlite'}"


STARTUP_LIMIT_S = 120.0  # generous: a loaded CI machine imports slowly; not a timing assertion


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Wait until the server started as ``proc`` answers ``/healthz`` at ``url``."""
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early with status {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become healthy")
