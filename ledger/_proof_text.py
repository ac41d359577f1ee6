"""The C2SP tlog-proof text format (c2sp.org/tlog-proof@v1).

::

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <decimal>
    <base64 audit path hash, leaf's sibling first>
    ...
    <blank line>
    <signed checkpoint, verbatim, with any cosignatures>
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Final

from ledger._hashing import HASH_SIZE
from ledger._keys import decode_b64
from ledger.errors import FormatError

__all__ = ["TLOG_PROOF_HEADER", "TlogProof"]

TLOG_PROOF_HEADER: Final = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})\Z")
_MAX_PROOF: Final = 64  # an audit path in a tree of < 2**64 leaves has at most 64 hashes


@dataclass(frozen=True)
class TlogProof:
    """An entry's index, its inclusion proof, and the signed checkpoint it proves into."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def to_text(self) -> str:
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.proof)
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def from_text(cls, text: str) -> TlogProof:
        """Parse strictly; FormatError naming what is wrong."""
        if not isinstance(text, str):
            raise FormatError("tlog-proof must be text")
        head, sep, checkpoint = text.partition("\n\n")
        if not sep:
            raise FormatError("tlog-proof has no blank line before its checkpoint")
        if not checkpoint:
            raise FormatError("tlog-proof has no checkpoint")
        lines = head.split("\n")
        if lines[0] != TLOG_PROOF_HEADER:
            raise FormatError(f"tlog-proof must start with {TLOG_PROOF_HEADER!r}")
        pos = 1
        extra = None
        if pos < len(lines) and lines[pos].startswith("extra "):
            extra = decode_b64(lines[pos][len("extra ") :], "tlog-proof extra data")
            pos += 1
        if pos >= len(lines):
            raise FormatError("tlog-proof has no index line")
        match = _INDEX.match(lines[pos])
        if not match:
            raise FormatError("tlog-proof index line must be 'index <decimal>'")
        hashes = lines[pos + 1 :]
        if len(hashes) > _MAX_PROOF:
            raise FormatError("tlog-proof has too many audit path lines")
        proof = []
        for i, line in enumerate(hashes):
            digest = decode_b64(line, f"tlog-proof audit path line {i + 1}")
            if len(digest) != HASH_SIZE:
                raise FormatError(f"tlog-proof audit path line {i + 1} is not a SHA-256 hash")
            proof.append(digest)
        return cls(int(match.group(1)), tuple(proof), checkpoint, extra)
