"""The documents service: create, receive, list and deliver signed documents.

Creating a document signs it with this node's key, runs the chain's state
machine, stores the plaintext in this node's tables, records its hash on this
node's ledger (kind ``document.sent``: hash, type, chain digest, counterparty,
references; no plaintext) and leaves it queued for delivery to the counterparty
only. Receiving one checks the sender is its author, verifies the signature with
the peer's registered key, waits for documents it references (``OutOfOrderError``,
retryable), runs the state machine and records ``document.received``.
Delivering the same document twice changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

from sqlalchemy import Connection, Engine, select, text, update

from governance import RuleSet
from ledger import Entry, JSONValue, NoteSigner
from ledger.storage import LedgerStore
from node._unicode import lone_surrogate_at
from node.api.transactions import write_transaction
from node.documents._errors import (
    DocumentError,
    DocumentFormatError,
    DocumentNotFoundError,
    OutOfOrderError,
    TransitionError,
)
from node.documents._machine import ChainState, apply
from node.documents._models import DespatchAdvice, DocumentType, GoodsReceipt
from node.documents._parse import parse_document
from node.documents._signed import SignedDocument, sign_document
from node.documents._store import (
    StoredDocument,
    add_event,
    findings_of,
    insert_document,
    load_chain,
    stored,
)
from node.documents._tables import document_events, documents
from node.peers.registry import Peer

__all__ = [
    "DOCUMENT_RECEIVED",
    "DOCUMENT_SENT",
    "DocumentService",
    "ReceiptHook",
    "chain_digest",
]

_log = logging.getLogger("scnode.documents")

ReceiptHook = Callable[[DespatchAdvice, GoodsReceipt], object]
"""Called once a goods receipt is stored and recorded, on the buyer's node (which
created it) and on the supplier's (which received it), with the despatch advice it
answers: the node's governance service compares them and opens the cases."""

DOCUMENT_SENT: Final = "document.sent"
DOCUMENT_RECEIVED: Final = "document.received"
#: Event noted once governance has compared a receipt with its despatch.
COMPARED: Final = "compared"
CHAIN_TAG: Final = b"scnode-document-chain/v1\x00"
#: which party authors each type
_AUTHOR: Final = {
    DocumentType.PURCHASE_ORDER: "buyer",
    DocumentType.ORDER_ACK: "supplier",
    DocumentType.DESPATCH_ADVICE: "supplier",
    DocumentType.GOODS_RECEIPT: "buyer",
}


def chain_digest(chain_id: str) -> str:
    """What the ledger records for a chain: its id hashed (PO numbers stay private)."""
    return hashlib.sha256(CHAIN_TAG + chain_id.encode("utf-8")).hexdigest()


RECORD_GRACE_MS: Final = 30_000
"""How old a stored document without its ledger entry must be before a delivery
round records it: younger ones are still being recorded by the request that stored
them (possibly in another worker process)."""


def _lock_chain(conn: Connection, chain_id: str) -> None:
    """Serialise transitions of one chain across processes (PostgreSQL: an advisory
    lock for the transaction; SQLite: the write transaction already holds the lock)."""
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(bytes.fromhex(chain_digest(chain_id))[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _fill_refs(state: ChainState | None, body: dict[str, Any]) -> None:
    """Fill the reference hashes a caller left out from the chain this node holds."""
    kind = body.get("type")
    if state is None:
        if kind != DocumentType.PURCHASE_ORDER:
            raise TransitionError(f"{kind} for unknown purchase order {body.get('po_number')!r}")
        return
    if kind == DocumentType.PURCHASE_ORDER and body.get("version") is None:
        body["version"] = state.latest.version + 1
    if kind == DocumentType.PURCHASE_ORDER and body.get("version", 1) != 1:
        body.setdefault("supersedes", state.versions[-1][1])
    if kind == DocumentType.ORDER_ACK:
        version = body.setdefault("po_version", state.latest.version)
        match = [h for po, h in state.versions if po.version == version]
        if match:
            body.setdefault("po_hash", match[0])
    if kind == DocumentType.DESPATCH_ADVICE:
        version = body.setdefault("po_version", state.latest.version)
        ack = state.acks.get(version) if isinstance(version, int) else None
        if ack is None:
            raise TransitionError(f"despatch: version {version} is not acknowledged")
        body.setdefault("ack_hash", ack[1])
    if kind == DocumentType.GOODS_RECEIPT:
        advice = state.despatches.get(str(body.get("despatch_number")))
        if advice is None:
            raise TransitionError(
                f"receipt for an unknown despatch {body.get('despatch_number')!r}"
            )
        body.setdefault("despatch_hash", advice[1])


def _answered(state: ChainState | None, document: object) -> DespatchAdvice | None:
    """The despatch advice a goods receipt answers (None for other documents)."""
    if state is None or not isinstance(document, GoodsReceipt):
        return None
    entry = state.despatches.get(document.despatch_number)
    return None if entry is None else entry[0]


class DocumentService:
    """Documents of one node (engine, keys and ledger supplied by the caller)."""

    def __init__(
        self,
        engine: Engine,
        signer: Callable[[], NoteSigner],
        store: Callable[[], LedgerStore],
        rules: RuleSet,
        *,
        on_receipt: ReceiptHook | None = None,
    ) -> None:
        self.engine = engine
        self.on_receipt = on_receipt
        self.signer = signer
        self.store = store
        self.rules = rules
        self._lock = threading.Lock()  # one chain transition at a time in this process
        self.changed = threading.Condition()
        # Documents stored and not yet recorded by the request that stored them:
        # record_missing must leave them to that request (else two entries).
        self._inflight: set[str] = set()
        self._inflight_lock = threading.Lock()

    def _received_goods(
        self, advice: DespatchAdvice | None, signed: SignedDocument, party: str, now_ms: int
    ) -> None:
        """Hand a stored receipt and its despatch to the hook, then note it (event
        ``compared``); a failure there is logged, never undoes the stored, recorded
        and delivered document, and :meth:`compare_missing` tries again later."""
        receipt = signed.document
        if self.on_receipt is None or advice is None or not isinstance(receipt, GoodsReceipt):
            return
        try:
            self.on_receipt(advice, receipt)
        except Exception:  # noqa: BLE001  the document stands; the failure is logged
            _log.exception("governance could not compare receipt %s", receipt.receipt_number)
            return
        with self.engine.begin() as conn:
            add_event(conn, signed.hash, COMPARED, party, now_ms)

    def compare_missing(self, now_ms: int, *, grace_ms: int = RECORD_GRACE_MS) -> int:
        """Hand to the hook the stored receipts it has not compared yet (a crash or a
        failure between storing a receipt and comparing it); returns how many.
        Receipts younger than ``grace_ms`` are left to the request storing them."""
        if self.on_receipt is None:
            return 0
        done = select(document_events.c.hash).where(document_events.c.event == COMPARED)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(documents.c.hash, documents.c.chain_id, documents.c.counterparty)
                .where(documents.c.type == DocumentType.GOODS_RECEIPT.value)
                .where(documents.c.created_ms <= now_ms - grace_ms)
                .where(documents.c.hash.not_in(done))
                .order_by(documents.c.id)
            ).all()
            states = {c: load_chain(conn, c, self.rules) for c in {r[1] for r in rows}}
        for digest, chain_id, party in rows:
            signed = self.get(digest).signed
            receipt = signed.document
            state = states[chain_id]
            if state is None or not isinstance(receipt, GoodsReceipt):
                continue
            advice = state.despatches.get(receipt.despatch_number)
            self._received_goods(None if advice is None else advice[0], signed, party, now_ms)
        return len(rows)

    def _notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def _record(self, kind: str, signed: SignedDocument, counterparty: str, now_ms: int) -> int:
        body: dict[str, JSONValue] = {
            "hash": signed.hash,
            "type": signed.document.type.value,
            "chain": chain_digest(signed.document.chain_id),
            "counterparty": counterparty,
            "refs": list(signed.document.refs),
        }
        return self.store().append(kind, body, now_ms).seq

    def _record_row(
        self, row_id: int, kind: str, signed: SignedDocument, party: str, now_ms: int
    ) -> None:
        try:
            seq = self._record(kind, signed, party, now_ms)
            with self.engine.begin() as conn:
                conn.execute(
                    update(documents).where(documents.c.id == row_id).values(ledger_seq=seq)
                )
        finally:
            with self._inflight_lock:
                self._inflight.discard(signed.hash)

    def _claim(self, digest: str) -> None:
        with self._inflight_lock:
            self._inflight.add(digest)

    def record_missing(self, now_ms: int, *, grace_ms: int = RECORD_GRACE_MS) -> int:
        """Record on the ledger the stored documents that are not yet (a crash between
        storing a document and appending its entry); returns how many were recorded.
        An entry that was appended but not noted on its row is found, not repeated.

        Rows stored less than ``grace_ms`` before ``now_ms``, and rows a request of
        this process is still recording, are left alone: their own request records
        them (another worker process's request is covered by the grace period)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(documents.c.id, documents.c.hash, documents.c.direction, documents.c.body)
                .where(documents.c.ledger_seq.is_(None))
                .where(documents.c.created_ms <= now_ms - grace_ms)
                .order_by(documents.c.id)
            ).all()
        with self._inflight_lock:
            rows = [row for row in rows if row[1] not in self._inflight]
        if not rows:
            return 0
        store = self.store()
        recorded: dict[str, int] = {}
        for kind in (DOCUMENT_SENT, DOCUMENT_RECEIVED):
            for stored_entry in store.entries_of_kind(kind):
                if stored_entry.leaf is not None:
                    body = Entry.from_leaf(stored_entry.leaf).body
                    digest = body.get("hash") if isinstance(body, dict) else None
                    if isinstance(digest, str):
                        recorded[digest] = stored_entry.seq
        for row_id, digest, direction, _ in rows:
            seq = recorded.get(digest)
            if seq is None:
                doc = self.get(digest)
                kind = DOCUMENT_SENT if direction == "sent" else DOCUMENT_RECEIVED
                seq = self._record(kind, doc.signed, doc.counterparty, now_ms)
            with self.engine.begin() as conn:
                conn.execute(
                    update(documents).where(documents.c.id == row_id).values(ledger_seq=seq)
                )
        return len(rows)

    def create(self, data: object, peer: Peer, now_ms: int) -> StoredDocument:
        """Sign, check, store and record a new document for ``peer``; queue its delivery."""
        if not isinstance(data, Mapping):
            raise DocumentFormatError("document must be a JSON object")
        where = lone_surrogate_at(data)
        if where is not None:
            raise DocumentFormatError(
                f"document: the string at {where} is not Unicode text (lone surrogate)"
            )
        body = dict(data)
        signer = self.signer()
        try:
            author_role = _AUTHOR[DocumentType(str(body.get("type")))]
        except ValueError:
            raise DocumentFormatError("document.type is missing or unknown") from None
        other_role = "supplier" if author_role == "buyer" else "buyer"
        body.setdefault(author_role, signer.name)
        body.setdefault(other_role, peer.key.name)
        if body[author_role] != signer.name or body[other_role] != peer.key.name:
            raise DocumentFormatError(
                f"{author_role} must be this node ({signer.name}) and {other_role} "
                f"the counterparty ({peer.key.name})"
            )
        chain = f"{body['buyer']}/{body.get('po_number')}"
        with self._lock, write_transaction(self.engine) as conn:
            _lock_chain(conn, chain)
            state = load_chain(conn, chain, self.rules)
            _fill_refs(state, body)
            document = parse_document(body)
            _, findings = apply(state, document, "0" * 64, rules=self.rules)
            advice = _answered(state, document)
            signed = sign_document(document, signer)
            row_id = insert_document(
                conn,
                signed,
                direction="sent",
                counterparty=peer.key.name,
                peer_id=peer.id,
                now_ms=now_ms,
                findings=findings,
            )
        self._claim(signed.hash)
        self._record_row(row_id, DOCUMENT_SENT, signed, peer.key.name, now_ms)
        self._notify()
        self._received_goods(advice, signed, peer.key.name, now_ms)
        return self.get(signed.hash)

    def receive(self, peer: Peer, data: object, now_ms: int) -> tuple[StoredDocument, bool]:
        """Accept a document delivered by ``peer``; (stored, duplicate)."""
        signed = SignedDocument.from_json(data)
        document = signed.document
        me = self.signer().name
        if document.author != peer.key.name:
            raise DocumentFormatError("the sending peer is not the document's author")
        if me not in (document.buyer, document.supplier) or me == document.author:
            raise DocumentFormatError("this node is not the document's counterparty")
        signed.verify([peer.vkey])
        accepted = self._accept(signed, peer, now_ms)
        if accepted is None:
            return self.get(signed.hash), True
        row_id, advice = accepted
        self._claim(signed.hash)
        self._record_row(row_id, DOCUMENT_RECEIVED, signed, peer.key.name, now_ms)
        self._notify()
        self._received_goods(advice, signed, peer.key.name, now_ms)
        return self.get(signed.hash), False

    def _accept(
        self, signed: SignedDocument, peer: Peer, now_ms: int
    ) -> tuple[int, DespatchAdvice | None] | None:
        """Check and store a received document: its row id and, for a receipt, the
        despatch it answers; None if the document is held already."""
        document = signed.document
        with self._lock, write_transaction(self.engine) as conn:
            _lock_chain(conn, document.chain_id)
            seen = conn.execute(
                select(documents.c.id).where(documents.c.hash == signed.hash)
            ).first()
            if seen is not None:
                return None
            state = load_chain(conn, document.chain_id, self.rules)
            known = state.hashes() if state is not None else frozenset()
            missing = [h for h in document.refs if h not in known]
            if missing:
                raise OutOfOrderError(
                    f"{document.doc_id} refers to {missing[0][:16]}..., not received yet"
                )
            _, findings = apply(state, document, signed.hash, rules=self.rules)
            row_id = insert_document(
                conn,
                signed,
                direction="received",
                counterparty=peer.key.name,
                peer_id=peer.id,
                now_ms=now_ms,
                findings=findings,
            )
            return row_id, _answered(state, document)

    def get(self, key: str, *, party: str | None = None) -> StoredDocument:
        """A document by hash or document id; ``party`` limits it to one counterparty."""
        query = select(documents).where((documents.c.hash == key) | (documents.c.doc_id == key))
        if party is not None:
            query = query.where(documents.c.counterparty == party)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(documents.c.id)).all()
            if not rows:
                raise DocumentNotFoundError(f"no document {key[:80]!r}")
            if len(rows) > 1:
                raise DocumentError(f"{key[:80]!r} names documents of several chains; use its hash")
            return stored(rows[0], findings_of(conn, rows[0]._mapping["hash"]))

    def list(
        self, *, party: str | None = None, chain_id: str | None = None, limit: int = 500
    ) -> list[StoredDocument]:
        query = select(documents).order_by(documents.c.id).limit(limit)
        if party is not None:
            query = query.where(documents.c.counterparty == party)
        if chain_id is not None:
            query = query.where(documents.c.chain_id == chain_id)
        with self.engine.connect() as conn:
            return [stored(r, findings_of(conn, r._mapping["hash"])) for r in conn.execute(query)]

    def chain(self, chain_id: str) -> ChainState:
        with self.engine.connect() as conn:
            state = load_chain(conn, chain_id, self.rules)
        if state is None:
            raise DocumentNotFoundError(f"no purchase order chain {chain_id[:80]!r}")
        return state
