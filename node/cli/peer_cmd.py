"""``scnode peer add|list|remove``: the nodes this node talks to."""

from __future__ import annotations

import json

import click

from node.auth.roles import PEER_ROLES, Role
from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._service import cli_settings, migrated_engine
from node.peers.registry import Peer, PeerConflictError, PeerError, PeerNotFoundError, PeerRegistry

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
    with migrated_engine(cli_settings(cli)) as engine, engine.begin() as conn:
        try:
            added = PeerRegistry(conn).add(url=url, vkey=vkey, role=Role(role))
        except (PeerError, PeerConflictError) as exc:
            raise CliError(str(exc)) from None
    click.echo(json.dumps(_as_json(added)) if as_json else f"peer {added.id} added ({added.keyid})")


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
    with migrated_engine(cli_settings(cli)) as engine, engine.begin() as conn:
        try:
            removed = PeerRegistry(conn).remove(peer_id)
        except PeerNotFoundError:
            raise CliError(f"no active peer with id {peer_id!r}") from None
    click.echo(f"peer {removed.id} removed")
