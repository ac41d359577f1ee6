"""Peer identities: C2SP signed-note verifier keys (``vkey``) for Ed25519.

A vkey is ``<name>+<key id as 8 hex digits>+<base64 of 0x01 || public key>``; the
key id is the first four bytes of SHA-256(name || "\\n" || 0x01 || public key)
(c2sp.org/signed-note). A peer signs its HTTP requests with the same Ed25519 key
and names it by ``keyid = "<name>+<key id hex>"``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["ALG_ED25519", "PeerKey", "VkeyError", "key_id_for", "parse_vkey"]

ALG_ED25519 = 0x01
ED25519_PUBLIC_KEY_SIZE = 32


class VkeyError(ValueError):
    """The text is not a valid Ed25519 C2SP verifier key."""


@dataclass(frozen=True)
class PeerKey:
    name: str
    key_id: bytes
    public_key: bytes  # raw 32-byte Ed25519 key
    vkey: str

    @property
    def keyid(self) -> str:
        """The signature ``keyid`` parameter naming this key."""
        return f"{self.name}+{self.key_id.hex()}"

    def verifier(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)


def key_id_for(name: str, public_key: bytes) -> bytes:
    material = name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key
    return hashlib.sha256(material).digest()[:4]


def parse_vkey(text: str) -> PeerKey:
    """Parse and check a vkey; :class:`VkeyError` saying what is wrong otherwise."""
    vkey = text.strip()
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise VkeyError("vkey must have the form name+keyid+key")
    name, hex_id, b64 = parts
    if not name or any(c.isspace() or ord(c) < 0x21 for c in name):
        raise VkeyError("vkey name must be non-empty and contain no spaces")
    try:
        key_id = bytes.fromhex(hex_id)
        raw = base64.b64decode(b64, validate=True)
    except (ValueError, binascii.Error):
        raise VkeyError("vkey key id or key is not valid hex/base64") from None
    if len(key_id) != 4:
        raise VkeyError("vkey key id must be 4 bytes (8 hex digits)")
    if len(raw) != 1 + ED25519_PUBLIC_KEY_SIZE or raw[0] != ALG_ED25519:
        raise VkeyError("vkey is not an Ed25519 key (algorithm 0x01, 32 bytes)")
    public_key = raw[1:]
    if key_id_for(name, public_key) != key_id:
        raise VkeyError("vkey key id does not match its name and key")
    return PeerKey(name=name, key_id=key_id, public_key=public_key, vkey=vkey)
