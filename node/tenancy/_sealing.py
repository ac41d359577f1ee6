"""Tenant keys sealed at rest under the host's master key (AES-256-GCM).

The master key is 32 random bytes in a file (base64, mode 0600) that the host
creates on first use. A tenant's keys (its checkpoint signing key and its witness
key, C2SP skey texts) are sealed as one JSON object::

    scnode-sealed/v1:<base64url(nonce 12 bytes || ciphertext || tag)>

with the tenant's id as associated data, so a sealed blob copied onto another
tenant's row does not open. Key material and the master key never appear in
messages.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger import CosignatureSigner, FormatError, NoteSigner
from node.keys import NodeKeys

__all__ = [
    "MASTER_KEY_BYTES",
    "SEALED_PREFIX",
    "MasterKey",
    "SealingError",
    "TenantKeys",
    "load_master_key",
    "load_or_create_master_key",
    "seal_keys",
    "unseal_keys",
]

MASTER_KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
SEALED_PREFIX: Final = "scnode-sealed/v1:"
AAD_TAG: Final = b"scnode-tenant-keys/v1\n"
PRIVATE_MODE: Final = 0o600


class SealingError(Exception):
    """The master key or a sealed blob is missing, malformed, exposed or does not open."""


@dataclass(frozen=True)
class MasterKey:
    """The host's master key (never printed: its repr hides the bytes)."""

    key: bytes

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"


@dataclass(frozen=True)
class TenantKeys:
    """A tenant's private keys, unsealed (in memory only)."""

    log: NoteSigner
    witness: CosignatureSigner

    def node_keys(self) -> NodeKeys:
        return NodeKeys(self.log, (), (self.log.vkey,))

    def __repr__(self) -> str:
        return f"TenantKeys(vkey={self.log.vkey!r})"


def _read_master(path: Path) -> MasterKey:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise SealingError(f"the master key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SealingError(f"cannot read the master key file ({exc.__class__.__name__})") from None
    if mode & 0o077:
        raise SealingError(
            f"the master key file {path} is readable by others (mode {mode:o}); chmod 600 it"
        )
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SealingError(f"the master key file {path} is not base64") from None
    if len(key) != MASTER_KEY_BYTES:
        raise SealingError(f"the master key in {path} is not {MASTER_KEY_BYTES} bytes")
    return MasterKey(key)


def load_master_key(path: Path) -> MasterKey:
    """The master key in ``path``; SealingError if absent, malformed or exposed."""
    return _read_master(path)


def load_or_create_master_key(path: Path) -> MasterKey:
    """The master key in ``path``, created (32 random bytes, mode 0600) if absent.

    Two processes creating it at once agree on one key (exclusive create; the
    loser reads the winner's file)."""
    if path.exists():
        return _read_master(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(MASTER_KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(base64.b64encode(key).decode("ascii") + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read_master(path)
    finally:
        tmp.unlink(missing_ok=True)
    return MasterKey(key)


def _aad(tenant_id: str) -> bytes:
    return AAD_TAG + tenant_id.encode("ascii")


def seal_keys(master: MasterKey, tenant_id: str, keys: TenantKeys) -> str:
    """``keys`` sealed for the tenant ``tenant_id`` (a fresh random nonce each time)."""
    plain = json.dumps({"log": keys.log.skey(), "witness": keys.witness.skey()}).encode()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(master.key).encrypt(nonce, plain, _aad(tenant_id))
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal_keys(master: MasterKey, tenant_id: str, blob: str) -> TenantKeys:
    """Open a sealed blob of ``tenant_id``; SealingError if it is malformed or forged."""
    if not blob.startswith(SEALED_PREFIX):
        raise SealingError("sealed keys have an unknown format")
    try:
        raw = base64.b64decode(
            blob[len(SEALED_PREFIX) :].encode("ascii"), altchars=b"-_", validate=True
        )
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise SealingError("sealed keys are not base64url") from None
    if len(raw) <= NONCE_BYTES + 16:
        raise SealingError("sealed keys are too short")
    try:
        plain = AESGCM(master.key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(tenant_id))
    except InvalidTag:
        raise SealingError("sealed keys do not open (wrong master key or tenant)") from None
    try:
        fields = json.loads(plain)
        return TenantKeys(
            NoteSigner.from_skey(fields["log"]), CosignatureSigner.from_skey(fields["witness"])
        )
    except (ValueError, KeyError, TypeError, FormatError):
        raise SealingError("sealed keys hold malformed key material") from None
