"""Delivery of sent documents to their counterparty, per peer in creation order.

A document is marked delivered only after the peer acknowledged it (200, new or
duplicate), so a crash between the two resends it and the peer recognises it by
its hash: the peer stores every document exactly once. A transport error, a 5xx
or a ``document-out-of-order`` refusal is retried with the outbox's exponential
backoff and stops that peer's delivery for this round (later documents wait, so
order is kept). Any other refusal is final and recorded with its reason.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Final

import httpx
from sqlalchemy import Engine, select, update

from ledger import NoteSigner
from node.documents._store import add_event
from node.documents._tables import documents
from node.outbox import Random, backoff_ms
from node.peers.registry import PeerNotFoundError, PeerRegistry
from node.witness import client_for

__all__ = ["DOCUMENTS_INBOX_PATH", "DeliveryResult", "deliver_pending"]

DOCUMENTS_INBOX_PATH: Final = "/v1/documents/inbox"
RETRYABLE_SLUG: Final = "document-out-of-order"
TIMEOUT: Final = httpx.Timeout(10.0, connect=2.0)
BATCH: Final = 200


@dataclass
class DeliveryResult:
    delivered: int = 0
    duplicates: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # hash -> reason
    retrying: dict[str, str] = field(default_factory=dict)  # peer id -> reason


def _due(engine: Engine, now_ms: int) -> dict[str, list[tuple[int, str, str, int]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                documents.c.id,
                documents.c.peer_id,
                documents.c.hash,
                documents.c.body,
                documents.c.attempts,
                documents.c.next_attempt_ms,
            )
            .where(
                documents.c.direction == "sent",
                documents.c.delivered_ms.is_(None),
                documents.c.refused.is_(None),
            )
            .order_by(documents.c.id)
            .limit(BATCH)
        ).all()
    out: dict[str, list[tuple[int, str, str, int]]] = {}
    blocked: set[str] = set()
    for row_id, peer_id, digest, body, attempts, next_ms in rows:
        if peer_id in blocked:
            continue
        if int(next_ms) > now_ms:
            blocked.add(peer_id)  # the head waits: so does everything after it
            continue
        out.setdefault(peer_id, []).append((int(row_id), digest, body, int(attempts)))
    return out


def _problem_slug(response: httpx.Response) -> str:
    try:
        kind = response.json().get("type", "")
    except (ValueError, AttributeError):
        return ""
    return str(kind).rsplit("/", 1)[-1]


def deliver_pending(
    engine: Engine,
    signer: NoteSigner,
    now_ms: int,
    *,
    rng: Random,
    transport: httpx.BaseTransport | None = None,
    clients: dict[tuple[str, str, str], httpx.Client] | None = None,
) -> DeliveryResult:
    """Send every due document; see the module docstring.

    ``clients`` (optional) keeps one signed client per peer between calls (a new
    client costs a TLS context); the caller closes them.
    """
    result = DeliveryResult()
    for peer_id, queue in _due(engine, now_ms).items():
        with engine.connect() as conn:
            try:
                peer = PeerRegistry(conn).get(peer_id)
            except PeerNotFoundError:
                continue
        if peer.status != "active":
            continue
        key = (peer.url, peer.vkey, signer.vkey)
        client = None if clients is None else clients.get(key)
        if client is None:
            client = client_for(peer, signer, timeout=TIMEOUT, transport=transport)
            if clients is not None:
                clients[key] = client
        with contextlib.nullcontext() if clients is not None else client:
            for row_id, digest, body, attempts in queue:
                try:
                    response = client.post(DOCUMENTS_INBOX_PATH, json=json.loads(body))
                except httpx.HTTPError as exc:
                    _retry(engine, row_id, attempts, now_ms, rng=rng, why=exc.__class__.__name__)
                    result.retrying[peer_id] = exc.__class__.__name__
                    break
                if response.status_code == 200:
                    _delivered(engine, row_id, digest, peer.key.name, now_ms)
                    result.delivered += 1
                    result.duplicates += int(bool(response.json().get("duplicate")))
                    continue
                slug = _problem_slug(response)
                reason = f"HTTP {response.status_code} {slug}".strip()
                if response.status_code >= 500 or slug == RETRYABLE_SLUG:
                    _retry(engine, row_id, attempts, now_ms, rng=rng, why=reason)
                    result.retrying[peer_id] = reason
                    break
                detail = _detail(response) or reason
                _refused(engine, row_id, digest, peer.key.name, now_ms, why=detail)
                result.refused[digest] = detail
    return result


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:500]
    except (ValueError, AttributeError):
        return ""


def _retry(
    engine: Engine, row_id: int, attempts: int, now_ms: int, *, rng: Random, why: str
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(documents)
            .where(documents.c.id == row_id)
            .values(
                attempts=attempts + 1,
                next_attempt_ms=now_ms + backoff_ms(attempts + 1, rng),
                last_error=why,
            )
        )


def _delivered(engine: Engine, row_id: int, digest: str, party: str, now_ms: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(documents).where(documents.c.id == row_id).values(delivered_ms=now_ms))
        add_event(conn, digest, "delivered", party, now_ms)


def _refused(
    engine: Engine, row_id: int, digest: str, party: str, now_ms: int, *, why: str
) -> None:
    with engine.begin() as conn:
        conn.execute(update(documents).where(documents.c.id == row_id).values(refused=why))
        add_event(conn, digest, "refused", party, now_ms)
