"""ERP connectors over HTTP (``/v1/connectors``): Frappe / ERPNext webhooks.

* ``PUT /erpnext/{source}/webhook`` (admin): set the source's webhook secret and
  its site time zone (the secret is never returned).
* ``POST /erpnext/{source}/webhook``: where Frappe posts. No token: the
  ``X-Frappe-Webhook-Signature`` HMAC is the authentication. A missing or bad
  signature is a 401 problem; a body already accepted, or an older version of a
  document, is a 409 ``webhook-replay`` problem. A ``Bin`` is published as an
  inventory snapshot through the publishing pipeline; a ``Purchase Order`` or
  ``Purchase Receipt`` is mapped into the governance document shape and stored.
  A ``Purchase Receipt`` for an order this node issued over the network also
  becomes a signed goods-receipt document, sent to the supplier's node at once
  (``goods_receipt`` in the answer); one that matches no such order is stored
  only, and ``goods_receipt_error`` says why.

Odoo is pulled rather than pushed: see ``scnode connector odoo`` (docs/connectors.md).
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from node.api.deps import ServicesDep, require_role
from node.api.node_log import NodeLogDep
from node.api.problems import ProblemError, problem_responses
from node.auth.principal import Principal
from node.auth.roles import Role
from node.connectors import (
    FRAPPE_SIGNATURE_HEADER,
    ConnectorError,
    ImportedDocument,
    PayloadError,
    SentReceipt,
    WebhookSignatureError,
    body_digest,
    connector_deliveries,
    connector_documents,
    connector_webhooks,
    erpnext,
    positions_body,
    send_receipt,
    verify_frappe_signature,
)
from node.documents import DeliveryWorker, DocumentError
from node.inventory import InventoryError, open_publisher

__all__ = ["router"]

router = APIRouter(prefix="/v1/connectors", tags=["connectors"])
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Source = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
MAX_WEBHOOK_BYTES = 1024 * 1024


def _now_ms() -> int:
    return int(time.time() * 1000)


class WebhookConfig(BaseModel):
    secret: str = Field(min_length=16, max_length=200)
    timezone: str = Field(default="Z", max_length=64)


class WebhookAccepted(BaseModel):
    doctype: str
    name: str
    status: str
    snapshot: str | None = None
    document: dict[str, Any] | None = None
    goods_receipt: dict[str, Any] | None = None
    goods_receipt_error: str | None = None


@router.put("/erpnext/{source}/webhook", status_code=204, responses=problem_responses(401, 403))
def configure_webhook(
    services: ServicesDep, principal: Admin, source: Source, body: WebhookConfig
) -> None:
    """Set the webhook secret (as entered in Frappe's Webhook form) and site time zone."""
    with services.engine.begin() as conn:
        done = conn.execute(
            update(connector_webhooks)
            .where(connector_webhooks.c.source == source)
            .values(secret=body.secret, timezone=body.timezone)
        )
        if done.rowcount == 0:
            conn.execute(
                insert(connector_webhooks).values(
                    source=source,
                    secret=body.secret,
                    timezone=body.timezone,
                    created_ms=_now_ms(),
                )
            )


def _config(engine: Engine, source: str) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(connector_webhooks.c.secret, connector_webhooks.c.timezone).where(
                connector_webhooks.c.source == source
            )
        ).first()
    if row is None:
        return "", "Z"
    return str(row[0]), str(row[1])


def _replayed(engine: Engine, source: str, digest: str, delivery: erpnext.Delivery) -> str | None:
    with engine.connect() as conn:
        if conn.execute(
            select(connector_deliveries.c.id).where(
                connector_deliveries.c.source == source, connector_deliveries.c.digest == digest
            )
        ).first():
            return "this delivery was received already"
        newest = conn.execute(
            select(connector_deliveries.c.modified)
            .where(
                connector_deliveries.c.source == source,
                connector_deliveries.c.doctype == delivery.doctype,
                connector_deliveries.c.name == delivery.name,
            )
            .order_by(connector_deliveries.c.modified.desc())
            .limit(1)
        ).first()
    if newest is not None and delivery.modified <= str(newest[0]):
        return f"a newer or equal version of {delivery.doctype} {delivery.name} was received"
    return None


def _store_document(engine: Engine, source: str, doc: ImportedDocument, now: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(connector_documents).values(
                source=source,
                document_type=doc.document_type,
                number=doc.number,
                body=json.dumps(dict(doc.body), sort_keys=True),
                received_ms=now,
            )
        )


@router.post(
    "/erpnext/{source}/webhook",
    response_model=WebhookAccepted,
    responses=problem_responses(400, 401, 409, 413, 422),
)
async def erpnext_webhook(
    request: Request, services: ServicesDep, node_log: NodeLogDep, source: Source
) -> WebhookAccepted:
    """A Frappe webhook delivery: signature checked on the raw body, then ingested."""
    from starlette.concurrency import run_in_threadpool

    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise ProblemError(413, "webhook-too-large", "a webhook body is at most 1 MiB")
    secret, timezone = _config(services.engine, source)
    try:
        verify_frappe_signature(body, request.headers.get(FRAPPE_SIGNATURE_HEADER), secret)
    except WebhookSignatureError as exc:
        raise ProblemError(
            401, "webhook-signature", str(exc), title="Webhook signature refused"
        ) from None
    try:
        delivery = erpnext.parse_delivery(body)
    except PayloadError as exc:
        raise ProblemError(
            400, "connector-payload", str(exc), title="Unusable webhook body"
        ) from None
    digest = body_digest(body)
    replay = _replayed(services.engine, source, digest, delivery)
    if replay is not None:
        raise ProblemError(409, "webhook-replay", replay, title="Webhook delivery replayed")
    now = _now_ms()
    accepted = WebhookAccepted(doctype=delivery.doctype, name=delivery.name, status="accepted")

    def ingest() -> None:
        if delivery.doctype == erpnext.BIN:
            records = erpnext.bin_records([delivery.doc], timezone=timezone)
            data = json.dumps(positions_body(records)).encode()
            publisher = open_publisher(
                engine=services.engine,
                store=node_log.store(),
                signers=lambda at: node_log.keys().signers(at),
                home=services.settings.home,
            )
            done = publisher.publish(
                data, "application/json", None, published_by=f"connector:{source}"
            )
            accepted.snapshot = done.snapshot
            return
        if delivery.doctype == erpnext.PURCHASE_ORDER:
            doc = erpnext.purchase_order_document(delivery.doc, timezone=timezone)
        else:
            doc = erpnext.receipt_document(delivery.doc, timezone=timezone)
        _store_document(services.engine, source, doc, now)
        accepted.document = {"type": doc.document_type, **dict(doc.body)}
        if doc.document_type == "goods_receipt":
            _goods_receipt(request, doc, accepted)

    try:  # claim the delivery first: of two identical concurrent ones, one is ingested
        with services.engine.begin() as conn:
            row = conn.execute(
                insert(connector_deliveries).values(
                    source=source,
                    digest=digest,
                    doctype=delivery.doctype,
                    name=delivery.name,
                    modified=delivery.modified,
                    outcome="processing",
                    received_ms=now,
                )
            ).inserted_primary_key
    except IntegrityError:
        raise ProblemError(409, "webhook-replay", "this delivery was received already") from None
    row_id = None if row is None else row[0]
    try:
        await run_in_threadpool(ingest)
    except (ConnectorError, InventoryError) as exc:
        with services.engine.begin() as conn:  # refused: a corrected delivery may follow
            conn.execute(delete(connector_deliveries).where(connector_deliveries.c.id == row_id))
        raise _unusable(422, exc) from None
    with services.engine.begin() as conn:
        conn.execute(
            update(connector_deliveries)
            .where(connector_deliveries.c.id == row_id)
            .values(outcome=accepted.status)
        )
    return accepted


def _goods_receipt(request: Request, doc: ImportedDocument, accepted: WebhookAccepted) -> None:
    """Turn the ERP receipt into a signed goods receipt and send it at once."""
    from node.api.routes.documents import document_service

    service = document_service(request.app)
    try:
        sent: SentReceipt = send_receipt(service, doc, _now_ms())
    except (ConnectorError, DocumentError) as exc:
        accepted.goods_receipt_error = str(exc)
        return
    retrier: DeliveryWorker | None = getattr(request.app.state, "documents_retrier", None)
    if sent.created and retrier is not None:
        retrier.deliver()
    stored = service.get(sent.stored.hash)
    accepted.goods_receipt = {
        "hash": stored.hash,
        "doc_id": stored.signed.document.doc_id,
        "counterparty": stored.counterparty,
        "created": sent.created,
        "delivered_ms": stored.delivered_ms,
        "findings": list(stored.findings),
    }


def _unusable(status: int, exc: Exception) -> ProblemError:
    return ProblemError(status, "connector-payload", str(exc), title="Unusable webhook body")
