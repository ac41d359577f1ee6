"""C2SP signed notes (c2sp.org/signed-note): parsing, signing, opening.

A signed note is a text ending in a newline, a blank line, then one or more
lines ``— <key name> base64(key id || signature)``. The text is separated from
the signatures by the *last* blank line.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ledger._keys import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    NoteVerifier,
    _Ed25519Signer,
    check_key_name,
    decode_b64,
)
from ledger.errors import FormatError, SignatureError

__all__ = [
    "MAX_SIGNATURES",
    "NoteSignature",
    "NoteSigner",
    "SignedNote",
    "VerifiedSignature",
    "cosignature_message",
    "open_note",
    "sign_note",
]

SIG_PREFIX: Final = "\u2014 "  # em dash, space
#: Limit on signature lines (the spec requires accepting at least 16).
MAX_SIGNATURES: Final = 100
COSIGNATURE_HEADER: Final = "cosignature/v1\n"
_TIMESTAMP_SIZE: Final = 8


class NoteSigner(_Ed25519Signer):
    """An Ed25519 note (log) key, signature type 0x01."""

    ALG = ALG_ED25519
    __slots__ = ()

    def sign_line(self, text: str) -> str:
        """The signature line of this key over note ``text``."""
        sig = self.key_id + self._sign(text.encode("utf-8"))
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(sig).decode('ascii')}\n"


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key id, signature bytes (after the id)."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        raw = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIG_PREFIX}{self.name} {raw}\n"


@dataclass(frozen=True)
class SignedNote:
    """A parsed (not yet verified) signed note."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    @classmethod
    def parse(cls, note: str) -> SignedNote:
        """Parse note text strictly; FormatError on anything malformed."""
        if not isinstance(note, str):
            raise FormatError("signed note must be text")
        if any(ord(c) < 0x20 and c != "\n" for c in note):
            raise FormatError("signed note contains control characters")
        if not note.endswith("\n"):
            raise FormatError("signed note must end with a newline")
        split = note.rfind("\n\n")
        if split < 0:
            raise FormatError("signed note has no blank line before its signatures")
        text = note[: split + 1]
        lines = note[split + 2 : -1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise FormatError(f"signed note has more than {MAX_SIGNATURES} signatures")
        if len(set(lines)) != len(lines):
            raise FormatError("signed note repeats a signature line")
        return cls(text, tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIG_PREFIX):
        raise FormatError("signature line must start with an em dash and a space")
    parts = line[len(SIG_PREFIX) :].split(" ")
    if len(parts) != 2:
        raise FormatError("signature line must be '— <key name> <base64 signature>'")
    name, b64 = parts
    check_key_name(name)
    raw = decode_b64(b64, f"signature of {name}")
    if len(raw) < 5:
        raise FormatError(f"signature of {name} is too short")
    return NoteSignature(name, raw[:4], raw[4:])


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified: the key, and the cosignature timestamp (type 0x04)."""

    verifier: NoteVerifier
    timestamp: int | None = None


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The message a cosigner signs (c2sp.org/tlog-cosignature, Ed25519)."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


def _check_one(verifier: NoteVerifier, text: str, sig: NoteSignature) -> VerifiedSignature:
    if verifier.alg == ALG_COSIGNATURE_V1:
        if len(sig.signature) != _TIMESTAMP_SIZE + 64:
            raise SignatureError(f"cosignature by {verifier.name} has the wrong length")
        timestamp = int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big")
        if timestamp >= 2**63:
            raise SignatureError(f"cosignature by {verifier.name} has an invalid timestamp")
        verifier.verify(cosignature_message(text, timestamp), sig.signature[_TIMESTAMP_SIZE:])
        return VerifiedSignature(verifier, timestamp)
    verifier.verify(text.encode("utf-8"), sig.signature)
    return VerifiedSignature(verifier)


def open_note(
    note: str | SignedNote, verifiers: Sequence[NoteVerifier]
) -> tuple[str, list[VerifiedSignature]]:
    """Verify every signature by a known key; return the text and what verified.

    Signatures by unknown keys (name and key id not both matching a known key)
    are ignored. A known key's signature that fails, or two signatures by the
    same known key, reject the whole note (SignatureError). The list returned may
    be empty: callers decide which keys they require.
    """
    parsed = note if isinstance(note, SignedNote) else SignedNote.parse(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[VerifiedSignature] = []
    seen: set[tuple[str, bytes]] = set()
    for sig in parsed.signatures:
        ident = (sig.name, sig.key_id)
        verifier = known.get(ident)
        if verifier is None:
            continue
        if ident in seen:
            raise SignatureError(f"note carries two signatures by key {sig.name}")
        seen.add(ident)
        verified.append(_check_one(verifier, parsed.text, sig))
    return parsed.text, verified


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Sign ``text`` (ending in a newline) with each signer; return the signed note."""
    if not signers:
        raise FormatError("a signed note needs at least one signer")
    if not text.endswith("\n") or text.endswith("\n\n") or text == "\n":
        raise FormatError("note text must end with one newline, not a blank line")
    note = text + "\n" + "".join(s.sign_line(text) for s in signers)
    if SignedNote.parse(note).text != text:
        raise FormatError("note text must not end with a blank line")
    return note
