"""The ``finance.grant`` ledger entry: a grant to a bank, by ids and hashes only.

The grant itself (SKU and site patterns, buckets to open) is a
:class:`node.disclosure.Grant` kept in the borrower's database and sent to the
bank point to point. The ledger records that it exists, for which bank and
period, over which salted subjects, and the SHA-256 of its RFC 8785 form so the
bank can check that what it received is what was logged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ledger import JSONValue, canonical_json
from node.finance._errors import FinanceFormatError

__all__ = ["GRANT_FORMAT", "GRANT_KIND", "GrantRecord", "grant_digest"]

GRANT_KIND: Final = "finance.grant"
GRANT_FORMAT: Final = "scnode-finance-grant/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


def grant_digest(grant_json: dict[str, JSONValue]) -> str:
    """``sha256:<hex>`` of the RFC 8785 form of the private grant record."""
    return "sha256:" + hashlib.sha256(canonical_json(grant_json)).hexdigest()


@dataclass(frozen=True)
class GrantRecord:
    grant: str
    bank: str
    from_ms: int
    to_ms: int
    subjects: tuple[str, ...]
    digest: str

    def to_body(self) -> dict[str, JSONValue]:
        return {
            "format": GRANT_FORMAT,
            "grant": self.grant,
            "bank": self.bank,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "subjects": list(self.subjects),
            "digest": self.digest,
        }

    def covers(self, subject: str, from_ms: int, to_ms: int) -> bool:
        return subject in self.subjects and self.from_ms <= from_ms <= to_ms <= self.to_ms

    @classmethod
    def from_body(cls, body: JSONValue) -> GrantRecord:
        if not isinstance(body, dict) or body.get("format") != GRANT_FORMAT:
            raise FinanceFormatError(f"grant body must have format {GRANT_FORMAT!r}")
        grant, bank, digest = body.get("grant"), body.get("bank"), body.get("digest")
        start, end, subjects = body.get("from_ms"), body.get("to_ms"), body.get("subjects")
        if not isinstance(grant, str) or not isinstance(bank, str) or not isinstance(digest, str):
            raise FinanceFormatError("grant needs grant id, bank and digest strings")
        if not _ms(start) or not _ms(end) or not isinstance(subjects, list):
            raise FinanceFormatError("grant needs from_ms, to_ms and a subjects list")
        found = _subjects(subjects)
        return cls(grant, bank, int(str(start)), int(str(end)), found, digest)


def _ms(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _subjects(items: Sequence[JSONValue]) -> tuple[str, ...]:
    out = []
    for item in items:
        if not isinstance(item, str) or not _HEX64.match(item):
            raise FinanceFormatError("grant subjects must be 64 lower-case hex digits")
        out.append(item)
    return tuple(out)
