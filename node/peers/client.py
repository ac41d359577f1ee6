"""Outgoing node-to-node calls, signed per :mod:`node.auth.signatures`.

:class:`SignatureAuth` is an ``httpx.Auth`` that signs every request it sees
with the node's Ed25519 key; :class:`PeerClient` is an ``httpx.Client`` bound to
one peer's base URL with that auth and conservative timeouts.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.auth.signatures import sign_request
from node.auth.vkey import ALG_ED25519, key_id_for

__all__ = ["PeerClient", "SignatureAuth", "keyid_of", "private_key_from_skey"]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
NONCE_BYTES = 18  # 24 URL-safe characters


def keyid_of(name: str, key: Ed25519PrivateKey) -> str:
    """The ``keyid`` (``name+keyidhex``) under which peers know ``key``."""
    raw = key.public_key().public_bytes_raw()
    return f"{name}+{key_id_for(name, raw).hex()}"


def private_key_from_skey(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """The key name and Ed25519 key of a C2SP signed-note private key
    (``PRIVATE+KEY+<name>+<key id>+<base64 of 0x01 || seed>``, as ``scnode init`` stores it)."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise ValueError("not a C2SP private key")
    try:
        raw = base64.b64decode(parts[4], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("C2SP private key is not valid base64") from None
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise ValueError("C2SP private key is not an Ed25519 key")
    return parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:])


class SignatureAuth(httpx.Auth):
    """Sign each request: Content-Digest, Signature-Input and Signature headers."""

    requires_request_body = True

    def __init__(
        self,
        key: Ed25519PrivateKey,
        keyid: str,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: secrets.token_urlsafe(NONCE_BYTES),
    ) -> None:
        self.key = key
        self.keyid = keyid
        self.clock = clock
        self.nonce = nonce

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = sign_request(
            self.key,
            self.keyid,
            method=request.method,
            target_uri=str(request.url),
            body=request.content,
            created=int(self.clock()),
            nonce=self.nonce(),
        )
        request.headers.update(headers)
        yield request


class PeerClient(httpx.Client):
    """An HTTP client for one peer whose requests are all signed by this node."""

    def __init__(self, base_url: str, *, key: Ed25519PrivateKey, name: str, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        super().__init__(base_url=base_url, auth=SignatureAuth(key, keyid_of(name, key)), **kwargs)
