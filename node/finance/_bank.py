"""The bank's side of financing: its collateral registry and the review of a pledge request.

:class:`BankRegistry` keeps the ``finance.collateral`` entries of the bank's OWN
log (see :mod:`node.finance._collateral`) and answers other banks' queries with
evidence from that log. :func:`review_request` is what a bank runs before it
co-signs: the borrower's signature, the collateral key, and every other bank's
answer checked against the request's list of earlier pledges.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger import (
    Entry,
    JSONValue,
    LedgerError,
    NoteSigner,
    NoteVerifier,
    build_bundle,
    canonical_json,
    open_note,
    parse_json,
)
from ledger.storage import LedgerStore, StoredCheckpoint
from node.finance._collateral import (
    ANSWER_FORMAT,
    COLLATERAL_KIND,
    Collateral,
    CollateralAnswer,
    CollateralRecord,
    answer_text,
    check_collateral,
    collateral_key,
    held_pledges,
)
from node.finance._errors import FinanceFormatError, FinanceNotFoundError, FinanceVerificationError
from node.finance._pledge import SignedPledge

__all__ = ["BankRegistry", "Review", "review_request"]

_REGISTRY_LOCK = threading.Lock()


@dataclass
class BankRegistry:
    """The collateral registry in a bank's own ledger."""

    store: LedgerStore
    signers: Callable[[int], Sequence[NoteSigner]]
    clock: Callable[[], int]

    @property
    def origin(self) -> str:
        return self.store.origin

    def records(self) -> list[tuple[int, CollateralRecord]]:
        out = []
        for stored in self.store.entries_of_kind(COLLATERAL_KIND):
            if stored.leaf is not None:
                out.append(
                    (stored.seq, CollateralRecord.from_body(Entry.from_leaf(stored.leaf).body))
                )
        return out

    def held(self) -> dict[str, dict[str, int]]:
        return held_pledges(self.records())

    def _log(self, record: CollateralRecord) -> int:
        now = self.clock()
        seq = self.store.append(COLLATERAL_KIND, record.to_body(), now).seq
        self.store.sign_checkpoint(self.signers(now), now)
        return seq

    def register(self, key: str, pledge_id: str) -> int:
        """Log that this bank holds ``key`` under ``pledge_id``; the entry index (the
        existing one when it is already registered)."""
        with _REGISTRY_LOCK:
            found = self.held().get(key, {}).get(pledge_id)
            if found is not None:
                return found
            return self._log(CollateralRecord(key, pledge_id, "pledged"))

    def release(self, key: str, pledge_id: str) -> int:
        """Log that the pledge no longer holds the collateral (the loan ended)."""
        with _REGISTRY_LOCK:
            if pledge_id not in self.held().get(key, {}):
                raise FinanceNotFoundError(f"this bank holds no pledge {pledge_id} on that key")
            return self._log(CollateralRecord(key, pledge_id, "released"))

    def release_pledge(self, pledge_id: str) -> list[int]:
        """Release every collateral key held under ``pledge_id``; the entries logged."""
        with _REGISTRY_LOCK:
            keys = sorted(k for k, held in self.held().items() if pledge_id in held)
            if not keys:
                raise FinanceNotFoundError(f"this bank holds no pledge {pledge_id}")
            return [self._log(CollateralRecord(k, pledge_id, "released")) for k in keys]

    def answer(self, keys: Sequence[str], vkeys: Sequence[str]) -> bytes:
        """The signed answer to another bank: every record on ``keys`` with its evidence."""
        wanted = sorted(set(keys))
        for key in wanted:
            CollateralRecord(key, "0" * 32, "pledged")  # FinanceFormatError if not a key
        seqs = [seq for seq, rec in self.records() if rec.key in wanted]
        evidence: JSONValue = None
        size = self.store.size()
        if seqs:
            cp = self._checkpoint_for(max(seqs))
            entries = []
            for index in seqs:
                leaf = self.store.entry(index).leaf
                if leaf is None:
                    continue
                entries.append((index, leaf, self.store.inclusion_proof(index, cp.size)))
            try:
                data = build_bundle(
                    origin=self.origin,
                    vkeys=vkeys,
                    entries=entries,
                    size=cp.size,
                    checkpoint_note=cp.text,
                )
            except LedgerError as exc:
                raise FinanceFormatError(f"cannot build the answer: {exc}") from None
            evidence = parse_json(data)
        signer = self.signers(self.clock())[0]
        text = answer_text(self.origin, wanted, size, seqs)
        doc: dict[str, JSONValue] = {
            "format": ANSWER_FORMAT,
            "bank": self.origin,
            "keys": list(wanted),
            "size": size,
            "records": list(seqs),
            "evidence": evidence,
            "signature": signer.sign_line(text).rstrip("\n"),
        }
        return canonical_json(doc)

    def _checkpoint_for(self, index: int) -> StoredCheckpoint:
        """The newest witnessed checkpoint covering ``index``, else the newest signed one."""
        for cp in reversed(self.store.checkpoints()):
            if cp.size > index and cp.cosignatures:
                return cp
        latest = self.store.checkpoint()
        if latest is not None and latest.size > index:
            return latest
        now = self.clock()
        return self.store.sign_checkpoint(self.signers(now), now)


@dataclass(frozen=True)
class Review:
    """A pledge request a bank may sign: its collateral key and the pledges others hold."""

    key: str
    others: tuple[tuple[str, str], ...]


def review_request(
    signed: SignedPledge,
    *,
    bank_vkey: str,
    network_key: bytes,
    collateral: Collateral,
    answers: Sequence[CollateralAnswer],
) -> Review:
    """Check a request before co-signing: it is for this bank, the borrower signed it, and
    it names every pledge other banks hold on the same collateral (DoublePledgeError)."""
    pledge = signed.pledge
    if pledge.bank_vkey != bank_vkey:
        raise FinanceVerificationError(f"the pledge names bank key {pledge.bank_vkey}")
    borrower = NoteVerifier.from_vkey(pledge.borrower_vkey)
    try:
        _, ok = open_note(signed.note(), [borrower])
    except LedgerError as exc:
        raise FinanceVerificationError(f"the request's signature: {exc}") from None
    if not ok:
        raise FinanceVerificationError("the request is not signed by the borrower key it names")
    key = collateral_key(network_key, pledge.borrower_vkey, collateral)
    return Review(key, tuple(check_collateral(pledge, key, answers)))
