"""Fault classification and the checkpoint probe, without servers (httpx mock transport)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from node.auth.roles import Role
from node.peers.faults import SEVERITY, FaultKind, Probe, classify, probe_checkpoint
from node.peers.registry import Peer
from tests.node.helpers import vkey_of

PEER = Peer(
    id="0123456789abcdef",
    url="http://peer.test",
    vkey=vkey_of("peer.test/log", Ed25519PrivateKey.generate()),
    keyid="peer.test/log+00000000",
    role=Role.PARTNER,
    status="active",
    added_at=datetime(2027, 1, 1, tzinfo=UTC),
    removed_at=None,
)


def _probe(handler: httpx.MockTransport) -> Probe:
    with httpx.Client(base_url=PEER.url, transport=handler) as client:
        return probe_checkpoint(client, PEER)


def _answer(status: int, body: bytes, media: str = "text/plain") -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers={"content-type": media})
    )


def _raise(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("transport", "failure", "detail"),
    [
        (_answer(200, b"peer.test/log\n5\nnot-a-root\n\n"), FaultKind.GARBAGE, "does not verify"),
        (_answer(200, b"\xff\xfe\x00"), FaultKind.GARBAGE, "not UTF-8"),
        (_answer(500, b"oops"), FaultKind.GARBAGE, "HTTP 500"),
        (_answer(404, b"<html/>", "text/html"), FaultKind.GARBAGE, "HTTP 404"),
        (_raise(httpx.ConnectError("refused")), FaultKind.DOWN, "ConnectError"),
        (_raise(httpx.ReadTimeout("late")), FaultKind.DOWN, "ReadTimeout"),
        (_raise(httpx.RemoteProtocolError("bad")), FaultKind.GARBAGE, "RemoteProtocolError"),
    ],
)
def test_probe_failures(transport: httpx.MockTransport, failure: FaultKind, detail: str) -> None:
    probe = _probe(transport)
    assert probe.failure is failure
    assert detail in probe.detail
    assert probe.checkpoint is None
    assert probe.answered is (failure is not FaultKind.DOWN)
    assert (probe.latency_ms is None) is (failure is FaultKind.DOWN)


@pytest.mark.parametrize("status", [404, 503])
def test_a_log_with_nothing_signed_yet_is_no_fault(status: int) -> None:
    probe = _probe(_answer(status, b'{"status": 404}', "application/problem+json"))
    assert probe.failure is None
    assert probe.checkpoint is None
    assert classify(probe, slow_ms=1000) is None


def test_slow_is_strictly_above_the_threshold() -> None:
    assert classify(Probe(1000), slow_ms=1000) is None
    found = classify(Probe(1001), slow_ms=1000)
    assert found is not None
    assert found[0] is FaultKind.SLOW


conditions = st.fixed_dictionaries(
    {
        "latency": st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
        "failure": st.sampled_from([None, FaultKind.DOWN, FaultKind.GARBAGE]),
        "split_views": st.integers(min_value=0, max_value=3),
        "bad_facts": st.one_of(st.none(), st.just("proof does not verify")),
    }
)


@given(conditions, st.integers(min_value=1, max_value=5_000))
def test_the_worst_fault_wins(c: dict[str, object], slow_ms: int) -> None:
    latency = c["latency"]
    failure = c["failure"]
    assert latency is None or isinstance(latency, int)
    assert failure is None or isinstance(failure, FaultKind)
    probe = Probe(None if failure is FaultKind.DOWN else latency, failure=failure, detail="x")
    split_views, bad = c["split_views"], c["bad_facts"]
    assert isinstance(split_views, int)
    assert bad is None or isinstance(bad, str)
    present = set()
    if split_views:
        present.add(FaultKind.FORKED)
    if failure is not None:
        present.add(failure)
    if bad is not None:
        present.add(FaultKind.GARBAGE)
    if probe.latency_ms is not None and probe.latency_ms > slow_ms:
        present.add(FaultKind.SLOW)
    found = classify(probe, slow_ms=slow_ms, split_views=split_views, bad_facts=bad)
    if not present:
        assert found is None
    else:
        assert found is not None
        assert found[0] is next(k for k in SEVERITY if k in present)
