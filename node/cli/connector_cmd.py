"""``scnode connector``: pull stock, purchase orders or receipts from an ERP.

* ``scnode connector odoo URL --api-key-env VAR [--database DB] --what stock``
* ``scnode connector erpnext URL --api-key-env VAR --api-secret-env VAR
  [--timezone TZ] --what stock``

Credentials are read from the environment variables named (never from the
command line, where other users could read them). ``--what stock`` writes the
canonical-positions JSON that ``scnode publish FILE`` publishes; ``orders`` and
``receipts`` write the documents in the governance shape. ``--out FILE`` writes
to a file, else to standard output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from node.cli._app import CliError, main
from node.connectors import ConnectorError, ImportedDocument, erpnext, odoo, positions_body
from semantic_mapping import CanonicalRecord

__all__ = ["connector_group"]

WHAT = click.Choice(["stock", "orders", "receipts"])


@main.group("connector")
def connector_group() -> None:
    """Pull records from Odoo (JSON-2 API) or ERPNext (REST)."""


def _secret(variable: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise CliError(f"environment variable {variable} is not set")
    return value


def _emit(out: Path | None, value: Any) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}", err=True)


def _result(what: str, run: Callable[[], Any]) -> Any:
    try:
        found = run()
    except ConnectorError as exc:
        raise CliError(str(exc)) from None
    if what == "stock":
        records: list[CanonicalRecord] = found
        return positions_body(records)
    documents: list[ImportedDocument] = found
    return [{"type": d.document_type, **dict(d.body)} for d in documents]


@connector_group.command("odoo")
@click.argument("url")
@click.option("--api-key-env", required=True, help="Variable holding the Odoo API key.")
@click.option("--database", help="Odoo database (X-Odoo-Database header).")
@click.option("--what", type=WHAT, default="stock", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def odoo_cmd(url: str, api_key_env: str, database: str | None, what: str, out: Path | None) -> None:
    """Read stock quants, purchase orders or receipts from Odoo."""
    client = odoo.OdooClient(url, _secret(api_key_env), database=database)
    fetch: dict[str, Callable[[odoo.OdooClient], Any]] = {
        "stock": odoo.fetch_stock,
        "orders": odoo.fetch_purchase_orders,
        "receipts": odoo.fetch_receipts,
    }
    with client:
        _emit(out, _result(what, lambda: fetch[what](client)))


@connector_group.command("erpnext")
@click.argument("url")
@click.option("--api-key-env", required=True, help="Variable holding the API key.")
@click.option("--api-secret-env", required=True, help="Variable holding the API secret.")
@click.option("--timezone", default="Z", show_default=True, help="The site's time zone.")
@click.option("--what", type=WHAT, default="stock", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def erpnext_cmd(  # noqa: PLR0917  click passes options as arguments
    url: str, api_key_env: str, api_secret_env: str, timezone: str, what: str, out: Path | None
) -> None:
    """Read bins, purchase orders or purchase receipts from ERPNext."""
    client = erpnext.ErpNextClient(url, _secret(api_key_env), _secret(api_secret_env))
    fetch: dict[str, Callable[..., Any]] = {
        "stock": erpnext.fetch_stock,
        "orders": erpnext.fetch_purchase_orders,
        "receipts": erpnext.fetch_receipts,
    }
    with client:
        _emit(out, _result(what, lambda: fetch[what](client, timezone=timezone)))
