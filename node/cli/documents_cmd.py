"""``scnode po create``, ``scnode doc send|import|list|show|deliver`` (also spelled
``scnode documents ...``) and
``scnode epcis export|import|hash``: business documents and EPCIS from the shell.

Documents are created, signed and recorded on this node's database and ledger
(as ``POST /v1/documents`` does) and delivered to the counterparty at once; what
cannot be delivered now stays queued (``scnode doc deliver`` or the running
service retries it).
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from governance import default_rule_set
from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._service import cli_settings, migrated_engine
from node.documents import (
    DocumentError,
    DocumentService,
    StoredDocument,
    build_evidence,
    deliver_pending,
    document_json,
    receipt_cases,
    verify_evidence,
)
from node.epcis import (
    EpcisError,
    Position,
    configured_schema,
    document_events,
    epcis_document,
    event_hash,
    import_epcis,
    inventory_event,
    parse_epcis_bytes,
)
from node.peers.registry import PeerNotFoundError, PeerRegistry

__all__ = ["doc", "document_service", "epcis", "po"]


def _now_ms() -> int:
    return int(time.time() * 1000)


@contextmanager
def document_service(cli: CliContext) -> Iterator[DocumentService]:
    """The home's documents service (governance compares receipts, as in a server)."""
    from node.api.node_log import NodeLog
    from node.api.problems import ProblemError

    settings = cli_settings(cli)
    with migrated_engine(settings) as engine:
        node_log = NodeLog(settings, engine)
        try:
            signer = node_log.keys().active
            node_log.store()
        except ProblemError as exc:
            raise CliError(exc.detail) from None
        from node.governance import GovernanceService

        governance = GovernanceService(engine, node_log)
        yield DocumentService(
            engine,
            lambda: signer,
            node_log.store,
            default_rule_set(),
            on_receipt=receipt_cases(lambda: governance),
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise CliError(f"{path} is not JSON") from None


def _summary(doc: StoredDocument) -> dict[str, Any]:
    return {
        "hash": doc.hash,
        "doc_id": doc.signed.document.doc_id,
        "type": doc.signed.document.type.value,
        "chain_id": doc.chain_id,
        "direction": doc.direction,
        "counterparty": doc.counterparty,
        "ledger_seq": doc.ledger_seq,
        "delivered_ms": doc.delivered_ms,
        "refused": doc.refused,
        "findings": list(doc.findings),
    }


def _line(doc: StoredDocument) -> str:
    state = (
        "delivered"
        if doc.delivered_ms is not None
        else f"refused: {doc.refused}"
        if doc.refused
        else "received"
        if doc.direction == "received"
        else f"queued ({doc.last_error or 'not sent yet'})"
    )
    document = doc.signed.document
    return f"{document.doc_id}  {doc.direction:8} {doc.counterparty}  {state}  {doc.hash[:16]}"


def _send(cli: CliContext, to: str, body: dict[str, Any], as_json: bool) -> None:
    with document_service(cli) as service:
        with service.engine.connect() as conn:
            try:
                peer = PeerRegistry(conn).get(to)
            except PeerNotFoundError:
                raise CliError(f"no peer {to!r} (see: scnode peer list)") from None
        try:
            created = service.create(body, peer, _now_ms())
        except DocumentError as exc:
            raise CliError(str(exc)) from None
        deliver_pending(service.engine, service.signer(), _now_ms(), rng=random.SystemRandom())
        created = service.get(created.hash)
    if as_json:
        click.echo(json.dumps(_summary(created)))
        return
    click.echo(_line(created))
    for finding in created.findings:
        click.echo(f"  finding {finding['rule_id']}: {finding['message']}")


@main.group()
def po() -> None:
    """Purchase orders."""


@po.command("create")
@click.option("--to", "to", required=True, help="Peer id of the supplier")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def po_create(cli: CliContext, to: str, path: Path, as_json: bool) -> None:
    """Sign, record and send the purchase order (or change order) in FILE."""
    body = _read_json(path)
    if not isinstance(body, dict):
        raise CliError(f"{path} must hold a JSON object")
    body.setdefault("type", "purchase_order")
    if body["type"] != "purchase_order":
        raise CliError("scnode po create sends purchase orders; use scnode doc send")
    _send(cli, to, body, as_json)


@main.group()
def doc() -> None:
    """Business documents: orders, acknowledgements, despatch advices, receipts."""


main.add_command(doc, name="documents")  # ``scnode documents ...`` is ``scnode doc ...``


@doc.command("send")
@click.option("--to", "to", required=True, help="Peer id of the counterparty")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def doc_send(cli: CliContext, to: str, path: Path, as_json: bool) -> None:
    """Sign, record and send the document in FILE (its "type" says which)."""
    body = _read_json(path)
    if not isinstance(body, dict):
        raise CliError(f"{path} must hold a JSON object")
    _send(cli, to, body, as_json)


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{what} {item!r} is not NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


@doc.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "to", required=True, help="Peer id of the counterparty")
@click.option(
    "--type",
    "kind",
    type=click.Choice(["purchase_order", "despatch_advice", "goods_receipt"]),
    help="Document type (else told from the columns)",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), help="Else from the suffix")
@click.option("--profile", help="An approved mapping profile (scnode map approve)")
@click.option("--field", "fields", multiple=True, help="COLUMN=CONCEPT, by hand ('none' ignores)")
@click.option("--set", "defaults", multiple=True, help="FIELD=VALUE for a field no column gives")
@click.option("--timezone", help="Zone of times without an offset (default Z)")
@click.option("--dry-run", is_flag=True, help="Map and build the documents; create nothing")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def doc_import(  # noqa: PLR0917  click passes options as arguments
    cli: CliContext,
    path: Path,
    to: str,
    kind: str | None,
    fmt: str | None,
    profile: str | None,
    fields: tuple[str, ...],
    defaults: tuple[str, ...],
    timezone: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import a partner's export of orders, despatches or receipts (CSV or JSON, its own
    column names) through semantic mapping, and send the documents."""
    from node.documents import DocumentType, import_documents, read_export

    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in ("csv", "json"):
        raise CliError(f"{path}: say --format csv or json")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    given, preset = _pairs(fields, "--field"), _pairs(defaults, "--set")
    with document_service(cli) as service:
        approved = _approved(cli, profile)
        with service.engine.connect() as conn:
            try:
                peer = PeerRegistry(conn).get(to)
            except PeerNotFoundError:
                raise CliError(f"no peer {to!r} (see: scnode peer list)") from None
        try:
            result = import_documents(
                service,
                read_export(data, fmt),
                peer,
                now_ms=_now_ms(),
                document_type=None if kind is None else DocumentType(kind),
                fields=given,
                profile=approved,
                defaults=preset,
                timezone=timezone,
                dry_run=dry_run,
            )
        except DocumentError as exc:
            raise CliError(str(exc)) from None
        deliver_pending(service.engine, service.signer(), _now_ms(), rng=random.SystemRandom())
        created = [service.get(d.hash) for d in result.created]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "type": result.plan.document_type.value,
                    "mapping": [c.to_json() for c in result.plan.fields],
                    "ignored": [c.to_json() for c in result.plan.ignored],
                    "bodies": list(result.bodies),
                    "documents": [_summary(d) for d in created],
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"{result.plan.document_type.value}: {len(result.bodies)} document(s)")
    for choice in result.plan.fields:
        click.echo(f"  {choice.column} -> {choice.concept} ({choice.how})")
    for choice in result.plan.ignored:
        click.echo(f"  {choice.column} ignored ({choice.concept})")
    for d in created:
        click.echo(_line(d))


def _approved(cli: CliContext, name: str | None) -> Any:
    if name is None:
        return None
    from node.inventory import home_mapping
    from semantic_mapping import MappingError

    try:
        found = home_mapping(cli.home).profile(name)
    except MappingError as exc:
        raise CliError(f"profile {name!r}: {exc}") from None
    if found is None:
        raise CliError(f"no approved mapping profile {name!r} (see: scnode map profiles)")
    return found


@doc.command("list")
@click.option("--chain", "chain_id", default=None, help="Only this chain (buyer/po_number)")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def doc_list(cli: CliContext, chain_id: str | None, as_json: bool) -> None:
    """Documents this node sent and received."""
    with document_service(cli) as service:
        found = service.list(chain_id=chain_id)
    if as_json:
        click.echo(json.dumps([_summary(d) for d in found]))
        return
    for d in found:
        click.echo(_line(d))


@doc.command("show")
@click.argument("key")
@pass_cli
def doc_show(cli: CliContext, key: str) -> None:
    """One document (by hash or id) as JSON, with its signature and findings."""
    with document_service(cli) as service:
        try:
            found = service.get(key)
        except DocumentError as exc:
            raise CliError(str(exc)) from None
    out = {**_summary(found), "document": document_json(found.signed.document)}
    click.echo(json.dumps({**out, "signature": found.signed.signature}, indent=2))


@doc.command("prove")
@click.argument("key")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_cli
def doc_prove(cli: CliContext, key: str, out: Path | None) -> None:
    """Evidence for KEY: the signed document, its ledger entry, inclusion proof, checkpoint."""
    with document_service(cli) as service:
        try:
            evidence = build_evidence(service.get(key), service.store())
        except DocumentError as exc:
            raise CliError(str(exc)) from None
    text = json.dumps(evidence, indent=2)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


@doc.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--author-vkey", "author", multiple=True, required=True, help="Author's vkey")
@click.option("--log-vkey", "log", multiple=True, required=True, help="Recording node's vkey")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
def doc_check(path: Path, author: tuple[str, ...], log: tuple[str, ...], as_json: bool) -> None:
    """Check document evidence offline against pinned keys (no network)."""
    try:
        report = verify_evidence(_read_json(path), author_vkeys=list(author), log_vkeys=list(log))
    except DocumentError as exc:
        raise CliError(f"evidence refused: {exc}") from None
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(report)))
        return
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(report.recorded_ms / 1000))
    click.echo(
        f"{report.doc_id} ({report.hash[:16]}) signed by {report.author}; recorded as "
        f"{report.kind} by {report.recorded_by} at entry {report.index} ({when}), "
        f"under checkpoint size {report.checkpoint_size}"
    )


@doc.command("deliver")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
@pass_cli
def doc_deliver(cli: CliContext, as_json: bool) -> None:
    """Deliver queued documents now (ignoring backoff)."""
    with document_service(cli) as service:
        recorded = service.record_missing(_now_ms())
        far = _now_ms() + 10 * 365 * 86_400_000
        result = deliver_pending(service.engine, service.signer(), far, rng=random.SystemRandom())
    summary = {
        "recorded": recorded,
        "delivered": result.delivered,
        "duplicates": result.duplicates,
        "refused": result.refused,
        "retrying": result.retrying,
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(f"delivered {result.delivered} ({result.duplicates} already there)")
    for digest, why in result.refused.items():
        click.echo(f"refused {digest[:16]}: {why}")
    for peer_id, why in result.retrying.items():
        click.echo(f"peer {peer_id}: will retry ({why})")


@main.group()
def epcis() -> None:
    """GS1 EPCIS 2.0 export and import."""


_SCHEMA = click.option(
    "--schema",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="EPCIS 2.0 JSON schema (default: $SCNODE_EPCIS_SCHEMA)",
)


@epcis.command("export")
@click.option("--chain", "chain_id", required=True, help="Chain id (buyer/po_number)")
@_SCHEMA
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_cli
def epcis_export(cli: CliContext, chain_id: str, schema: Path | None, out: Path | None) -> None:
    """Shipping and receiving events of a chain as an EPCIS 2.0 document."""
    with document_service(cli) as service:
        docs = service.list(chain_id=chain_id, limit=10_000)
    if not docs:
        raise CliError(f"no documents in chain {chain_id!r}")
    events = [e for d in docs for e in document_events(d.signed.document)]
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    body = epcis_document(events, created=created, document_id=f"urn:scnode:epcis:{chain_id}")
    try:
        configured_schema(schema).validate(body)
    except EpcisError as exc:
        raise CliError(str(exc)) from None
    text = json.dumps(body, indent=2, ensure_ascii=False)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"{len(events)} events written to {out}", err=True)


@epcis.command("stock")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_SCHEMA
def epcis_stock(path: Path, schema: Path | None) -> None:
    """Stock positions in FILE as EPCIS 2.0 storing events (one per bucket).

    FILE holds a JSON list of canonical records: sku, as_of, optional location,
    lot and uom, and quantities by bucket (whole numbers).
    """
    rows = _read_json(path)
    if not isinstance(rows, list):
        raise CliError(f"{path} must hold a JSON list of stock records")
    events = []
    try:
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or not isinstance(row.get("quantities"), dict):
                raise CliError(f"record {i}: needs a quantities object")
            for bucket, quantity in sorted(row["quantities"].items()):
                if not isinstance(quantity, int) or isinstance(quantity, bool):
                    raise CliError(f"record {i}: {bucket} must be a whole number")
                position = Position(
                    sku=str(row.get("sku")),
                    bucket=bucket,
                    quantity=quantity,
                    as_of=str(row.get("as_of")),
                    location=None if row.get("location") is None else str(row["location"]),
                    lot=None if row.get("lot") is None else str(row["lot"]),
                    uom=str(row.get("uom") or "EA"),
                )
                events.append(inventory_event(position))
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = epcis_document(events, created=created, document_id=f"urn:scnode:stock:{path.name}")
        configured_schema(schema).validate(body)
    except EpcisError as exc:
        raise CliError(f"{path.name}: {exc}") from None
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


@epcis.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_SCHEMA
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
def epcis_import(path: Path, schema: Path | None, as_json: bool) -> None:
    """Validate a partner's EPCIS 2.0 document and show its stock records."""
    from semantic_mapping import StatusMatcher, load_vocabulary

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        result = import_epcis(
            parse_epcis_bytes(data), configured_schema(schema), StatusMatcher(load_vocabulary())
        )
    except EpcisError as exc:
        raise CliError(f"{path.name} refused: {exc}") from None
    records = [
        {
            "sku": r.sku,
            "lot": r.lot,
            "location": r.location,
            "as_of": None if r.as_of is None else r.as_of.isoformat(),
            "uom": r.uom,
            "quantities": {k: str(v) for k, v in r.quantities.items()},
        }
        for r in result.records
    ]
    events = [
        {"index": e.index, "type": e.type, "computed_id": e.computed_id, "id_matches": e.id_matches}
        for e in result.events
    ]
    if as_json:
        click.echo(json.dumps({"records": records, "skipped": result.skipped, "events": events}))
        return
    for r in result.records:
        quantities = ", ".join(f"{k}={v}" for k, v in r.quantities.items())
        when = None if r.as_of is None else r.as_of.isoformat()
        click.echo(f"{r.sku}  lot={r.lot or '-'}  {quantities}  at {when}")
    for index, why in result.skipped:
        click.echo(f"event {index} skipped: {why}")
    click.echo(f"{len(result.events)} events, {len(records)} records")


@epcis.command("hash")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def epcis_hash(path: Path) -> None:
    """The CBV 2.0 event hash id of every event in an EPCIS JSON document."""
    from semantic_mapping import MappingError, epcis_events

    try:
        document = parse_epcis_bytes(path.read_bytes())
        for event in epcis_events(document):
            context = document.get("@context") if isinstance(document, dict) else None
            click.echo(event_hash(dict(event), context))
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except (EpcisError, MappingError) as exc:
        raise CliError(f"{path.name}: {exc}") from None
