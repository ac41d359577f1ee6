"""Network faults of peers: what the peer loop found when it last asked each one.

Every round the loop probes each peer (its signed checkpoint, timed) and
classifies what it saw, worst first:

* ``forked``: this node holds split-view evidence for the peer's log (two signed
  checkpoints that cannot both be honest; :mod:`node.witness`);
* ``down``: no connection, or no answer within the client's timeout;
* ``garbage``: an answer that is not a checkpoint of the peer's log signed with
  its key (wrong status, unparseable, bad signature), or facts whose proofs do
  not verify;
* ``slow``: a good answer, later than the slow threshold (a setting);

or no fault. A fault keeps its ``since_ms`` while its kind stays the same; a
peer that answers well again loses it. One row per peer in ``peer_faults``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import httpx
from sqlalchemy import Connection, Engine, insert, select, update

from ledger import Checkpoint, LedgerError, NoteVerifier, verify_checkpoint
from node.api.transactions import write_transaction
from node.peers.registry import Peer
from node.peers.tables import peer_faults

__all__ = [
    "DEFAULT_SLOW_MS",
    "NO_CHECKPOINT_YET",
    "SEVERITY",
    "Fault",
    "FaultKind",
    "FaultState",
    "Probe",
    "classify",
    "load_fault_states",
    "probe_checkpoint",
    "store_fault",
]

#: A peer answering later than this (milliseconds) is ``slow``.
DEFAULT_SLOW_MS: Final = 2000
#: Longest detail text kept (a peer's error text is not ours to store whole).
_DETAIL_MAX: Final = 300


class FaultKind(StrEnum):
    SLOW = "slow"
    DOWN = "down"
    GARBAGE = "garbage"
    FORKED = "forked"


#: Worst first: a peer with several faults shows the worst.
SEVERITY: Final = (FaultKind.FORKED, FaultKind.DOWN, FaultKind.GARBAGE, FaultKind.SLOW)


@dataclass(frozen=True)
class Fault:
    """A peer's current fault: its kind, since when (UTC ms), and what was seen."""

    kind: FaultKind
    since_ms: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "since_ms": self.since_ms, "detail": self.detail}


@dataclass(frozen=True)
class FaultState:
    """A peer's row: the fault (None: healthy), the last check, its latency, and
    the last time the peer answered at all."""

    peer_id: str
    fault: Fault | None
    checked_ms: int
    latency_ms: int | None
    reachable_ms: int | None


@dataclass(frozen=True)
class Probe:
    """One timed request for a peer's checkpoint: the checkpoint if it verified,
    else the fault it shows (``down`` or ``garbage``) and why."""

    latency_ms: int | None
    checkpoint: Checkpoint | None = None
    note: str | None = None
    failure: FaultKind | None = None
    detail: str = ""

    @property
    def answered(self) -> bool:
        return self.failure is not FaultKind.DOWN


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"


#: Statuses of a node with no signed checkpoint yet (404) or no ledger yet (503),
#: answered as RFC 9457 problems: the peer is up, there is nothing to verify.
NO_CHECKPOINT_YET: Final = (404, 503)


def _is_problem(response: httpx.Response) -> bool:
    media: str = response.headers.get("content-type", "")
    return media.startswith("application/problem+json")


def probe_checkpoint(
    client: httpx.Client, peer: Peer, *, clock: Callable[[], float] = time.perf_counter
) -> Probe:
    """GET the peer's ``/v1/ledger/checkpoint`` and verify it with the peer's key."""
    started = clock()
    try:
        response = client.get("/v1/ledger/checkpoint")
    except (httpx.TimeoutException, httpx.NetworkError) as exc:
        return Probe(None, failure=FaultKind.DOWN, detail=f"{exc.__class__.__name__}")
    except httpx.HTTPError as exc:
        latency = int((clock() - started) * 1000)
        return Probe(latency, failure=FaultKind.GARBAGE, detail=exc.__class__.__name__)
    latency = int((clock() - started) * 1000)
    if response.status_code in NO_CHECKPOINT_YET and _is_problem(response):
        return Probe(latency)  # answered: a log with nothing signed yet (or not set up)
    return _judge_checkpoint(response, peer, latency)


def _judge_checkpoint(response: httpx.Response, peer: Peer, latency: int) -> Probe:
    if response.status_code != 200:
        return Probe(
            latency, failure=FaultKind.GARBAGE, detail=f"checkpoint: HTTP {response.status_code}"
        )
    try:
        note = response.content.decode("utf-8")
        key = NoteVerifier.from_vkey(peer.vkey)
        checkpoint = verify_checkpoint(note, [key], origin=key.name).checkpoint
    except UnicodeDecodeError:
        return Probe(latency, failure=FaultKind.GARBAGE, detail="checkpoint: not UTF-8 text")
    except LedgerError as exc:
        return Probe(
            latency, failure=FaultKind.GARBAGE, detail=_short(f"checkpoint does not verify: {exc}")
        )
    return Probe(latency, checkpoint=checkpoint, note=note)


def classify(
    probe: Probe,
    *,
    slow_ms: int,
    split_views: int = 0,
    bad_facts: str | None = None,
) -> tuple[FaultKind, str] | None:
    """The worst fault shown by one round's probe, the split-view evidence held
    for the peer's log (``split_views`` records) and its facts (``bad_facts``:
    why they failed verification); None when the peer answered well."""
    if split_views:
        return FaultKind.FORKED, f"{split_views} split-view evidence record(s) for its log"
    if probe.failure is not None:
        return probe.failure, probe.detail
    if bad_facts is not None:
        return FaultKind.GARBAGE, _short(bad_facts)
    if probe.latency_ms is not None and probe.latency_ms > slow_ms:
        return FaultKind.SLOW, f"answered in {probe.latency_ms} ms (slow above {slow_ms} ms)"
    return None


def _state(row: Any) -> FaultState:
    fault = None
    if row.kind is not None:
        fault = Fault(FaultKind(row.kind), int(row.since_ms), str(row.detail or ""))
    return FaultState(
        peer_id=str(row.peer_id),
        fault=fault,
        checked_ms=int(row.checked_ms),
        latency_ms=None if row.latency_ms is None else int(row.latency_ms),
        reachable_ms=None if row.reachable_ms is None else int(row.reachable_ms),
    )


def load_fault_states(conn: Connection, peer_ids: list[str] | None = None) -> dict[str, FaultState]:
    """The stored state of the given peers (default: all), by peer id."""
    query = select(peer_faults)
    if peer_ids is not None:
        query = query.where(peer_faults.c.peer_id.in_(peer_ids))
    return {str(r.peer_id): _state(r) for r in conn.execute(query)}


def store_fault(
    engine: Engine,
    peer_id: str,
    found: tuple[FaultKind, str] | None,
    *,
    now_ms: int,
    probe: Probe,
) -> FaultState:
    """Write this round's finding for ``peer_id``; a fault of the kind already held
    keeps its ``since_ms``. Returns the new state."""
    with write_transaction(engine) as conn:
        before = load_fault_states(conn, [peer_id]).get(peer_id)
        fault = None
        if found is not None:
            kind, detail = found
            held = None if before is None else before.fault
            since = held.since_ms if held is not None and held.kind is kind else now_ms
            fault = Fault(kind, since, _short(detail))
        reachable = now_ms if probe.answered else (None if before is None else before.reachable_ms)
        state = FaultState(peer_id, fault, now_ms, probe.latency_ms, reachable)
        values = {
            "kind": None if fault is None else fault.kind.value,
            "since_ms": None if fault is None else fault.since_ms,
            "detail": None if fault is None else fault.detail,
            "checked_ms": now_ms,
            "latency_ms": probe.latency_ms,
            "reachable_ms": reachable,
        }
        if before is None:
            conn.execute(insert(peer_faults).values(peer_id=peer_id, **values))
        else:
            conn.execute(update(peer_faults).where(peer_faults.c.peer_id == peer_id).values(values))
    return state
