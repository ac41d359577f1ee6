"""Peers of a node: the registry and the signed HTTP client."""

from node.peers.client import PeerClient, SignatureAuth, keyid_of
from node.peers.registry import (
    Peer,
    PeerConflictError,
    PeerError,
    PeerNotFoundError,
    PeerRegistry,
)

__all__ = [
    "Peer",
    "PeerClient",
    "PeerConflictError",
    "PeerError",
    "PeerNotFoundError",
    "PeerRegistry",
    "SignatureAuth",
    "keyid_of",
]
