"""Frappe webhook signatures: recorded good signatures, bad, missing, replayed."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.connectors import (
    ReplayGuard,
    WebhookSignatureError,
    body_digest,
    erpnext,
    sign_frappe,
    verify_frappe_signature,
)
from tests.node.connector_support import WEBHOOK_SECRET, recorded

CASES = ["webhook-bin", "webhook-purchase-receipt"]


@pytest.mark.parametrize("name", CASES)
def test_recorded_signatures_verify(name: str) -> None:
    body = recorded("erpnext", f"{name}.body")
    header = recorded("erpnext", f"{name}.signature").decode().strip()
    verify_frappe_signature(body, header, WEBHOOK_SECRET)
    assert sign_frappe(body, WEBHOOK_SECRET) == header


@pytest.mark.parametrize("name", CASES)
def test_tampered_body_or_wrong_secret_is_refused(name: str) -> None:
    body = recorded("erpnext", f"{name}.body")
    header = recorded("erpnext", f"{name}.signature").decode().strip()
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_frappe_signature(body.replace(b"900.0", b"990.0", 1) + b" ", header, WEBHOOK_SECRET)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_frappe_signature(body, header, WEBHOOK_SECRET + "x")
    # re-serialised JSON is a different body: the MAC is over the raw bytes
    with pytest.raises(WebhookSignatureError):
        verify_frappe_signature(body.replace(b", ", b","), header, WEBHOOK_SECRET)


def test_missing_and_malformed_headers() -> None:
    body = recorded("erpnext", "webhook-bin.body")
    good = sign_frappe(body, WEBHOOK_SECRET)
    for header in (None, "", "   "):
        with pytest.raises(WebhookSignatureError, match="missing"):
            verify_frappe_signature(body, header, WEBHOOK_SECRET)
    with pytest.raises(WebhookSignatureError, match="not base64"):
        verify_frappe_signature(body, "not*base64!", WEBHOOK_SECRET)
    truncated = base64.b64encode(base64.b64decode(good)[:16]).decode()
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_frappe_signature(body, truncated, WEBHOOK_SECRET)
    hexed = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookSignatureError):
        verify_frappe_signature(body, hexed, WEBHOOK_SECRET)  # hex is another scheme
    with pytest.raises(WebhookSignatureError, match="no webhook secret"):
        verify_frappe_signature(body, good, "")


def test_messages_never_reveal_the_secret_or_the_mac() -> None:
    body = recorded("erpnext", "webhook-bin.body")
    expected = sign_frappe(body, WEBHOOK_SECRET)
    with pytest.raises(WebhookSignatureError) as info:
        verify_frappe_signature(body, sign_frappe(body, "other"), WEBHOOK_SECRET)
    assert WEBHOOK_SECRET not in str(info.value)
    assert expected not in str(info.value)


@settings(max_examples=100, deadline=None)
@given(
    body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=20), flip=st.integers(0, 31)
)
def test_every_honest_signature_verifies_and_any_flip_fails(
    body: bytes, secret: str, flip: int
) -> None:
    header = sign_frappe(body, secret)
    # reference: the scheme spelled out independently
    reference = base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest())
    assert header.encode() == reference
    verify_frappe_signature(body, header, secret)
    mac = bytearray(base64.b64decode(header))
    mac[flip] ^= 0x80
    with pytest.raises(WebhookSignatureError):
        verify_frappe_signature(body, base64.b64encode(bytes(mac)).decode(), secret)


def test_replays_and_stale_versions_are_refused() -> None:
    guard = ReplayGuard()
    body = recorded("erpnext", "webhook-bin.body")
    delivery = erpnext.parse_delivery(body)
    assert delivery.modified == "2026-11-20 14:05:31.412095"
    first = guard.check(body_digest(body), delivery.doctype, delivery.name, delivery.modified)
    assert (first.accept, first.reason) == (True, "new")
    again = guard.check(body_digest(body), delivery.doctype, delivery.name, delivery.modified)
    assert (again.accept, again.reason) == (False, "duplicate")
    older = body.replace(b"14:05:31.412095", b"14:05:30.5")
    old = erpnext.parse_delivery(older)
    assert old.modified == "2026-11-20 14:05:30.500000"
    stale = guard.check(body_digest(older), old.doctype, old.name, old.modified)
    assert (stale.accept, stale.reason) == (False, "stale")
    newer = body.replace(b"14:05:31.412095", b"14:06:00")
    new = erpnext.parse_delivery(newer)
    assert guard.check(body_digest(newer), new.doctype, new.name, new.modified).accept


def test_replay_memory_is_bounded() -> None:
    guard = ReplayGuard(capacity=3)
    for i in range(5):
        assert guard.check(f"d{i}", "Bin", f"n{i}", "2026-11-20 10:00:00.000000").accept
    assert len(guard._bodies) == 3
