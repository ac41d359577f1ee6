"""Helpers shared by the node service tests."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

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
