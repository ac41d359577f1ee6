"""The C2SP tlog-witness ``add-checkpoint`` wire format (c2sp.org/tlog-witness).

Request body::

    old <size>\\n
    <base64 hash>\\n        (0 to 63 consistency proof lines)
    \\n
    <signed checkpoint note>

A ``409 Conflict`` answer carries the witness's size as ``<size>\\n`` with media
type ``text/x.tlog.size``; a ``200`` answer is one or more cosignature lines.
Parsing is strict and raises :class:`WitnessFormatError` (HTTP 400) for anything
malformed; nothing here touches the network, the database or the clock.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ledger import HASH_SIZE, Checkpoint, FormatError, SignedNote
from node.witness._errors import WitnessFormatError

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_PROOF_LINES",
    "SIZE_MEDIA_TYPE",
    "AddCheckpoint",
    "parse_add_checkpoint",
    "parse_size_body",
    "render_add_checkpoint",
]

#: At most 63 proof lines (the spec's limit for clients; enough for 2**63 leaves).
MAX_PROOF_LINES: Final = 63
SIZE_MEDIA_TYPE: Final = "text/x.tlog.size"
#: Generous bound on a request body: 63 hashes plus a note with 100 signatures.
MAX_BODY_BYTES: Final = 64 * 1024
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,18})\Z")
_B64_HASH = re.compile(r"[A-Za-z0-9+/]{43}=\Z")


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed add-checkpoint request: old size, consistency proof, signed note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str
    checkpoint: Checkpoint


def _decimal(text: str, what: str) -> int:
    if not _DECIMAL.match(text):
        raise WitnessFormatError(f"{what} must be a decimal without leading zeros")
    value = int(text)
    if value >= 2**63:
        raise WitnessFormatError(f"{what} is out of range")
    return value


def _hash(line: str, number: int) -> bytes:
    if not _B64_HASH.match(line):
        raise WitnessFormatError(f"proof line {number} is not a base64 SHA-256 hash")
    try:
        raw = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WitnessFormatError(f"proof line {number} is not valid base64") from exc
    if len(raw) != HASH_SIZE or base64.b64encode(raw).decode("ascii") != line:
        raise WitnessFormatError(f"proof line {number} is not a canonical 32-byte hash")
    return raw


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse a request body strictly; :class:`WitnessFormatError` on anything wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise WitnessFormatError(f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WitnessFormatError("request body is not UTF-8") from exc
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise WitnessFormatError("request needs an old size line, proof lines and a blank line")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise WitnessFormatError("request must start with 'old <size>'")
    old_size = _decimal(first[4:], "old size")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise WitnessFormatError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = tuple(_hash(line, n) for n, line in enumerate(proof_lines, 1))
    try:
        checkpoint = Checkpoint.from_body(SignedNote.parse(note).text)
    except FormatError as exc:
        raise WitnessFormatError(f"the checkpoint is malformed: {exc}") from exc
    if old_size > checkpoint.size:
        raise WitnessFormatError(
            f"old size {old_size} is larger than the checkpoint size {checkpoint.size}"
        )
    if old_size == 0 and proof:
        raise WitnessFormatError("the consistency proof must be empty when the old size is 0")
    return AddCheckpoint(old_size, proof, note, checkpoint)


def render_add_checkpoint(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The request body for ``note`` with a proof from ``old_size``."""
    lines = [f"old {old_size}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


def parse_size_body(body: str) -> int:
    """The witness's size from a ``text/x.tlog.size`` body (``<size>\\n``)."""
    if not body.endswith("\n"):
        raise WitnessFormatError("size body must end with a newline")
    return _decimal(body[:-1], "witness size")
