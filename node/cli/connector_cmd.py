"""``scnode connector``: pull stock, purchase orders or receipts from an ERP.

* ``scnode connector odoo URL --api-key-env VAR [--database DB] --what stock``
* ``scnode connector erpnext URL --api-key-env VAR --api-secret-env VAR
  [--timezone TZ] --what stock``

Credentials are read from the environment variables named (never from the
command line, where other users could read them). ``--what stock`` writes the
canonical-positions JSON that ``scnode publish FILE`` publishes; ``orders`` and
``receipts`` write the documents in the governance shape. ``--out FILE`` writes
to a file, else to standard output.

``--what receipts --send`` also turns each receipt for a purchase order this node
issued over the network into a signed goods-receipt document for the supplier's
node (matched to the despatch advice it answers) and delivers it; receipts made
into documents before are reported, not sent again. Receipts that match no order
or despatch on this node are listed with the reason and make the exit status 1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from node.cli._app import CliContext, CliError, main, pass_cli
from node.connectors import (
    ConnectorError,
    ImportedDocument,
    erpnext,
    odoo,
    positions_body,
    send_receipt,
)
from node.documents import DocumentError
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


def _send_receipts(cli: CliContext, documents: list[ImportedDocument]) -> list[dict[str, Any]]:
    """Each ERP receipt as a signed goods receipt to the supplier's node."""
    import random
    import time

    from node.cli.documents_cmd import document_service
    from node.documents import deliver_pending

    out: list[dict[str, Any]] = []
    with document_service(cli) as service:
        for doc in documents:
            row: dict[str, Any] = {"receipt": doc.number, "source": doc.source}
            try:
                sent = send_receipt(service, doc, int(time.time() * 1000))
            except (ConnectorError, DocumentError) as exc:
                out.append({**row, "error": str(exc)})
                continue
            out.append({**row, "hash": sent.stored.hash, "created": sent.created})
        now = int(time.time() * 1000)
        deliver_pending(service.engine, service.signer(), now, rng=random.SystemRandom())
        for row in out:
            if "hash" in row:
                stored = service.get(row["hash"])
                row["counterparty"] = stored.counterparty
                row["delivered_ms"] = stored.delivered_ms
                row["findings"] = list(stored.findings)
    return out


def _finish(cli: CliContext, what: str, found: Any, out: Path | None) -> None:
    if what != "receipts":
        raise CliError("--send goes with --what receipts")
    imported: list[ImportedDocument] = found
    results = _send_receipts(cli, imported)
    _emit(out, results)
    failed = [r for r in results if "error" in r]
    if failed:
        raise CliError(
            f"{len(failed)} of {len(results)} receipts not sent: "
            + "; ".join(f"{r['receipt']}: {r['error']}" for r in failed)
        )


def _fetched(what: str, run: Callable[[], Any]) -> Any:
    """The raw fetch result (documents as ImportedDocument) for --send."""
    try:
        return run()
    except ConnectorError as exc:
        raise CliError(str(exc)) from None


SEND_HELP = "With --what receipts: send each as a signed goods receipt to the supplier's node."


@connector_group.command("odoo")
@click.argument("url")
@click.option("--api-key-env", required=True, help="Variable holding the Odoo API key.")
@click.option("--database", help="Odoo database (X-Odoo-Database header).")
@click.option("--what", type=WHAT, default="stock", show_default=True)
@click.option("--send", is_flag=True, help=SEND_HELP)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def odoo_cmd(  # noqa: PLR0917  click passes options as arguments
    cli: CliContext,
    url: str,
    api_key_env: str,
    database: str | None,
    what: str,
    send: bool,
    out: Path | None,
) -> None:
    """Read stock quants, purchase orders or receipts from Odoo."""
    client = odoo.OdooClient(url, _secret(api_key_env), database=database)
    fetch: dict[str, Callable[[odoo.OdooClient], Any]] = {
        "stock": odoo.fetch_stock,
        "orders": odoo.fetch_purchase_orders,
        "receipts": odoo.fetch_receipts,
    }
    with client:
        if send:
            _finish(cli, what, _fetched(what, lambda: fetch[what](client)), out)
            return
        _emit(out, _result(what, lambda: fetch[what](client)))


@connector_group.command("erpnext")
@click.argument("url")
@click.option("--api-key-env", required=True, help="Variable holding the API key.")
@click.option("--api-secret-env", required=True, help="Variable holding the API secret.")
@click.option("--timezone", default="Z", show_default=True, help="The site's time zone.")
@click.option("--what", type=WHAT, default="stock", show_default=True)
@click.option("--send", is_flag=True, help=SEND_HELP)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def erpnext_cmd(  # noqa: PLR0917  click passes options as arguments
    cli: CliContext,
    url: str,
    api_key_env: str,
    api_secret_env: str,
    timezone: str,
    what: str,
    send: bool,
    out: Path | None,
) -> None:
    """Read bins, purchase orders or purchase receipts from ERPNext."""
    client = erpnext.ErpNextClient(url, _secret(api_key_env), _secret(api_secret_env))
    fetch: dict[str, Callable[..., Any]] = {
        "stock": erpnext.fetch_stock,
        "orders": erpnext.fetch_purchase_orders,
        "receipts": erpnext.fetch_receipts,
    }
    with client:
        if send:
            found = _fetched(what, lambda: fetch[what](client, timezone=timezone))
            _finish(cli, what, found, out)
            return
        _emit(out, _result(what, lambda: fetch[what](client, timezone=timezone)))
