"""``scnode finance ...``: grants to banks, co-signed pledges, coverage, exports, registry.

The borrower runs ``grant``, ``pledge request``, ``pledge complete``, ``cover`` and
``export``; the bank runs ``pledge sign`` on its own node (its node key signs the
pledge text) and ``scnode verify`` on the exported bundle. Every expected failure
is one line and exit status 1.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, ParamSpec, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from ledger import JSONValue, LedgerError, NoteVerifier, open_note
from node.cli._app import CliContext, CliError, main, pass_cli

if TYPE_CHECKING:
    from node.finance import Finance, SignedPledge

__all__ = [
    "finance_group",
    "parse_period",
    "verify_financing_bundle",
    "verify_forwarded_file",
]

P = ParamSpec("P")
R = TypeVar("R")
_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")
_DAY = "%Y-%m-%d"


def parse_period(text: str) -> tuple[int, int]:
    """``YYYY-MM`` (a calendar month) or ``YYYY-MM-DD..YYYY-MM-DD`` (whole UTC days)."""
    try:
        month = _MONTH.match(text)
        if month:
            start = datetime(int(month[1]), int(month[2]), 1, tzinfo=UTC)
            nxt = (start + timedelta(days=32)).replace(day=1)
        else:
            first, _, last = text.partition("..")
            start = datetime.strptime(first, _DAY).replace(tzinfo=UTC)
            nxt = datetime.strptime(last or first, _DAY).replace(tzinfo=UTC) + timedelta(days=1)
    except ValueError:
        raise CliError(f"period {text!r}: use YYYY-MM or YYYY-MM-DD..YYYY-MM-DD") from None
    if nxt <= start:
        raise CliError(f"period {text!r} ends before it starts")
    return int(start.timestamp() * 1000), int(nxt.timestamp() * 1000) - 1


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _clean(func: Callable[P, R]) -> Callable[P, R]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from node.db import DatabaseError
        from node.disclosure import GrantError
        from node.finance import FinanceError
        from node.keys import KeyFileError
        from node.settings import SettingsError

        try:
            return func(*args, **kwargs)
        except (FinanceError, GrantError, LedgerError, KeyFileError, SettingsError) as exc:
            raise CliError(str(exc)) from None
        except DatabaseError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc.__class__.__name__).splitlines()[0]
            raise CliError(f"database error: {detail[:200]}") from None

    return wrapper


@contextmanager
def _finance(home: Path) -> Iterator[tuple[Finance, list[str]]]:
    """The node's :class:`node.finance.Finance` and its log's vkeys."""
    from ledger.storage import LedgerStore
    from node.db import create_engine, upgrade
    from node.finance import Finance
    from node.keys import keys_exist, load_keys
    from node.settings import SETTINGS_FILE, load_settings

    if not (home / SETTINGS_FILE).exists() and not keys_exist(home):
        raise CliError(f"no node in {home} (run: scnode init --name NAME)")
    settings = load_settings(home=home)
    keys = load_keys(home)
    upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        origin = settings.node_name or keys.active.name
        store = LedgerStore.open(engine, origin)
        yield (
            Finance(engine, store, keys.signers, _now_ms, secrets.SystemRandom()),
            list(keys.history),
        )
    finally:
        engine.dispose()


def _read_text(value: str, what: str) -> str:
    path = Path(value)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {what} file {value}: {exc}") from None
    return value.strip()


def _write(out: Path, data: bytes) -> None:
    if out.is_dir():
        raise CliError(f"--out {out} is a folder")
    if not out.parent.is_dir():
        raise CliError(f"folder {out.parent} does not exist")
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)


def _echo(value: object) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))


@main.group("finance")
def finance_group() -> None:
    """Inventory-backed financing: grants, pledges, coverage proofs, bank bundles."""


@finance_group.command("grant")
@click.option("--bank", required=True, help="The bank's name (its node key name).")
@click.option("--sku", "skus", multiple=True, required=True, help="SKU (or pattern). Repeatable.")
@click.option("--site", "sites", multiple=True, required=True, help="Site. Repeatable.")
@click.option("--period", required=True, help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (UTC).")
@pass_cli
@_clean
def grant_cmd(
    cli: CliContext, bank: str, skus: tuple[str, ...], sites: tuple[str, ...], period: str
) -> None:
    """Grant a bank access to chosen SKUs and sites for a period (logged by hash)."""
    start, end = parse_period(period)
    with _finance(cli.home) as (fin, _):
        grant, record, seq = fin.grant(
            bank=bank, skus=list(skus), sites=list(sites), from_ms=start, to_ms=end
        )
    _echo({"grant": grant.to_json(), "entry": seq, "subjects": list(record.subjects)})


@finance_group.group("pledge")
def pledge_group() -> None:
    """Pledges: the borrower requests, the bank signs, the borrower completes."""


@pledge_group.command("request")
@click.option("--grant", "grant_id", required=True, help="The grant the pledge rests on.")
@click.option("--bank-vkey", required=True, help="The bank's vkey (text or file).")
@click.option("--sku", required=True)
@click.option("--site", required=True)
@click.option("--lot", default=None, help="Pledge one lot of (SKU, site) only.")
@click.option("--quantity", type=click.IntRange(min=1), required=True)
@click.option("--period", required=True, help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (UTC).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Request file.")
@pass_cli
@_clean
def request_cmd(
    cli: CliContext,
    *,
    grant_id: str,
    bank_vkey: str,
    sku: str,
    site: str,
    lot: str | None,
    quantity: int,
    period: str,
    out: Path,
) -> None:
    """Write a pledge signed by the borrower, for the bank to countersign."""
    from ledger import canonical_json

    start, end = parse_period(period)
    vkey = _read_text(bank_vkey, "bank vkey")
    NoteVerifier.from_vkey(vkey)
    with _finance(cli.home) as (fin, _):
        signed = fin.request_pledge(
            grant_id=grant_id,
            bank_vkey=vkey,
            sku=sku,
            site=site,
            lot=lot,
            quantity=quantity,
            from_ms=start,
            to_ms=end,
        )
    doc = signed.to_body()
    doc["collateral"] = {"sku": sku, "site": site, "lot": lot}
    _write(out, canonical_json(doc))
    click.echo(f"pledge {signed.pledge.id} written to {out}; the bank signs it next")


REGISTRY_KEY_FILE = "finance-registry.key"


def _network_key(home: Path) -> bytes:
    path = home / REGISTRY_KEY_FILE
    if not path.is_file():
        raise CliError(
            f"no network registry key in {home} (scnode finance registry-key --set FILE); "
            "or sign with --no-registry to skip asking the other banks"
        )
    try:
        key = bytes.fromhex(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError, ValueError):
        raise CliError(f"{path} does not hold a hex registry key") from None
    if len(key) != 32:
        raise CliError(f"{path} does not hold a 32-byte registry key")
    return key


def _request_file(request: Path) -> tuple[SignedPledge, dict[str, JSONValue] | None]:
    from ledger import parse_json
    from node.finance import SignedPledge

    try:
        doc = parse_json(request.read_bytes())
    except (OSError, LedgerError) as exc:
        raise CliError(f"cannot read the request {request}: {exc}") from None
    collateral = None
    if isinstance(doc, dict) and "collateral" in doc:
        doc = dict(doc)
        found = doc.pop("collateral")
        collateral = found if isinstance(found, dict) else {}
    return SignedPledge.from_body(doc), collateral


@pledge_group.command("sign")
@click.argument("request", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Write the line to this file."
)
@click.option("--sku", default=None, help="The collateral's SKU (default: from the request).")
@click.option("--site", default=None, help="The collateral's site (default: from the request).")
@click.option("--lot", default=None, help="The collateral's lot (default: from the request).")
@click.option(
    "--no-registry",
    is_flag=True,
    help="Do not ask the other banks' registries nor register the collateral (not advised).",
)
@pass_cli
@_clean
def sign_cmd(
    cli: CliContext,
    request: Path,
    *,
    out: Path | None,
    sku: str | None,
    site: str | None,
    lot: str | None,
    no_registry: bool,
) -> None:
    """(Bank) Check the request with the network's bank registries, register the
    collateral in this bank's log, and print this node's signature line."""
    from node.keys import load_keys

    signed, described = _request_file(request)
    keys = load_keys(cli.home)
    signer = keys.active
    if signer.vkey != signed.pledge.bank_vkey:
        raise CliError(f"the pledge names bank key {signed.pledge.bank_vkey}, not this node's")
    borrower = NoteVerifier.from_vkey(signed.pledge.borrower_vkey)
    text = signed.pledge.note_text()
    _, ok = open_note(signed.note(), [borrower])
    if not ok:
        raise CliError("the request is not signed by the borrower key it names")
    prior = signed.pledge.prior
    lines = [f"pledge {signed.pledge.id}: {len(prior)} earlier pledge(s) on this stock"]
    lines.extend(f"  {pid} (entry {seq})" for pid, seq in prior)
    if no_registry:
        lines.append("the other banks' registries were NOT asked (--no-registry)")
    else:
        lines.extend(_check_registries(cli.home, signed, described, sku=sku, site=site, lot=lot))
    click.echo("\n".join(lines), err=out is None)
    line = signer.sign_line(text)
    if out is None:
        click.echo(line, nl=False)
    else:
        _write(out, line.encode("utf-8"))


def _check_registries(
    home: Path,
    signed: SignedPledge,
    described: dict[str, JSONValue] | None,
    *,
    sku: str | None,
    site: str | None,
    lot: str | None,
) -> list[str]:
    """Ask every bank peer (and this bank's own registry) about the collateral; refuse a
    request that hides a pledge they hold; register the collateral in this bank's log."""
    from node.finance import BankRegistry, Collateral, vet_request
    from node.keys import load_keys

    given: dict[str, JSONValue] = dict(described or {})
    for name, value in (("sku", sku), ("site", site), ("lot", lot)):
        if value is not None:
            given[name] = value
    if "sku" not in given or "site" not in given:
        raise CliError("the request does not name its collateral: pass --sku and --site")
    collateral = Collateral.from_json({k: v for k, v in given.items() if isinstance(v, str)})
    network_key = _network_key(home)
    with _finance(home) as (fin, vkeys):
        vetted = vet_request(
            BankRegistry(fin.store, fin.signers, fin.clock),
            fin.engine,
            signer=load_keys(home).active,
            vkeys=vkeys,
            network_key=network_key,
            signed=signed,
            collateral=collateral,
        )
    n = vetted.asked
    out = [f"asked {n} other bank registr{'y' if n == 1 else 'ies'}"]
    out.extend(
        f"  {bank} holds pledge {pid} (named in the request)" for bank, pid in vetted.review.others
    )
    out.append(f"collateral registered in this bank's log as entry {vetted.seq}")
    return out


@pledge_group.command("complete")
@click.argument("pledge_id")
@click.option("--signature", required=True, help="The bank's signature line (text or file).")
@pass_cli
@_clean
def complete_cmd(cli: CliContext, pledge_id: str, signature: str) -> None:
    """Add the bank's signature; log the pledge if the stock covers all pledges."""
    line = _read_text(signature, "signature")
    with _finance(cli.home) as (fin, _):
        signed, seq = fin.complete_pledge(pledge_id, line)
    click.echo(f"pledge {signed.pledge.id} logged as entry {seq}, coverage proven")


@finance_group.command("cover")
@pass_cli
@_clean
def cover_cmd(cli: CliContext) -> None:
    """Prove coverage for every snapshot whose latest proof is out of date (a catch-up:
    a served node does this by itself for each new snapshot). Exit 1 when a snapshot's
    stock cannot cover its pledges."""
    from node.finance._report import when

    with _finance(cli.home) as (fin, _):
        done = fin.catch_up()
    click.echo(f"{len(done.logged)} coverage proof(s) logged")
    for s in done.shortfalls:
        click.echo(
            f"FAIL snapshot {s.snapshot} (entry {s.seq}, {when(s.as_of_ms)}) cannot cover "
            f"its {s.pledges} pledge(s): no coverage proof"
        )
    if done.shortfalls:
        raise click.exceptions.Exit(1)


@finance_group.command("export")
@click.option("--bank", required=True)
@click.option("--period", required=True, help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (UTC).")
@click.option("--out", type=click.Path(path_type=Path), required=True)
@pass_cli
@_clean
def export_cmd(cli: CliContext, bank: str, period: str, out: Path) -> None:
    """Write a financing evidence bundle (scnode-evidence/v1 + financing) for a bank."""
    start, end = parse_period(period)
    with _finance(cli.home) as (fin, vkeys):
        short = fin.catch_up().shortfalls  # coverage the worker has not logged yet
        data = fin.export(bank=bank, from_ms=start, to_ms=end, vkeys=vkeys)
    _write(out, data)
    if short:
        click.echo(f"warning: {len(short)} snapshot(s) under pledge cannot be covered", err=True)
    click.echo(f"financing bundle for {bank} written to {out} ({len(data)} bytes)")


@finance_group.command("registry")
@click.option("--borrower", default=None, help="The borrower's log origin (default: this node).")
@click.option("--sku", required=True)
@click.option("--site", required=True)
@click.option("--period", required=True, help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (UTC).")
@pass_cli
@_clean
def registry_cmd(cli: CliContext, borrower: str | None, sku: str, site: str, period: str) -> None:
    """Registry keys of (borrower, sku, site) for the period, and this log's pledges on them."""
    from node.finance import period_keys

    start, end = parse_period(period)
    with _finance(cli.home) as (fin, _):
        origin = borrower or fin.origin
        keys = period_keys(origin, sku, site, start, end)
        hits = fin.registry(keys) if origin == fin.origin else []
    _echo({"borrower": origin, "keys": list(keys), "pledges": [h.to_json() for h in hits]})


@finance_group.command("registry-key")
@click.option("--set", "source", default=None, help="Install the network's key (hex, or a file).")
@click.option("--new", is_flag=True, help="Make a fresh key (the first bank of a network).")
@pass_cli
@_clean
def registry_key_cmd(cli: CliContext, source: str | None, new: bool) -> None:
    """(Bank) The network registry key the banks share to blind collateral keys."""
    path = cli.home / REGISTRY_KEY_FILE
    if new == (source is not None):
        raise CliError("pass exactly one of --set and --new")
    if source is not None:
        text = _read_text(source, "registry key")
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise CliError("the registry key is not hex") from None
        if len(key) != 32:
            raise CliError("the registry key must be 32 bytes (64 hex digits)")
    else:
        key = secrets.token_bytes(32)
    if not cli.home.is_dir():
        raise CliError(f"no node in {cli.home}")
    path.write_text(key.hex() + "\n", encoding="utf-8")
    path.chmod(0o600)
    click.echo(f"registry key written to {path}; share it with the network's banks only")


@finance_group.command("release")
@click.argument("pledge_id")
@pass_cli
@_clean
def release_cmd(cli: CliContext, pledge_id: str) -> None:
    """(Bank) Log that a pledge no longer holds its collateral (the loan ended)."""
    from node.finance import BankRegistry

    with _finance(cli.home) as (fin, _):
        done = BankRegistry(fin.store, fin.signers, fin.clock).release_pledge(pledge_id)
    click.echo(f"pledge {pledge_id} released in this bank's registry (entries {done})")


def verify_financing_bundle(
    data: bytes,
    *,
    vkeys: list[str],
    witnesses: list[str],
    quorum: int,
    origin: str | None,
    bank_vkeys: list[str],
    max_gap_hours: float,
    as_json: bool,
) -> None:
    """``scnode verify`` on a financing bundle: the credit officer's report; exit 1 unless ok."""
    from node.finance import (
        FinanceFormatError,
        FinancingVerificationError,
        render_report,
        verify_financing,
    )

    try:
        report = verify_financing(
            data,
            vkeys=vkeys,
            witnesses=witnesses,
            quorum=quorum,
            bank_vkeys=[_read_text(v, "bank vkey") for v in bank_vkeys],
            max_gap_ms=int(max_gap_hours * 3_600_000),
        )
    except FinancingVerificationError as exc:
        report = exc.report
    except FinanceFormatError as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "error": f"malformed input: {exc}"}))
            raise click.exceptions.Exit(1) from None
        raise CliError(f"malformed input: {exc}") from None
    ok = report.ok and (origin is None or report.origin == origin)
    if as_json:
        doc = report.to_json()
        if origin is not None and report.origin != origin:
            doc["ok"] = False
            doc["problems"] = [*report.problems, f"bundle is for log {report.origin!r}"]
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(render_report(report), nl=False)
        if origin is not None and report.origin != origin:
            click.echo(f"FAILED: bundle is for log {report.origin!r}, not {origin!r}")
    if not ok:
        raise click.exceptions.Exit(1)


@finance_group.command("forward")
@click.argument("evidence", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--fact",
    "facts",
    multiple=True,
    required=True,
    help="ENTRY:SUBJECT:FACT, e.g. 3:<64 hex>:available_at_least_safety_stock. Repeatable.",
)
@click.option("--via", default=None, help="This node's origin (informational).")
@click.option("--out", type=click.Path(path_type=Path), required=True)
@_clean
def forward_cmd(evidence: Path, facts: tuple[str, ...], via: str | None, out: Path) -> None:
    """Forward a supplier's facts, with its evidence bundle unchanged (tier-N)."""
    from node.finance import ForwardedFact, build_forwarded

    chosen = []
    for spec in facts:
        entry, _, rest = spec.partition(":")
        subject, _, fact = rest.partition(":")
        if not entry.isdigit() or not subject or not fact:
            raise CliError(f"--fact {spec!r}: use ENTRY:SUBJECT:FACT")
        chosen.append(ForwardedFact(int(entry), subject, fact))
    data = build_forwarded(evidence.read_bytes(), chosen, via=via)
    _write(out, data)
    click.echo(f"{len(chosen)} fact(s) forwarded to {out}")


def verify_forwarded_file(
    data: bytes, *, vkeys: list[str], witnesses: list[str], quorum: int, as_json: bool
) -> None:
    """``scnode verify`` on a forwarded-fact document; exit 1 unless every fact verifies."""
    from node.finance import FinanceFormatError, FinanceVerificationError, verify_forwarded

    try:
        report = verify_forwarded(data, vkeys=vkeys, witnesses=witnesses, quorum=quorum)
    except FinanceFormatError as exc:
        _fail_line(f"malformed input: {exc}", as_json)
    except FinanceVerificationError as exc:
        _fail_line(str(exc), as_json)
    facts = [
        {
            "entry": f.entry,
            "subject": f.subject,
            "fact": f.fact,
            "as_of_ms": f.as_of_ms,
            "proven": f.proven,
        }
        for f in report.facts
    ]
    if as_json:
        doc = {"ok": True, "origin": report.origin, "via": report.via, "facts": facts}
        click.echo(json.dumps({**doc, "witnesses": list(report.witnesses)}, indent=2))
        return
    click.echo(f"Facts of {report.origin}, forwarded by {report.via or 'an unnamed party'}")
    click.echo("Witnesses: " + (", ".join(report.witnesses) or "none cosigned"))
    for f in report.facts:
        how = "range proof verifies" if f.proven else "stated by the supplier"
        click.echo(f"ok   entry {f.entry}  {f.fact}  ({how})  subject {f.subject[:16]}…")
    click.echo(f"OK: all {len(report.facts)} forwarded fact(s) verify")


def _fail_line(message: str, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"ok": False, "error": message}))
        raise click.exceptions.Exit(1)
    raise CliError(message)
