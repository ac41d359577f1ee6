"""C2SP tlog-checkpoint bodies (c2sp.org/tlog-checkpoint) and their signing.

A checkpoint body is three lines: the log's origin, the tree size in decimal,
the base64 root hash; then optional non-empty extension lines. It is signed as
a C2SP signed note by the log's key(s); witnesses add cosignature lines.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ledger._entry import check_origin
from ledger._hashing import HASH_SIZE
from ledger._keys import ALG_ED25519, NoteVerifier, decode_b64
from ledger._note import NoteSigner, SignedNote, VerifiedSignature, open_note, sign_note
from ledger.errors import FormatError, SignatureError

__all__ = [
    "Checkpoint",
    "OpenedCheckpoint",
    "open_checkpoint",
    "sign_checkpoint",
    "verify_checkpoint",
]

_SIZE = re.compile(r"(?:0|[1-9][0-9]{0,18})\Z")
MAX_TREE_SIZE: Final = 2**63 - 1


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed statement: origin, tree size, RFC 9162 root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_origin(self.origin)
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise FormatError("checkpoint size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise FormatError("checkpoint size out of range")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise FormatError(f"checkpoint root must be {HASH_SIZE} bytes")
        for ext in self.extensions:
            if not ext or any(ord(c) < 0x20 for c in ext):
                raise FormatError("checkpoint extension lines must be non-empty single lines")

    def body(self) -> str:
        """The note text: ``origin\\nsize\\nbase64(root)\\n[extension\\n...]``."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly; FormatError otherwise."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise FormatError("checkpoint body must be text ending in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise FormatError("checkpoint body needs origin, size and root lines")
        origin, size, root, *extensions = lines
        if not _SIZE.match(size):
            raise FormatError("checkpoint size must be a decimal without leading zeros")
        checkpoint = cls(origin, int(size), decode_b64(root, "checkpoint root"), tuple(extensions))
        if checkpoint.body() != text:
            raise FormatError("checkpoint body is not in canonical form")
        return checkpoint


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> str:
    """The signed note of ``checkpoint`` by each of ``signers`` (log keys)."""
    return sign_note(checkpoint.body(), signers)


@dataclass(frozen=True)
class OpenedCheckpoint:
    """A checkpoint whose signatures verified, with who signed it."""

    checkpoint: Checkpoint
    log_keys: tuple[NoteVerifier, ...]
    cosignatures: tuple[VerifiedSignature, ...]

    @property
    def witness_names(self) -> tuple[str, ...]:
        return tuple(c.verifier.name for c in self.cosignatures)


def verify_checkpoint(
    note: str,
    verifiers: Sequence[NoteVerifier],
    *,
    witnesses: Sequence[NoteVerifier] = (),
    quorum: int = 0,
    origin: str | None = None,
) -> OpenedCheckpoint:
    """Open a signed checkpoint: one valid log signature, ``quorum`` witness cosignatures.

    ``verifiers`` are the log's keys (type 0x01), ``witnesses`` the cosigners'
    keys (type 0x04). Signatures by unknown keys are ignored; a known key's
    signature that fails to verify rejects the note.
    """
    if quorum < 0 or quorum > len(witnesses):
        raise SignatureError(f"quorum {quorum} cannot be met by {len(witnesses)} witness keys")
    parsed = SignedNote.parse(note)
    checkpoint = Checkpoint.from_body(parsed.text)
    if origin is not None and checkpoint.origin != origin:
        raise SignatureError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    _, verified = open_note(parsed, [*verifiers, *witnesses])
    log_keys = tuple(v.verifier for v in verified if v.verifier.alg == ALG_ED25519)
    log_set = set(verifiers)
    log_keys = tuple(k for k in log_keys if k in log_set)
    if not log_keys:
        raise SignatureError("checkpoint is not signed by any trusted log key")
    witness_set = set(witnesses)
    cosigned = tuple(v for v in verified if v.verifier in witness_set and v.timestamp is not None)
    if len(cosigned) < quorum:
        raise SignatureError(
            f"checkpoint has {len(cosigned)} valid witness cosignature(s), quorum is {quorum}"
        )
    return OpenedCheckpoint(checkpoint, log_keys, cosigned)


def open_checkpoint(
    note: str,
    verifiers: Sequence[NoteVerifier],
    *,
    witnesses: Sequence[NoteVerifier] = (),
    quorum: int = 0,
    origin: str | None = None,
) -> Checkpoint:
    """Like :func:`verify_checkpoint`, returning only the checkpoint."""
    return verify_checkpoint(
        note, verifiers, witnesses=witnesses, quorum=quorum, origin=origin
    ).checkpoint
