"""Ed25519 keys in the C2SP signed-note text forms (vkey and skey).

* verifier key: ``<name>+<hex key id>+<base64(type || public key)>``
* signer key:   ``PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>``
* key id:       ``SHA-256(name || 0x0A || type || public key)[:4]``

Type ``0x01`` is a note (log) key (c2sp.org/signed-note), type ``0x04`` a
timestamped Ed25519 witness cosigner key (c2sp.org/tlog-cosignature).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable
from typing import Final, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ledger.errors import FormatError, SignatureError

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "check_key_name",
    "decode_b64",
    "key_id",
]

ALG_ED25519: Final = 0x01
ALG_COSIGNATURE_V1: Final = 0x04
_ALGS: Final = {ALG_ED25519: "Ed25519 note key", ALG_COSIGNATURE_V1: "Ed25519 cosigner key"}
SKEY_PREFIX: Final = "PRIVATE+KEY+"
_SEED_SIZE: Final = 32


def check_key_name(name: object) -> str:
    """A key name is non-empty, without Unicode spaces, ``+`` or control characters."""
    if not isinstance(name, str) or not name:
        raise FormatError("key name must be a non-empty string")
    if "+" in name or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in name):
        raise FormatError("key name must not contain spaces, '+' or control characters")
    return name


def decode_b64(text: str, what: str) -> bytes:
    """Strict standard base64 (RFC 4648 section 4, padded); FormatError otherwise."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise FormatError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise FormatError(f"{what} is not canonical base64")
    return raw


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """``SHA-256(name || 0x0A || alg || public key)[:4]``."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class NoteVerifier:
    """A trusted public key: verifies note signatures (0x01) or cosignatures (0x04)."""

    __slots__ = ("_public", "alg", "key_id", "name", "public_key", "vkey")

    def __init__(self, name: str, public_key: bytes, alg: int = ALG_ED25519) -> None:
        check_key_name(name)
        if alg not in _ALGS:
            raise FormatError(f"unsupported key type 0x{alg:02x}")
        if len(public_key) != _SEED_SIZE:
            raise FormatError("Ed25519 public key must be 32 bytes")
        self.name = name
        self.alg = alg
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, alg, self.public_key)
        self.vkey = f"{name}+{self.key_id.hex()}+{_b64(bytes([alg]) + self.public_key)}"
        try:
            self._public = Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as exc:
            raise FormatError("invalid Ed25519 public key") from exc

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``name+hexid+base64(type||key)``; FormatError on anything malformed."""
        if not isinstance(vkey, str):
            raise FormatError("verifier key must be a string")
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise FormatError("verifier key must have the form name+keyid+base64key")
        name, hex_id, b64 = parts
        check_key_name(name)
        if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
            raise FormatError("verifier key id must be 8 lower-case hex digits")
        raw = decode_b64(b64, "verifier key")
        if len(raw) != 1 + _SEED_SIZE:
            raise FormatError("verifier key must hold a type byte and a 32-byte Ed25519 key")
        verifier = cls(name, raw[1:], raw[0])
        if verifier.key_id.hex() != hex_id:
            raise FormatError(f"verifier key id {hex_id} does not match the key (name {name!r})")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise SignatureError unless ``signature`` is this key's Ed25519 signature."""
        try:
            self._public.verify(signature, message)
        except InvalidSignature as exc:
            raise SignatureError(f"signature by {self.name} does not verify") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoteVerifier) and other.vkey == self.vkey

    def __hash__(self) -> int:
        return hash(self.vkey)

    def __repr__(self) -> str:
        return f"NoteVerifier({self.vkey!r})"


class _Ed25519Signer:
    """Shared machinery of note signers and cosigners (seed kept private)."""

    ALG: int = ALG_ED25519
    __slots__ = ("_private", "key_id", "name", "public_key", "vkey")

    def __init__(self, name: str, seed: bytes) -> None:
        check_key_name(name)
        if len(seed) != _SEED_SIZE:
            raise FormatError("Ed25519 seed must be 32 bytes")
        self.name = name
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, self.ALG, self.public_key)
        self.vkey = f"{name}+{self.key_id.hex()}+{_b64(bytes([self.ALG]) + self.public_key)}"

    @classmethod
    def generate(cls, name: str, *, rng: Callable[[int], bytes] = os.urandom) -> Self:
        """A new key from ``rng(32)`` (the operating system's CSPRNG unless given)."""
        return cls(name, rng(_SEED_SIZE))

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        """Parse ``PRIVATE+KEY+name+hexid+base64(type||seed)``; never echoes the secret."""
        if not isinstance(skey, str) or not skey.startswith(SKEY_PREFIX):
            raise FormatError("signer key must start with PRIVATE+KEY+")
        parts = skey.strip()[len(SKEY_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise FormatError("signer key must have the form PRIVATE+KEY+name+keyid+base64")
        name, hex_id, b64 = parts
        try:
            raw = base64.b64decode(b64.encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise FormatError("signer key material is not valid base64") from None
        if len(raw) != 1 + _SEED_SIZE or raw[0] != cls.ALG:
            raise FormatError(f"signer key must hold type 0x{cls.ALG:02x} and a 32-byte seed")
        signer = cls(name, raw[1:])
        if signer.key_id.hex() != hex_id:
            raise FormatError(f"signer key id does not match the key (name {name!r})")
        return signer

    def skey(self) -> str:
        """The secret signer key text. Keep it secret."""
        seed = self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"{SKEY_PREFIX}{self.name}+{self.key_id.hex()}+{_b64(bytes([self.ALG]) + seed)}"

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.public_key, self.ALG)

    def _sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"
