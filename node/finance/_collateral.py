"""The banks' collateral registry: blinded collateral keys in each bank's own log.

When a bank co-signs a pledge it logs, in its OWN ledger, a ``finance.collateral``
entry::

    {"format": "scnode-finance-collateral/v1", "key": "<64 hex>",
     "pledge": "<pledge id>", "state": "pledged" | "released"}

``key`` is :func:`collateral_key`: HMAC-SHA256 under the network's registry key
(a secret the banks of the network share, never given to borrowers or other
nodes) of the RFC 8785 JSON ``{borrower_vkey, lot, site, sku}``. Any bank of the
network computes it for a candidate collateral; nobody without the registry key
can test guesses of SKU and site against a bank's log; and it carries no amount,
period, ratio or other term. The pledge id ties the record to the co-signed pledge
in the borrower's log (where it must be named in the ``prior`` list of every later
pledge on the same stock).

Another bank asks for keys with a signed peer request and receives a
:class:`CollateralAnswer`: the matching entries as a ``scnode-evidence/v1`` bundle
(exact leaves, inclusion proofs, the answering bank's signed and witnessed
checkpoint), and the bank's log-key signature over what it answers
(:func:`answer_text`: the keys, the entry indices, its log size), verified with
:func:`verify_collateral_answer` against the answering bank's pinned key.
:func:`check_collateral` then refuses a pledge request that hides a pledge another
bank holds on the same collateral.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ledger import (
    Bundle,
    BundleVerificationError,
    Entry,
    JSONValue,
    LedgerError,
    NoteVerifier,
    canonical_json,
    open_note,
    parse_json,
    verify_bundle,
)
from node.finance._errors import FinanceFormatError, FinanceVerificationError
from node.finance._pledge import Pledge

__all__ = [
    "ANSWER_FORMAT",
    "COLLATERAL_FORMAT",
    "COLLATERAL_KIND",
    "COLLATERAL_TAG",
    "Collateral",
    "CollateralAnswer",
    "CollateralRecord",
    "DoublePledgeError",
    "answer_text",
    "check_collateral",
    "collateral_key",
    "held_pledges",
    "verify_collateral_answer",
]

COLLATERAL_KIND: Final = "finance.collateral"
COLLATERAL_FORMAT: Final = "scnode-finance-collateral/v1"
ANSWER_FORMAT: Final = "scnode-finance-collateral-answer/v1"
#: Domain tag hashed before the collateral's fields.
COLLATERAL_TAG: Final = b"scnode-finance-collateral/v1\x00"
#: Bytes of a network registry key.
REGISTRY_KEY_BYTES: Final = 32
STATES: Final = ("pledged", "released")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_ID = re.compile(r"[0-9a-f]{32}\Z")


class DoublePledgeError(FinanceVerificationError):
    """A pledge request that leaves out a pledge another bank holds on the same collateral."""


@dataclass(frozen=True)
class Collateral:
    """What a pledge is on, in the borrower's own names (sent to the bank point to point)."""

    sku: str
    site: str
    lot: str | None = None

    def to_json(self) -> dict[str, JSONValue]:
        return {"sku": self.sku, "site": self.site, "lot": self.lot}

    @classmethod
    def from_json(cls, doc: JSONValue) -> Collateral:
        if not isinstance(doc, dict) or not set(doc) <= {"sku", "site", "lot"}:
            raise FinanceFormatError("collateral must be {sku, site, lot}")
        sku, site, lot = doc.get("sku"), doc.get("site"), doc.get("lot")
        if not isinstance(sku, str) or not sku or not isinstance(site, str) or not site:
            raise FinanceFormatError("collateral sku and site must be non-empty strings")
        if lot is not None and (not isinstance(lot, str) or not lot):
            raise FinanceFormatError("collateral lot must be a non-empty string or null")
        return cls(sku, site, lot)


def collateral_key(network_key: bytes, borrower_vkey: str, collateral: Collateral) -> str:
    """HMAC-SHA256(network key, tag || RFC 8785 {borrower_vkey, lot, site, sku}), hex."""
    if len(network_key) != REGISTRY_KEY_BYTES:
        raise FinanceFormatError(f"a registry key is {REGISTRY_KEY_BYTES} bytes")
    fields: dict[str, JSONValue] = {
        "borrower_vkey": borrower_vkey,
        "lot": collateral.lot or "",
        "site": collateral.site,
        "sku": collateral.sku,
    }
    message = COLLATERAL_TAG + canonical_json(fields)
    return hmac.new(network_key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CollateralRecord:
    """The body of a ``finance.collateral`` entry: no amount, no period, no terms."""

    key: str
    pledge: str
    state: str

    def __post_init__(self) -> None:
        if not _HEX64.match(self.key):
            raise FinanceFormatError("collateral key must be 64 lower-case hex digits")
        if not _ID.match(self.pledge):
            raise FinanceFormatError("collateral pledge must be a 32-hex-digit pledge id")
        if self.state not in STATES:
            raise FinanceFormatError(f"collateral state must be one of {STATES}")

    def to_body(self) -> dict[str, JSONValue]:
        return {
            "format": COLLATERAL_FORMAT,
            "key": self.key,
            "pledge": self.pledge,
            "state": self.state,
        }

    @classmethod
    def from_body(cls, body: JSONValue) -> CollateralRecord:
        if not isinstance(body, dict) or set(body) != {"format", "key", "pledge", "state"}:
            raise FinanceFormatError("collateral entry must be {format, key, pledge, state}")
        if body["format"] != COLLATERAL_FORMAT:
            raise FinanceFormatError(f"collateral entry format must be {COLLATERAL_FORMAT!r}")
        key, pledge, state = body["key"], body["pledge"], body["state"]
        if not isinstance(key, str) or not isinstance(pledge, str) or not isinstance(state, str):
            raise FinanceFormatError("collateral key, pledge and state must be strings")
        return cls(key, pledge, state)


def held_pledges(records: Iterable[tuple[int, CollateralRecord]]) -> dict[str, dict[str, int]]:
    """key → {pledge id → entry index of its registration} for the pledges still held
    (the latest record of each (key, pledge) in log order decides)."""
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for seq, rec in sorted(records, key=lambda x: x[0]):
        latest[(rec.key, rec.pledge)] = (seq, rec.state)
    held: dict[str, dict[str, int]] = {}
    for (key, pledge), (seq, state) in latest.items():
        if state == "pledged":
            held.setdefault(key, {})[pledge] = seq
    return held


@dataclass(frozen=True)
class CollateralAnswer:
    """A bank's verified answer: its log, the keys asked, the records it holds on them."""

    bank: str
    keys: tuple[str, ...]
    records: tuple[tuple[int, CollateralRecord], ...]
    witnesses: tuple[str, ...] = ()

    def held(self) -> dict[str, dict[str, int]]:
        return held_pledges(self.records)


def answer_text(bank: str, keys: Sequence[str], size: int, records: Sequence[int]) -> str:
    """The text the answering bank's log key signs: what it answers, on which keys, at
    which size of its log (so an answer cannot be stripped of records unnoticed)."""
    asked: list[JSONValue] = [str(k) for k in sorted(set(keys))]
    listed: list[JSONValue] = [int(i) for i in sorted(records)]
    body: dict[str, JSONValue] = {"bank": bank, "keys": asked, "records": listed, "size": size}
    return ANSWER_FORMAT + "\n" + canonical_json(body).decode("utf-8") + "\n"


_ANSWER_FIELDS: Final = frozenset(
    {"format", "bank", "keys", "size", "records", "evidence", "signature"}
)


def _answer_doc(data: bytes) -> dict[str, JSONValue]:
    try:
        doc = parse_json(data)
    except LedgerError as exc:
        raise FinanceFormatError(f"collateral answer is not canonical JSON: {exc}") from None
    if not isinstance(doc, dict) or set(doc) != _ANSWER_FIELDS:
        raise FinanceFormatError(f"collateral answer must have exactly {sorted(_ANSWER_FIELDS)}")
    if doc["format"] != ANSWER_FORMAT:
        raise FinanceFormatError(f"collateral answer must have format {ANSWER_FORMAT!r}")
    return doc


def _signed_by(text: str, signature: JSONValue, vkey: str, bank: str) -> None:
    if not isinstance(signature, str):
        raise FinanceFormatError("collateral answer signature must be a signature line")
    try:
        verifier = NoteVerifier.from_vkey(vkey)
        _, verified = open_note(text + "\n" + signature + "\n", [verifier])
    except LedgerError as exc:
        raise FinanceVerificationError(f"the answer of {bank} is not signed: {exc}") from None
    if not verified:
        raise FinanceVerificationError(f"the answer of {bank} is not signed by its pinned key")


def verify_collateral_answer(
    data: bytes,
    *,
    vkey: str,
    keys: Sequence[str],
    witnesses: Sequence[str] = (),
    quorum: int = 0,
) -> CollateralAnswer:
    """Check a bank's answer against its pinned log key (and witnesses); the records.

    The bank's log key signs what it answers (keys, entry indices, log size); every
    listed entry comes with evidence from its log. Raises FinanceFormatError when
    malformed, FinanceVerificationError when the signature or an entry does not
    verify or the answer is about other keys. What no answer can prove is that
    nothing was left out of the bank's log: see the threat model."""
    doc = _answer_doc(data)
    bank, asked, size, listed = doc["bank"], doc["keys"], doc["size"], doc["records"]
    if not isinstance(bank, str) or not isinstance(asked, list) or not isinstance(listed, list):
        raise FinanceFormatError("collateral answer needs bank, keys and records lists")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise FinanceFormatError("collateral answer size must be a log size")
    seqs = [i for i in listed if isinstance(i, int) and not isinstance(i, bool) and i >= 0]
    if len(seqs) != len(listed) or not all(isinstance(k, str) for k in asked):
        raise FinanceFormatError("collateral answer keys are strings, records entry indices")
    text = answer_text(bank, [str(k) for k in asked], size, seqs)
    _signed_by(text, doc["signature"], vkey, bank)
    if sorted(str(k) for k in asked) != sorted(set(keys)):
        raise FinanceVerificationError("the collateral answer is for other keys than were asked")
    records, seen = _evidence(
        bank, doc["evidence"], seqs, vkey=vkey, keys=keys, witnesses=witnesses, quorum=quorum
    )
    return CollateralAnswer(bank, tuple(sorted(set(keys))), records, seen)


def _evidence(
    bank: str,
    evidence: JSONValue,
    seqs: Sequence[int],
    *,
    vkey: str,
    keys: Sequence[str],
    witnesses: Sequence[str],
    quorum: int,
) -> tuple[tuple[tuple[int, CollateralRecord], ...], tuple[str, ...]]:
    """The records the evidence proves in the bank's log (exactly those it listed)."""
    if evidence is None:
        if seqs:
            raise FinanceVerificationError(f"the answer of {bank} lists records without evidence")
        return (), ()
    try:
        bundle = Bundle.from_bytes(canonical_json(evidence))
    except LedgerError as exc:
        raise FinanceFormatError(f"collateral answer evidence: {exc}") from None
    if bundle.origin != bank:
        raise FinanceVerificationError(f"the answer of {bank!r} carries the log {bundle.origin!r}")
    if sorted(item.index for item in bundle.entries) != sorted(seqs):
        raise FinanceVerificationError(f"the evidence of {bank} is not the records it lists")
    try:
        report = verify_bundle(bundle, vkeys=[vkey], witnesses=witnesses, quorum=quorum)
    except BundleVerificationError as exc:
        raise FinanceVerificationError(f"the answer of {bank} does not verify: {exc}") from None
    except LedgerError as exc:
        raise FinanceFormatError(f"collateral answer evidence: {exc}") from None
    records = []
    for item in bundle.entries:
        entry = Entry.from_leaf(item.leaf)
        if entry.kind != COLLATERAL_KIND:
            raise FinanceVerificationError(f"entry {item.index} of the answer is a {entry.kind}")
        rec = CollateralRecord.from_body(entry.body)
        if rec.key not in keys:
            raise FinanceVerificationError(f"entry {item.index} answers a key not asked for")
        records.append((item.index, rec))
    return tuple(records), tuple(sorted({w for e in report.entries for w in e.witnesses}))


def check_collateral(
    pledge: Pledge, key: str, answers: Sequence[CollateralAnswer]
) -> list[tuple[str, str]]:
    """(bank, pledge id) of every pledge other banks hold on the collateral ``key``, each
    named in the request's ``prior``; DoublePledgeError if the request hides one."""
    named = {pid for pid, _ in pledge.prior}
    found: list[tuple[str, str]] = []
    for answer in answers:
        for pid in sorted(answer.held().get(key, {})):
            if pid == pledge.id:
                continue
            if pid not in named:
                raise DoublePledgeError(
                    f"{answer.bank} holds this collateral under pledge {pid}, which the "
                    f"borrower's request does not name: it hides an earlier pledge"
                )
            found.append((answer.bank, pid))
    return found
