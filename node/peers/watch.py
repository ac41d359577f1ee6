"""After each peer round: network faults per peer, and partner facts for governance.

:class:`PeerWatch` runs at the end of every round of the peer loop (inside its
round lock, see :class:`WatchedPeerWorker`). For each peer it probes the signed
checkpoint (timed), reads and verifies the partner's disclosed facts
(:mod:`node.peers.partner_facts`), classifies the worst fault
(:mod:`node.peers.faults`) and stores it. For partner peers it hands what it
verified to the governance service, so no one has to call it by hand:

* a checkpoint verified this round → ``record_checkpoint`` with the number of
  witness cosignatures on the checkpoint this node holds;
* facts verified → ``record_feed`` (the newest as-of: feed freshness) and the
  safety-stock bands in the partner's facts;
* a checkpoint or facts that do not verify → ``record_verification_failure``;
  failed items are kept in the facts' ``failed_proofs``;
* split-view evidence for its log → the facts' ``split_views``.

Facts are stored without a sweep: the governance SLA loop (or a test, with a
controlled clock) opens and clears the cases. A peer that stays down stops
moving its feed's freshness, so the stale-feed rule opens a case once the
partner's freshness expectation has passed; its checkpoint age grows likewise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from governance import PeerFacts
from ledger import ALG_COSIGNATURE_V1, LedgerError, NoteVerifier, open_note
from ledger.storage import LedgerStore
from node.api.node_log import NodeLog
from node.auth.roles import Role
from node.governance import GovernanceService
from node.outbox import Deliverer, PeerWorker, RoundReport
from node.peers.faults import (
    DEFAULT_SLOW_MS,
    FaultKind,
    FaultState,
    Probe,
    classify,
    probe_checkpoint,
    store_fault,
)
from node.peers.partner_facts import FactsRead, FactsUnreadable, read_partner_facts
from node.peers.registry import Peer, PeerRegistry
from node.witness import client_for, evidence_for, get_view
from node.witness._tables import peer_witness_keys

__all__ = ["PeerWatch", "WatchedPeerWorker", "count_witnesses"]

_log = logging.getLogger("scnode.peers")

OwnWitness = Callable[[], NoteVerifier | None]


def count_witnesses(engine: Engine, note: str, own: NoteVerifier | None = None) -> int:
    """Valid cosignatures on ``note`` by witness keys this node knows (and its own)."""
    with engine.connect() as conn:
        keys = [
            NoteVerifier.from_vkey(v)
            for (v,) in conn.execute(select(peer_witness_keys.c.witness_vkey))
        ]
    if own is not None:
        keys.append(own)
    try:
        _, verified = open_note(note, keys)
    except LedgerError:
        return 0
    return sum(1 for v in verified if v.verifier.alg == ALG_COSIGNATURE_V1)


class PeerWatch:
    """Faults and governance input after each round (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        node_log: NodeLog,
        *,
        governance: GovernanceService | None = None,
        slow_ms: int = DEFAULT_SLOW_MS,
        own_witness: OwnWitness = lambda: None,
    ) -> None:
        self.engine = engine
        self.node_log = node_log
        self.governance = governance
        self.slow_ms = slow_ms
        self.own_witness = own_witness
        #: Items verified (or failed) per peer: ``(index, subject)``, read only once.
        self._seen: dict[str, set[tuple[int, str]]] = {}
        self._failed: dict[str, set[str]] = {}

    def check(self, peers: list[Peer], now_ms: int) -> dict[str, FaultState]:
        """Probe, classify and store every peer's fault; feed governance. A failure
        with one peer never stops the others."""
        out: dict[str, FaultState] = {}
        signer = self.node_log.keys().active
        for peer in peers:
            try:
                with client_for(peer, signer) as client:
                    out[peer.id] = self._check_one(peer, client, now_ms)
            except Exception:  # noqa: BLE001  one peer's failure must not stop the round
                _log.exception("watching peer %s failed", peer.id)
        return out

    def _check_one(self, peer: Peer, client: Any, now_ms: int) -> FaultState:
        origin = peer.key.name
        probe = probe_checkpoint(client, peer)
        with self.engine.connect() as conn:
            evidence = evidence_for(conn, origin)
            view = get_view(conn, origin)
        gov = self.governance if peer.role is Role.PARTNER else None
        read: FactsRead | None = None
        bad: str | None = None
        if gov is not None and probe.checkpoint is not None and view is not None and not evidence:
            try:
                read = read_partner_facts(
                    client,
                    origin,
                    size=view.size,
                    root=view.root,
                    since_ms=gov.last_as_of(origin),
                    seen=self._seen.setdefault(peer.id, set()),
                )
            except FactsUnreadable as exc:
                bad = str(exc)
            else:
                if read.failed:
                    ref, reason = sorted(read.failed.items())[0]
                    bad = f"facts {ref} do not verify: {reason}"
        found = classify(probe, slow_ms=self.slow_ms, split_views=len(evidence), bad_facts=bad)
        state = store_fault(self.engine, peer.id, found, now_ms=now_ms, probe=probe)
        if gov is not None:
            self._govern(
                gov,
                peer=peer,
                origin=origin,
                probe=probe,
                evidence=[str(e.id) for e in evidence],
                read=read,
                found=found,
            )
        return state

    def _govern(
        self,
        gov: GovernanceService,
        *,
        peer: Peer,
        origin: str,
        probe: Probe,
        evidence: list[str],
        read: FactsRead | None,
        found: tuple[FaultKind, str] | None,
    ) -> None:
        kind = None if found is None else found[0]
        if probe.checkpoint is not None and kind in (None, FaultKind.SLOW):
            with self.engine.connect() as conn:
                view = get_view(conn, origin)
            if view is not None:
                witnesses = count_witnesses(self.engine, view.note, self.own_witness())
                gov.record_checkpoint(origin, witnesses=witnesses)
        failed = self._failed.setdefault(peer.id, set())
        new_failures = [] if read is None else [r for r in read.failed if r not in failed]
        if kind is FaultKind.GARBAGE and not new_failures and (read is None or not read.failed):
            gov.record_verification_failure(origin)  # the checkpoint or the answer itself
        for _ref in new_failures:
            gov.record_verification_failure(origin)
        failed.update(new_failures)
        if read is not None and read.newest_as_of is not None:
            gov.record_feed(origin, as_of=read.newest_as_of)
        stored = gov.stored_facts(origin)
        safety = dict(stored.safety_stock) if stored is not None else {}
        if read is not None:
            safety.update(read.safety_stock)
        failed_proofs = set(stored.failed_proofs) if stored is not None else set()
        failed_proofs.update(failed)
        facts = PeerFacts(
            partner=origin,
            safety_stock=safety,
            failed_proofs=tuple(sorted(failed_proofs)),
            split_views=tuple(sorted(set(evidence) | set(stored.split_views if stored else ()))),
        )
        if stored is None and not (safety or failed_proofs or evidence):
            return
        if stored is None or _facts_key(stored) != _facts_key(facts):
            gov.record_facts(facts, sweep=False)


def _facts_key(f: PeerFacts) -> tuple[Any, ...]:
    return (sorted(f.safety_stock.items()), sorted(f.failed_proofs), sorted(f.split_views))


class WatchedPeerWorker(PeerWorker):
    """The node's peer loop, with :class:`PeerWatch` at the end of every round."""

    def __init__(
        self,
        engine: Engine,
        node_log: NodeLog,
        deliverer: Deliverer,
        *,
        watch: PeerWatch,
        clock: Callable[[], float] = time.time,
        interval_s: float = 5.0,
    ) -> None:
        super().__init__(engine, node_log, deliverer, clock=clock, interval_s=interval_s)
        self.watch = watch
        self.faults: dict[str, FaultState] = {}

    def _round(self, report: RoundReport, store: LedgerStore, *, witness: bool, sync: bool) -> None:
        super()._round(report, store, witness=witness, sync=sync)
        if not sync:
            return
        with self.engine.connect() as conn:
            peers = PeerRegistry(conn).list()
        self.faults = self.watch.check(peers, self.now_ms())
