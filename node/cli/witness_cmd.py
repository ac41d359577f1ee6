"""``scnode peer sync``, ``scnode outbox status`` and ``scnode witness key``.

``peer sync`` runs one round of the node's peer loop from the command line (the
service runs it in the background): queue what the ledger published for each
peer, deliver the outbox, have peers witness the latest checkpoint, pull and
verify peers' checkpoints, compare notes with the other witnesses.
"""

from __future__ import annotations

import json
import random
import time

import click
from sqlalchemy import select

from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._service import cli_settings, migrated_engine
from node.cli.peer_cmd import peer

__all__ = ["outbox_group", "witness_group"]


@peer.command("sync")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def peer_sync(cli: CliContext, as_json: bool) -> None:
    """One round with every peer: deliver, get witnessed, verify, compare notes."""
    from node.api.node_log import NodeLog
    from node.api.problems import ProblemError
    from node.governance import GovernanceService
    from node.outbox import Deliverer
    from node.peers.watch import PeerWatch, WatchedPeerWorker

    settings = cli_settings(cli)
    with migrated_engine(settings) as engine:
        node_log = NodeLog(settings, engine)
        deliverer = Deliverer(engine, lambda: node_log.keys().active, rng=random.SystemRandom())
        # The same round as the service's: faults recorded, partners' facts fed to governance.
        watch = PeerWatch(engine, node_log, governance=GovernanceService(engine, node_log))
        worker = WatchedPeerWorker(
            engine, node_log, deliverer, watch=watch, clock=time.time, interval_s=0
        )
        try:
            node_log.store()
            report = worker.run_once()
        except ProblemError as exc:
            raise CliError(exc.detail) from None
    if report.skipped:
        raise CliError("another peer round of this node is running (the service's); try again")
    delivery = report.delivery
    evidence = sorted({r.origin for r in [*report.synced.values(), *report.gossip] if r.evidence})
    failures = {**(delivery.failed if delivery else {}), **report.errors}
    summary = {
        "queued": report.queued,
        "delivered": 0 if delivery is None else delivery.delivered,
        "duplicates": 0 if delivery is None else delivery.duplicates,
        "delivery_failed": {} if delivery is None else delivery.failed,
        "cosigned": report.cosigned,
        "verified": {k: v.size for k, v in report.synced.items()},
        "evidence": evidence,
        "errors": report.errors,
    }
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
        return
    click.echo(
        f"queued {summary['queued']}, delivered {summary['delivered']}"
        f" ({summary['duplicates']} already received)"
    )
    for peer_id, size in sorted(report.cosigned.items()):
        click.echo(f"{peer_id}: witnessed size {size}")
    for peer_id, result in sorted(report.synced.items()):
        click.echo(f"{peer_id}: verified {result.origin} at size {result.size}")
    for origin in evidence:
        click.echo(f"SPLIT VIEW: {origin} showed inconsistent checkpoints (evidence kept)")
    for peer_id, error in sorted(failures.items()):
        click.echo(f"{peer_id}: {error}", err=True)


@main.group("outbox")
def outbox_group() -> None:
    """Messages queued for peers."""


@outbox_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def outbox_status(cli: CliContext, as_json: bool) -> None:
    """Per peer: messages waiting, delivered, next attempt and last error."""
    from node.outbox._tables import outbox

    with migrated_engine(cli_settings(cli)) as engine, engine.connect() as conn:
        rows = conn.execute(
            select(
                outbox.c.peer_id,
                outbox.c.delivered_ms,
                outbox.c.next_attempt_ms,
                outbox.c.last_error,
                outbox.c.attempts,
            ).order_by(outbox.c.peer_id, outbox.c.seq)
        ).all()
    peers: dict[str, dict[str, object]] = {}
    for peer_id, delivered_ms, next_ms, error, attempts in rows:
        state = peers.setdefault(
            peer_id,
            {"pending": 0, "delivered": 0, "next_attempt_ms": None, "last_error": None},
        )
        if delivered_ms is not None:
            state["delivered"] = int(str(state["delivered"])) + 1
            continue
        if state["pending"] == 0:
            state.update(next_attempt_ms=int(next_ms), last_error=error, attempts=int(attempts))
        state["pending"] = int(str(state["pending"])) + 1
    if as_json:
        click.echo(json.dumps(peers, sort_keys=True))
        return
    if not peers:
        click.echo("the outbox is empty")
    for peer_id, state in sorted(peers.items()):
        line = f"{peer_id}  pending {state['pending']}  delivered {state['delivered']}"
        if state["last_error"]:
            line += f"  retry at {state['next_attempt_ms']} ms ({state['last_error']})"
        click.echo(line)


@main.group("witness")
def witness_group() -> None:
    """This node as a witness of its peers' logs."""


@witness_group.command("key")
@pass_cli
def witness_key(cli: CliContext) -> None:
    """Print the witness (cosigner) vkey, creating the key on first use."""
    from node.keys import KeyFileError, load_keys
    from node.witness import WitnessKeyError, load_or_create_witness_key

    settings = cli_settings(cli)
    try:
        name = settings.node_name or load_keys(settings.home).active.name
        signer = load_or_create_witness_key(settings.home, name)
    except (KeyFileError, WitnessKeyError) as exc:
        raise CliError(str(exc)) from None
    click.echo(signer.vkey)
