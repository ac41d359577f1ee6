"""Financing evidence bundles: a ``scnode-evidence/v1`` bundle plus a ``financing`` member.

The entries of the bundle are the grant, the pledges (signed by borrower and
bank), the inventory snapshots of the pledged subjects in the period and the
coverage proofs, each with its inclusion proof and the signed, cosigned
checkpoint. The ``financing`` member says whom and what the bundle is for::

    {"format": "scnode-financing/v1", "bank": "bank-a.example",
     "period": {"from_ms": ..., "to_ms": ...}, "subjects": ["<hex>", ...],
     "grants": [seq], "pledges": [seq], "snapshots": [seq], "coverage": [seq],
     "signature": "— <log key name> <base64 signature>"}

``signature`` is a C2SP signed-note signature line of the borrower's log key over
the text ``scnode-financing/v1\n<RFC 8785 JSON of the member without signature>\n``:
the borrower vouches for whom and what the bundle is for, so no byte of the member
can change unnoticed. The role lists must match the kinds of the entries exactly.

Plain evidence-bundle verifiers ignore the member and still check every entry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ledger import (
    BUNDLE_FORMAT,
    JSONValue,
    LedgerError,
    NoteSigner,
    build_bundle,
    canonical_json,
    parse_json,
)
from node.finance._errors import FinanceFormatError

__all__ = [
    "FINANCING_FORMAT",
    "FINANCING_MEMBER",
    "FinancingHeader",
    "build_financing_bundle",
    "is_financing_bundle",
]

FINANCING_FORMAT: Final = "scnode-financing/v1"
FINANCING_MEMBER: Final = "financing"
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_ROLES: Final = ("grants", "pledges", "snapshots", "coverage")


@dataclass(frozen=True)
class FinancingHeader:
    bank: str
    from_ms: int
    to_ms: int
    subjects: tuple[str, ...]
    roles: dict[str, tuple[int, ...]]

    def to_json(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {
            "format": FINANCING_FORMAT,
            "bank": self.bank,
            "period": {"from_ms": self.from_ms, "to_ms": self.to_ms},
            "subjects": list(self.subjects),
        }
        for role in _ROLES:
            out[role] = list(self.roles.get(role, ()))
        return out

    def note_text(self) -> str:
        """The text the borrower's log key signs."""
        return FINANCING_FORMAT + "\n" + canonical_json(self.to_json()).decode("utf-8") + "\n"

    @classmethod
    def from_json(cls, doc: JSONValue) -> FinancingHeader:
        if not isinstance(doc, dict) or doc.get("format") != FINANCING_FORMAT:
            raise FinanceFormatError(f"financing member must have format {FINANCING_FORMAT!r}")
        bank, period, subjects = doc.get("bank"), doc.get("period"), doc.get("subjects")
        if not isinstance(bank, str) or not bank:
            raise FinanceFormatError("financing bank must be a non-empty string")
        if not isinstance(period, dict):
            raise FinanceFormatError("financing period must be {from_ms, to_ms}")
        start, end = period.get("from_ms"), period.get("to_ms")
        if not _nat(start) or not _nat(end) or int(str(start)) > int(str(end)):
            raise FinanceFormatError("financing period must be from_ms <= to_ms, integers")
        if not isinstance(subjects, list) or not all(
            isinstance(s, str) and _HEX64.match(s) for s in subjects
        ):
            raise FinanceFormatError("financing subjects must be 64-hex-digit subject hashes")
        roles: dict[str, tuple[int, ...]] = {}
        for role in _ROLES:
            items = doc.get(role, [])
            if not isinstance(items, list) or not all(_nat(i) for i in items):
                raise FinanceFormatError(f"financing {role} must be a list of entry indices")
            roles[role] = tuple(int(str(i)) for i in items)
        return cls(
            bank,
            int(str(start)),
            int(str(end)),
            tuple(str(s) for s in subjects),
            roles,
        )


def _nat(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def is_financing_bundle(data: bytes) -> bool:
    """Whether ``data`` is an evidence bundle with a financing member (no verification)."""
    try:
        doc = parse_json(data)
    except LedgerError:
        return False
    return (
        isinstance(doc, dict)
        and doc.get("format") == BUNDLE_FORMAT
        and isinstance(doc.get(FINANCING_MEMBER), dict)
    )


def build_financing_bundle(
    *,
    origin: str,
    vkeys: Sequence[str],
    header: FinancingHeader,
    entries: Sequence[tuple[int, bytes, list[bytes]]],
    size: int,
    checkpoint_note: str,
    signer: NoteSigner,
    key_history: Sequence[tuple[int, bytes]] = (),
) -> bytes:
    """The canonical bytes of a financing bundle (see the module docstring)."""
    member = header.to_json()
    member["signature"] = signer.sign_line(header.note_text()).rstrip("\n")
    try:
        return build_bundle(
            origin=origin,
            vkeys=vkeys,
            entries=entries,
            size=size,
            checkpoint_note=checkpoint_note,
            key_history=key_history,
            extra={FINANCING_MEMBER: member},
        )
    except LedgerError as exc:
        raise FinanceFormatError(f"cannot build the bundle: {exc}") from None


def header_of(data: bytes) -> tuple[FinancingHeader, str]:
    """The financing member of a bundle and its signature line; FinanceFormatError if
    absent or malformed."""
    try:
        doc = parse_json(data)
    except LedgerError as exc:
        raise FinanceFormatError(f"bundle is not canonical JSON: {exc}") from None
    if not isinstance(doc, dict) or FINANCING_MEMBER not in doc:
        raise FinanceFormatError("bundle has no financing member")
    member = doc[FINANCING_MEMBER]
    if not isinstance(member, dict) or not isinstance(member.get("signature"), str):
        raise FinanceFormatError("the financing member carries no signature")
    rest = {k: v for k, v in member.items() if k != "signature"}
    header = FinancingHeader.from_json(rest)
    if header.to_json() != rest:
        raise FinanceFormatError("the financing member has unexpected fields")
    return header, str(member["signature"])
