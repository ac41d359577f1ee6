"""Frappe / ERPNext webhook signatures (HMAC-SHA256 of the raw body) and replays.

Frappe signs a webhook when its *Webhook Secret* is set: the header
``X-Frappe-Webhook-Signature`` carries the standard base64 (RFC 4648 §4) of
``HMAC-SHA256(key = secret as UTF-8, message = the request body bytes)``
(frappe/integrations/doctype/webhook/webhook.py, ``get_webhook_headers``; the
body is the JSON the webhook renders, sent as is). The check recomputes the MAC
over the raw bytes received — never over re-serialised JSON — and compares in
constant time.

Frappe's signature covers no time or nonce, so a captured delivery could be sent
again. :class:`ReplayGuard` refuses a body already accepted (by its SHA-256)
and a document version not newer than the last one accepted for the same
document (by Frappe's ``modified`` timestamp).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from node.connectors._errors import WebhookSignatureError

__all__ = [
    "FRAPPE_SIGNATURE_HEADER",
    "ReplayGuard",
    "Verdict",
    "body_digest",
    "sign_frappe",
    "verify_frappe_signature",
]

FRAPPE_SIGNATURE_HEADER: Final = "X-Frappe-Webhook-Signature"
_MAC_SIZE: Final = hashlib.sha256().digest_size


def sign_frappe(body: bytes, secret: str) -> str:
    """The header value Frappe sends for ``body`` under ``secret``."""
    mac = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def verify_frappe_signature(body: bytes, header: str | None, secret: str) -> None:
    """None if ``header`` is the HMAC of ``body``; WebhookSignatureError otherwise.

    The message never contains the secret, the expected MAC or the body.
    """
    if not secret:
        raise WebhookSignatureError("no webhook secret is configured for this source")
    if header is None or not header.strip():
        raise WebhookSignatureError(f"the {FRAPPE_SIGNATURE_HEADER} header is missing")
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookSignatureError(f"the {FRAPPE_SIGNATURE_HEADER} header is not base64") from None
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    # compare_digest takes time independent of where the bytes differ; a wrong
    # length is refused by it too (and the length of a SHA-256 MAC is public).
    if len(given) != _MAC_SIZE or not hmac.compare_digest(given, expected):
        raise WebhookSignatureError("the webhook signature does not match the body")


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Verdict:
    accept: bool
    reason: str  # "new", "duplicate" or "stale"


@dataclass
class ReplayGuard:
    """In-memory replay memory (bounded); the node keeps the same facts in its tables."""

    capacity: int = 100_000
    _bodies: OrderedDict[str, None] = field(default_factory=OrderedDict)
    _latest: dict[tuple[str, str], str] = field(default_factory=dict)

    def check(self, digest: str, doctype: str, name: str, modified: str) -> Verdict:
        """Whether to accept a delivery; records it when accepted."""
        if digest in self._bodies:
            return Verdict(False, "duplicate")
        last = self._latest.get((doctype, name))
        if last is not None and modified <= last:
            return Verdict(False, "stale")
        self._bodies[digest] = None
        if len(self._bodies) > self.capacity:
            self._bodies.popitem(last=False)
        self._latest[(doctype, name)] = modified
        return Verdict(True, "new")
