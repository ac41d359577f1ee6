"""Signed requests to peers: the client, and reading what they serve."""

from __future__ import annotations

import base64
import functools
import ssl

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import NoteSigner
from node.peers.client import PeerClient
from node.peers.registry import Peer

__all__ = ["PeerSyncError", "client_for", "consistency_proof", "get_text"]


class PeerSyncError(Exception):
    """A peer could not be reached or answered something unusable; the message says what."""


def _private_key(signer: NoteSigner) -> Ed25519PrivateKey:
    # skey: PRIVATE+KEY+<name>+<key id>+<base64(type || seed)>; names have no '+'
    seed = base64.b64decode(signer.skey().split("+", 4)[4])[1:]
    return Ed25519PrivateKey.from_private_bytes(seed)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # httpx builds a fresh context (loading the CA bundle, tens of ms of CPU) for
    # every client; peer rounds open a client per peer, so they share this one.
    return httpx.create_ssl_context()


def client_for(peer: Peer, signer: NoteSigner, **kwargs: object) -> PeerClient:
    """A client whose requests to ``peer`` are signed with this node's key
    (verifying TLS with one shared context of httpx's default trust store)."""
    if kwargs.get("transport") is None:
        kwargs.setdefault("verify", _tls_context())
    return PeerClient(peer.url, key=_private_key(signer), name=signer.name, **kwargs)


def get_text(client: httpx.Client, path: str, **params: object) -> str:
    try:
        response = client.get(path, params=params or None)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise PeerSyncError(f"{path}: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise PeerSyncError(f"{path}: HTTP {response.status_code}")
    return response.text


def consistency_proof(client: httpx.Client, old: int, new: int) -> list[bytes]:
    try:
        response = client.get("/v1/ledger/proof/consistency", params={"old": old, "new": new})
    except httpx.HTTPError as exc:
        raise PeerSyncError(f"consistency proof: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise PeerSyncError(f"consistency proof {old}->{new}: HTTP {response.status_code}")
    try:
        hashes = response.json()["hashes"]
        return [base64.b64decode(h, validate=True) for h in hashes]
    except (ValueError, KeyError, TypeError) as exc:
        raise PeerSyncError(f"consistency proof {old}->{new} is malformed") from exc
