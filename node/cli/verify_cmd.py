"""``scnode verify``: check an evidence bundle offline against pinned keys.

No network access at all: the bundle file and the keys given on the command
line are everything the verification uses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import click

from ledger import (
    Bundle,
    BundleReport,
    BundleVerificationError,
    EntryReport,
    FormatError,
    LedgerError,
    NoteVerifier,
    verify_bundle,
    verify_extends_checkpoint,
)
from node.cli._app import CliError, main
from node.cli._progress import progress
from node.cli.finance_cmd import verify_financing_bundle, verify_forwarded_file
from node.finance import is_financing_bundle, is_forwarded

__all__ = ["verify"]


def _read_key(value: str) -> str:
    """A vkey given as text, or the path of a file holding one."""
    path = Path(value)
    if "+" not in value and path.is_file():
        try:
            return path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read key file {value}: {exc}") from exc
    return value.strip()


def _read_bundle(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"bundle file not found: {path}") from None
    except IsADirectoryError:
        raise CliError(f"bundle path is a directory: {path}") from None
    except OSError as exc:
        raise CliError(f"cannot read bundle file {path}: {exc.strerror or exc}") from None


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    try:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return f"{ms} ms"
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _entry_line(entry: EntryReport, quorum: int) -> str:
    mark = "ok  " if entry.ok else "FAIL"
    facts = [
        f"leaf {'decodes' if entry.leaf_decodes else 'does NOT decode'}",
        (
            f"included in tree of {entry.checkpoint_size}"
            if entry.inclusion
            else "inclusion NOT proven"
        ),
        (
            "signed by " + ", ".join(entry.log_keys)
            if entry.log_signature
            else "log signature NOT valid"
        ),
    ]
    if quorum or entry.witnesses:
        facts.append(f"witnesses {len(entry.witnesses)}/{quorum} needed")
    head = f"{mark} entry {entry.index:>6}  {entry.kind or '?':<22} {_when(entry.timestamp_ms)}"
    line = head + "\n       " + "; ".join(facts)
    for problem in entry.problems:
        line += f"\n       problem: {problem}"
    return line


def _print_report(report: BundleReport) -> None:
    good = sum(e.ok for e in report.entries)
    click.echo(f"Evidence bundle of log {report.origin}: {len(report.entries)} entries")
    for window in report.key_windows:
        click.echo(f"  log key {window}")
    for entry in report.entries:
        click.echo(_entry_line(entry, report.quorum))
    for line in report.consistency:
        click.echo(f"ok   consistency: {line}")
    for problem in report.problems:
        click.echo(f"FAIL {problem}")
    if report.ok:
        click.echo(f"OK: all {len(report.entries)} entries verify")
    else:
        click.echo(
            f"FAILED: {len(report.entries) - good} of {len(report.entries)} entries do not verify"
        )


@main.command("verify")
@click.argument("bundle_file", type=click.Path(path_type=Path))
@click.option(
    "--vkey",
    "vkeys",
    multiple=True,
    required=True,
    help="The log's pinned verifier key (C2SP vkey text, or a file holding it). Repeatable.",
)
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    help="A trusted witness (cosigner) vkey, type 0x04. Repeatable.",
)
@click.option(
    "--quorum",
    type=click.IntRange(min=0),
    default=None,
    help="Witness cosignatures each checkpoint needs. Default: every --witness given.",
)
@click.option("--origin", default=None, help="Require this log origin.")
@click.option(
    "--checkpoint",
    "pinned_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A signed checkpoint of this log kept from before (a file): the bundle must be "
    "consistent with it. Repeatable.",
)
@click.option(
    "--bank-vkey",
    "bank_vkeys",
    multiple=True,
    help="Financing bundles: the bank's own pinned vkey (text or file). Repeatable.",
)
@click.option(
    "--max-gap-hours",
    type=click.FloatRange(min=0),
    default=48.0,
    show_default=True,
    help="Financing bundles: longest stretch without proven coverage.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(
    bundle_file: Path,
    *,
    vkeys: tuple[str, ...],
    witnesses: tuple[str, ...],
    quorum: int | None,
    origin: str | None,
    pinned_files: tuple[Path, ...],
    bank_vkeys: tuple[str, ...],
    max_gap_hours: float,
    as_json: bool,
) -> None:
    """Verify an evidence bundle offline; exit status 0 only if everything verifies.

    A financing bundle (with a ``financing`` member) gets the credit officer's report;
    a forwarded-fact document (``scnode-forwarded-fact/v1``) is checked against the
    supplier's key given as ``--vkey``.
    """
    data = _read_bundle(bundle_file)
    keys = [_read_key(v) for v in vkeys]
    witness_keys = [_read_key(w) for w in witnesses]
    needed = len(witness_keys) if quorum is None else quorum
    if is_financing_bundle(data):
        verify_financing_bundle(
            data,
            vkeys=keys,
            witnesses=witness_keys,
            quorum=needed,
            origin=origin,
            bank_vkeys=list(bank_vkeys),
            max_gap_hours=max_gap_hours,
            as_json=as_json,
        )
        return
    if is_forwarded(data):
        verify_forwarded_file(
            data, vkeys=keys, witnesses=witness_keys, quorum=needed, as_json=as_json
        )
        return
    try:
        bundle = Bundle.from_bytes(data)
        with progress("Verifying bundle", len(bundle.entries), quiet=as_json) as advance:
            report = verify_bundle(
                bundle,
                vkeys=keys,
                witnesses=witness_keys,
                quorum=needed,
                origin=origin,
                progress=advance,
            )
    except BundleVerificationError as exc:
        report = exc.report
    except FormatError as exc:
        _fail(f"malformed input: {exc}", as_json)
    except LedgerError as exc:
        _fail(str(exc), as_json)
    pins = _check_pins(bundle, pinned_files, keys, as_json)
    if as_json:
        doc = report.to_json()
        if pinned_files:
            doc["pinned_checkpoints"] = pins
        click.echo(json.dumps(doc, indent=2))
    else:
        _print_report(report)
        for pin in pins:
            mark = "ok  " if pin["ok"] else "FAIL"
            click.echo(f"{mark} pinned checkpoint {pin['file']}: {pin['result']}")
    if not report.ok or not all(pin["ok"] for pin in pins):
        raise click.exceptions.Exit(1)


def _check_pins(
    bundle: Bundle, files: tuple[Path, ...], keys: list[str], as_json: bool
) -> list[dict[str, object]]:
    """Each pinned checkpoint file: is the bundle consistent with it?"""
    if not files:
        return []
    try:
        verifiers = [NoteVerifier.from_vkey(k) for k in keys]
    except LedgerError as exc:
        _fail(f"bad --vkey: {exc}", as_json)
    results: list[dict[str, object]] = []
    for path in files:
        try:
            note = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read pinned checkpoint {path}: {exc}", as_json)
        try:
            pinned = verify_extends_checkpoint(bundle, note, verifiers)
        except FormatError as exc:
            _fail(f"pinned checkpoint {path} is malformed: {exc}", as_json)
        except LedgerError as exc:
            results.append({"file": str(path), "ok": False, "result": str(exc)})
            continue
        results.append(
            {
                "file": str(path),
                "ok": True,
                "result": f"the bundle is consistent with it (size {pinned.size})",
            }
        )
    return results


def _fail(message: str, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"ok": False, "error": message}))
        raise click.exceptions.Exit(1)
    raise CliError(message)
