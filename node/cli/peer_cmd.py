"""``scnode peer add|list|remove``: the nodes this node talks to."""

from __future__ import annotations

import json

import click
from sqlalchemy import Engine

from node.api.membership import PEER_ADD_KIND, PEER_REMOVE_KIND
from node.api.transactions import write_transaction
from node.auth.roles import PEER_ROLES, Role
from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._service import cli_settings, migrated_engine
from node.peers.registry import Peer, PeerConflictError, PeerError, PeerNotFoundError, PeerRegistry
from node.settings import Settings

__all__ = ["peer"]


def _as_json(p: Peer) -> dict[str, str | None]:
    return {
        "id": p.id,
        "url": p.url,
        "vkey": p.vkey,
        "keyid": p.keyid,
        "role": p.role.value,
        "status": p.status,
        "added_at": p.added_at.isoformat(),
        "removed_at": p.removed_at.isoformat() if p.removed_at else None,
    }


@main.group()
def peer() -> None:
    """Peer nodes (identified by their C2SP verifier keys)."""


@peer.command("add")
@click.argument("url")
@click.option("--vkey", required=True, help="The peer's C2SP verifier key (name+id+key)")
@click.option("--role", required=True, type=click.Choice(sorted(r.value for r in PEER_ROLES)))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def peer_add(cli: CliContext, url: str, vkey: str, role: str, as_json: bool) -> None:
    """Register the peer at URL."""
    settings = cli_settings(cli)
    with migrated_engine(settings) as engine:
        with write_transaction(engine) as conn:
            try:
                added = PeerRegistry(conn).add(url=url, vkey=vkey, role=Role(role))
            except (PeerError, PeerConflictError) as exc:
                raise CliError(str(exc)) from None
        index = _record(settings, engine, PEER_ADD_KIND, added)
    if as_json:
        click.echo(json.dumps({**_as_json(added), "ledger_index": index}))
        return
    click.echo(f"peer {added.id} added ({added.keyid}){_entry_note(index)}")


@peer.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Include removed peers")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def peer_list(cli: CliContext, include_removed: bool, as_json: bool) -> None:
    """List peers."""
    with migrated_engine(cli_settings(cli)) as engine, engine.connect() as conn:
        peers = PeerRegistry(conn).list(include_removed=include_removed)
    if as_json:
        click.echo(json.dumps([_as_json(p) for p in peers]))
        return
    for p in peers:
        click.echo(f"{p.id}  {p.role.value:<8}  {p.status:<7}  {p.url}  {p.keyid}")


@peer.command("remove")
@click.argument("peer_id")
@pass_cli
def peer_remove(cli: CliContext, peer_id: str) -> None:
    """Remove a peer; its signed requests are refused from now on."""
    settings = cli_settings(cli)
    with migrated_engine(settings) as engine:
        with write_transaction(engine) as conn:
            try:
                removed = PeerRegistry(conn).remove(peer_id)
            except PeerNotFoundError:
                raise CliError(f"no active peer with id {peer_id!r}") from None
        index = _record(settings, engine, PEER_REMOVE_KIND, removed)
    click.echo(f"peer {removed.id} removed{_entry_note(index)}")


def _record(settings: Settings, engine: Engine, kind: str, changed: Peer) -> int | None:
    from node.api.membership import record_membership
    from node.api.node_log import NodeLog
    from node.api.problems import ProblemError

    try:
        return record_membership(NodeLog(settings, engine), kind, changed)
    except ProblemError as exc:
        raise CliError(
            f"peer {changed.id} changed, but not recorded in the ledger: {exc}"
        ) from None


def _entry_note(index: int | None) -> str:
    return "" if index is None else f"; ledger entry {index}"
