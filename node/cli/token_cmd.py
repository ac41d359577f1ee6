"""``scnode token create|list|revoke``: API tokens for people and systems."""

from __future__ import annotations

import json

import click

from node.api.transactions import write_transaction
from node.auth.roles import Role
from node.auth.tokens import TokenInfo, create_token, list_tokens, revoke_token
from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._service import cli_settings, migrated_engine

__all__ = ["token"]


def _as_json(info: TokenInfo) -> dict[str, str | None]:
    return {
        "id": info.id,
        "name": info.name,
        "role": info.role.value,
        "created_at": info.created_at.isoformat(),
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
    }


@main.group()
def token() -> None:
    """API tokens (stored hashed; a token is shown once, when created)."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default=None, help="What the token is for (default: the role)")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def token_create(cli: CliContext, role: str, name: str | None, as_json: bool) -> None:
    """Create a token and print it (once; it cannot be shown again)."""
    label = name or role
    if not 1 <= len(label) <= 200:
        raise CliError("--name must be 1-200 characters")
    with migrated_engine(cli_settings(cli)) as engine, write_transaction(engine) as conn:
        issued = create_token(conn, role=Role(role), name=label)
    if as_json:
        click.echo(json.dumps({**_as_json(issued.info), "token": issued.token}))
        return
    click.echo(issued.token)
    click.echo(
        f"token {issued.info.id} ({issued.info.role.value}, {issued.info.name!r}) created;"
        " it is shown only this once",
        err=True,
    )


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def token_list(cli: CliContext, as_json: bool) -> None:
    """List tokens (never their secrets)."""
    with migrated_engine(cli_settings(cli)) as engine, engine.connect() as conn:
        infos = list_tokens(conn)
    if as_json:
        click.echo(json.dumps([_as_json(i) for i in infos]))
        return
    for i in infos:
        state = f"revoked {i.revoked_at:%Y-%m-%d %H:%M}" if i.revoked_at else "active"
        click.echo(f"{i.id}  {i.role.value:<8}  {state:<24}  {i.name}")


@token.command("revoke")
@click.argument("token_id")
@pass_cli
def token_revoke(cli: CliContext, token_id: str) -> None:
    """Revoke a token by id; it stops working at once."""
    with migrated_engine(cli_settings(cli)) as engine, write_transaction(engine) as conn:
        try:
            info = revoke_token(conn, token_id)
        except KeyError:
            raise CliError(f"no token with id {token_id!r}") from None
    click.echo(f"token {info.id} revoked")
