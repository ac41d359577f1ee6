"""C2SP tlog-cosignature (cosignature/v1, Ed25519, signature type 0x04).

A witness that has verified a checkpoint is consistent with everything it saw
before adds one signature line over::

    cosignature/v1
    time <POSIX seconds>
    <checkpoint body>

whose signature bytes are ``key id || uint64 timestamp (big-endian) || Ed25519``.
The timestamp is passed in; this module never reads the clock.
"""

from __future__ import annotations

import base64

from ledger._keys import ALG_COSIGNATURE_V1, _Ed25519Signer
from ledger._note import SIG_PREFIX, SignedNote, cosignature_message
from ledger.errors import FormatError

__all__ = ["CosignatureSigner", "add_cosignature"]

_MAX_TIMESTAMP = 2**63 - 1


class CosignatureSigner(_Ed25519Signer):
    """A witness key: Ed25519 with key type 0x04 (its vkey says so)."""

    ALG = ALG_COSIGNATURE_V1
    __slots__ = ()

    def cosign_line(self, checkpoint_body: str, timestamp: int) -> str:
        """The cosignature line over ``checkpoint_body`` at ``timestamp`` (POSIX seconds)."""
        if isinstance(timestamp, bool) or not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise FormatError("cosignature timestamp must be in [0, 2**63)")
        sig = self._sign(cosignature_message(checkpoint_body, timestamp))
        raw = self.key_id + timestamp.to_bytes(8, "big") + sig
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(raw).decode('ascii')}\n"


def add_cosignature(note: str, signer: CosignatureSigner, timestamp: int) -> str:
    """``note`` with one more cosignature line (any earlier one by this key replaced)."""
    parsed = SignedNote.parse(note)
    kept = tuple(s for s in parsed.signatures if (s.name, s.key_id) != (signer.name, signer.key_id))
    line = signer.cosign_line(parsed.text, timestamp)
    return SignedNote(parsed.text, kept).render() + line
