"""Pledge records: the canonical pledge body, its two signatures, the registry keys.

A pledge is a C2SP signed note whose text is two lines::

    scnode-finance-pledge/v1
    <RFC 8785 JSON of the pledge body>

signed by the borrower's log key and by the bank's key (both Ed25519, type
0x01). The ledger entry (kind ``finance.pledge``) carries the body as JSON and
the two signature lines; the verifier re-renders the note text and checks both.
The body holds no plaintext quantity: the pledged quantity is a Pedersen
commitment with a range proof, the item is named by its salted inventory subject
hash, and the registry keys let other banks find that a pledge exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from ledger import (
    JSONValue,
    LedgerError,
    NoteSigner,
    NoteVerifier,
    SignedNote,
    canonical_json,
    open_note,
    parse_json,
)
from node.finance._errors import FinanceFormatError, FinanceVerificationError

__all__ = [
    "MAX_MS",
    "PLEDGE_BITS",
    "PLEDGE_FORMAT",
    "PLEDGE_KIND",
    "REGISTRY_TAG",
    "Pledge",
    "SignedPledge",
    "month_buckets",
    "pledge_context",
    "registry_key",
]

PLEDGE_KIND: Final = "finance.pledge"
PLEDGE_FORMAT: Final = "scnode-finance-pledge/v1"
#: Domain tag of registry keys (hashed before the item's fields).
REGISTRY_TAG: Final = b"scnode-finance-registry/v1\x00"
PLEDGE_PROOF_FORMAT: Final = "scnode-finance-pledge-range/v1"
#: Pledged quantities are range-proved in [0, 2^32).
PLEDGE_BITS: Final = 32
MAX_MS: Final = 2**53 - 1
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_ID = re.compile(r"[0-9a-f]{32}\Z")
_FIELDS: Final = frozenset(
    {
        "format",
        "id",
        "borrower",
        "borrower_vkey",
        "bank",
        "bank_vkey",
        "subject",
        "registry",
        "commitment",
        "range_proof",
        "from_ms",
        "to_ms",
        "grant",
        "prior",
        "created_ms",
    }
)


def month_buckets(from_ms: int, to_ms: int) -> tuple[str, ...]:
    """The UTC calendar months (``YYYY-MM``) a period touches, in order."""
    if not 0 <= from_ms <= to_ms <= MAX_MS:
        raise FinanceFormatError("a period is [from_ms, to_ms] with 0 <= from_ms <= to_ms")
    start = datetime.fromtimestamp(from_ms / 1000, tz=UTC)
    end = datetime.fromtimestamp(to_ms / 1000, tz=UTC)
    year, month = start.year, start.month
    out: list[str] = []
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def registry_key(borrower: str, sku: str, site: str, bucket: str, lot: str | None = None) -> str:
    """H(tag || RFC 8785 {borrower, sku, site, bucket[, lot]}), hex: the pledge registry key.

    Anyone who knows the borrower's log, the SKU, the site (and the lot, for a
    pledge of one lot) computes it; it names no bank and no quantity.
    """
    fields: dict[str, JSONValue] = {
        "borrower": borrower,
        "bucket": bucket,
        "site": site,
        "sku": sku,
    }
    if lot:
        fields["lot"] = lot
    return hashlib.sha256(REGISTRY_TAG + canonical_json(fields)).hexdigest()


def pledge_context(pledge_id: str, borrower: str, subject: str) -> bytes:
    """The context the pledge's own range proof is bound to."""
    return canonical_json(
        {"format": PLEDGE_PROOF_FORMAT, "id": pledge_id, "borrower": borrower, "subject": subject}
    )


def _str(doc: dict[str, JSONValue], name: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value:
        raise FinanceFormatError(f"pledge {name} must be a non-empty string")
    return value


def _ms(doc: dict[str, JSONValue], name: str) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MS:
        raise FinanceFormatError(f"pledge {name} must be UTC milliseconds in [0, 2^53)")
    return value


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise FinanceFormatError(f"{what} is not valid base64") from None


def _prior(value: JSONValue) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list):
        raise FinanceFormatError("pledge prior must be a list of {id, seq}")
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"id", "seq"}:
            raise FinanceFormatError("pledge prior items are {id, seq} objects")
        pid, seq = item["id"], item["seq"]
        if not isinstance(pid, str) or not _ID.match(pid):
            raise FinanceFormatError("pledge prior id must be 32 lower-case hex digits")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_MS:
            raise FinanceFormatError("pledge prior seq must be an entry index")
        out.append((pid, seq))
    return tuple(out)


@dataclass(frozen=True)
class Pledge:
    """The body both parties sign (see the module docstring)."""

    id: str
    borrower: str
    borrower_vkey: str
    bank: str
    bank_vkey: str
    subject: str
    registry: tuple[str, ...]
    commitment: bytes
    range_proof: bytes
    from_ms: int
    to_ms: int
    grant: str
    created_ms: int
    #: (id, entry index) of every pledge active on the subject when this one was
    #: made: what the bank saw in the registry before it signed.
    prior: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if len({pid for pid, _ in self.prior}) != len(self.prior):
            raise FinanceFormatError("pledge prior lists a pledge twice")
        if not _ID.match(self.id):
            raise FinanceFormatError("pledge id must be 32 lower-case hex digits")
        if not _HEX64.match(self.subject):
            raise FinanceFormatError("pledge subject must be 64 lower-case hex digits")
        if not self.registry or not all(_HEX64.match(k) for k in self.registry):
            raise FinanceFormatError("pledge registry keys must be 64 lower-case hex digits")
        if len(set(self.registry)) != len(self.registry):
            raise FinanceFormatError("pledge registry keys repeat")
        if len(self.commitment) != 33:
            raise FinanceFormatError("pledge commitment must be 33 bytes")
        if not 0 <= self.from_ms <= self.to_ms <= MAX_MS:
            raise FinanceFormatError("pledge period ends before it starts")
        for name in ("borrower_vkey", "bank_vkey"):
            try:
                NoteVerifier.from_vkey(getattr(self, name))
            except LedgerError as exc:
                raise FinanceFormatError(f"pledge {name}: {exc}") from None

    def covers(self, as_of_ms: int) -> bool:
        """Whether the pledge is active at ``as_of_ms``."""
        return self.from_ms <= as_of_ms <= self.to_ms

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "format": PLEDGE_FORMAT,
            "id": self.id,
            "borrower": self.borrower,
            "borrower_vkey": self.borrower_vkey,
            "bank": self.bank,
            "bank_vkey": self.bank_vkey,
            "subject": self.subject,
            "registry": list(self.registry),
            "commitment": self.commitment.hex(),
            "range_proof": base64.b64encode(self.range_proof).decode("ascii"),
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "grant": self.grant,
            "prior": [{"id": pid, "seq": seq} for pid, seq in self.prior],
            "created_ms": self.created_ms,
        }

    def note_text(self) -> str:
        """The text both parties sign."""
        return PLEDGE_FORMAT + "\n" + canonical_json(self.to_json()).decode("utf-8") + "\n"

    def sign(self, signer: NoteSigner) -> str:
        """One signature line of ``signer`` over :meth:`note_text`."""
        return signer.sign_line(self.note_text())

    @classmethod
    def from_json(cls, doc: JSONValue) -> Pledge:
        if not isinstance(doc, dict):
            raise FinanceFormatError("pledge must be a JSON object")
        if set(doc) != _FIELDS:
            raise FinanceFormatError(
                f"pledge fields wrong (missing {sorted(_FIELDS - set(doc))}, "
                f"unexpected {sorted(set(doc) - _FIELDS)})"
            )
        if doc.get("format") != PLEDGE_FORMAT:
            raise FinanceFormatError(f"pledge format must be {PLEDGE_FORMAT!r}")
        registry = doc.get("registry")
        if not isinstance(registry, list) or not all(isinstance(k, str) for k in registry):
            raise FinanceFormatError("pledge registry must be a list of keys")
        commitment = _str(doc, "commitment")
        try:
            raw = bytes.fromhex(commitment)
        except ValueError:
            raise FinanceFormatError("pledge commitment is not hex") from None
        return cls(
            id=_str(doc, "id"),
            borrower=_str(doc, "borrower"),
            borrower_vkey=_str(doc, "borrower_vkey"),
            bank=_str(doc, "bank"),
            bank_vkey=_str(doc, "bank_vkey"),
            subject=_str(doc, "subject"),
            registry=tuple(k for k in registry if isinstance(k, str)),
            commitment=raw,
            range_proof=_b64(_str(doc, "range_proof"), "pledge range_proof"),
            from_ms=_ms(doc, "from_ms"),
            to_ms=_ms(doc, "to_ms"),
            grant=_str(doc, "grant"),
            created_ms=_ms(doc, "created_ms"),
            prior=_prior(doc.get("prior")),
        )


@dataclass(frozen=True)
class SignedPledge:
    """A pledge with its signature lines (the ``finance.pledge`` entry body)."""

    pledge: Pledge
    signatures: tuple[str, ...]

    def to_body(self) -> dict[str, JSONValue]:
        return {"pledge": self.pledge.to_json(), "signatures": list(self.signatures)}

    @classmethod
    def from_body(cls, body: JSONValue) -> SignedPledge:
        if not isinstance(body, dict) or set(body) != {"pledge", "signatures"}:
            raise FinanceFormatError("pledge entry body must be {pledge, signatures}")
        sigs = body["signatures"]
        if not isinstance(sigs, list) or not all(isinstance(s, str) for s in sigs):
            raise FinanceFormatError("pledge signatures must be a list of signature lines")
        return cls(Pledge.from_json(body["pledge"]), tuple(s for s in sigs if isinstance(s, str)))

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedPledge:
        try:
            return cls.from_body(parse_json(data))
        except LedgerError as exc:
            raise FinanceFormatError(f"pledge is not canonical JSON: {exc}") from None

    def note(self) -> str:
        lines = "".join(s if s.endswith("\n") else s + "\n" for s in self.signatures)
        return self.pledge.note_text() + "\n" + lines

    def verify_signatures(self) -> None:
        """Both the borrower's and the bank's signature verify; else raise."""
        borrower = NoteVerifier.from_vkey(self.pledge.borrower_vkey)
        bank = NoteVerifier.from_vkey(self.pledge.bank_vkey)
        if borrower == bank:
            raise FinanceVerificationError("the borrower and the bank use the same key")
        if bank.name != self.pledge.bank:
            raise FinanceVerificationError(
                f"the bank key is named {bank.name!r}, the pledge names {self.pledge.bank!r}"
            )
        try:
            parsed = SignedNote.parse(self.note())
            _, verified = open_note(parsed, [borrower, bank])
        except LedgerError as exc:
            raise FinanceVerificationError(f"pledge {self.pledge.id}: {exc}") from None
        found = {v.verifier for v in verified}
        if borrower not in found:
            raise FinanceVerificationError(f"pledge {self.pledge.id} lacks the borrower signature")
        if bank not in found:
            raise FinanceVerificationError(f"pledge {self.pledge.id} lacks the bank signature")
