"""``scnode publish FILE``: publish an inventory snapshot from the command line.

The same path as ``POST /v1/inventory/snapshots``, against the home folder's node
(database, keys, approved mapping profiles, disclosure policy); no server needed.
``FILE`` is a partner export (CSV, or a JSON array of objects; ``--source`` names
its approved mapping profile) or canonical positions (``{"positions": [...]}``).
A progress bar shows the commitments and proofs on a terminal; ``--json`` prints
the result as JSON and draws nothing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy.exc import SQLAlchemyError

from node.cli._app import CliContext, CliError, main, pass_cli
from node.cli._progress import progress

if TYPE_CHECKING:
    from node.inventory import Published

__all__ = ["publish_cmd"]

MAX_SHOWN_ISSUES = 20


def _media_type(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "text/csv"
    if suffix == ".json":
        return "application/json"
    return "application/json" if data.lstrip()[:1] in (b"[", b"{") else "text/csv"


def _read(path: Path) -> bytes:
    from node.inventory import MAX_UPLOAD_BYTES

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_UPLOAD_BYTES:
        raise CliError(f"{path} is larger than {MAX_UPLOAD_BYTES} bytes")
    return data


def _refusal(exc: Exception) -> CliError:
    from node.inventory import InventoryError

    if not isinstance(exc, InventoryError):  # pragma: no cover - callers pass InventoryError
        return CliError(str(exc))
    lines = [f"refused: {exc.detail}"]
    for issue in exc.issues[:MAX_SHOWN_ISSUES]:
        where = ".".join(str(p) for p in issue.loc)
        lines.append(f"  {where}: {issue.msg}")
    if len(exc.issues) > MAX_SHOWN_ISSUES:
        lines.append(f"  ... and {len(exc.issues) - MAX_SHOWN_ISSUES} more")
    return CliError("\n".join(lines))


def _show(done: Published, elapsed: float, *, as_json: bool) -> None:
    facts = [f.fact for c in done.positions for f in c.body.facts]
    counts = {name: facts.count(name) for name in sorted(set(facts))}
    summary = {
        "snapshot": done.snapshot,
        "index": done.seq,
        "leaf_hash": done.leaf_hash,
        "checkpoint": done.checkpoint,
        "checkpoint_size": done.checkpoint_size,
        "positions": len(done.positions),
        "facts": counts,
        "findings": list(done.findings),
        "exceptions": list(done.exceptions),
        "sum_statements": len(done.movements),
        "rule_set": done.rule_set,
        "mapping_profile": None if done.source is None else f"{done.source}@{done.profile_version}",
        "seconds": round(elapsed, 3),
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
        return
    click.echo(
        f"published snapshot {done.snapshot}: {len(done.positions)} positions "
        f"as ledger entry {done.seq} in {elapsed:.2f} s"
    )
    for name, count in counts.items():
        click.echo(f"  {name}: {count}")
    if done.findings:
        click.echo(f"  {len(done.findings)} warning(s) recorded")
    if done.exceptions:
        click.echo(f"  governance cases: {', '.join(done.exceptions)}")
    if done.movements:
        click.echo(f"  sum statements over documents: {len(done.movements)}")
    click.echo(f"leaf hash {done.leaf_hash}\n\n{done.checkpoint}", nl=False)


@main.command("publish")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", help="Source system of an export: its approved mapping profile.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes for the range proofs (default: the number of cores; 1: none).",
)
@pass_cli
def publish_cmd(
    cli: CliContext, file: Path, source: str | None, as_json: bool, jobs: int | None
) -> None:
    """Publish an inventory snapshot (one ledger entry) from FILE."""
    from ledger import LedgerError
    from ledger.storage import LedgerStore
    from node.db import DatabaseError, create_engine
    from node.disclosure import PolicyError
    from node.inventory import InventoryError, open_publisher
    from node.keys import KeyFileError, keys_exist, load_keys
    from node.settings import SETTINGS_FILE, SettingsError, load_settings
    from semantic_mapping import MappingError

    data = _read(file)
    home = cli.home
    if not (home / SETTINGS_FILE).exists() and not keys_exist(home):
        raise CliError(f"no node in {home} (run: scnode init --name NAME)")
    started = time.perf_counter()
    try:
        settings = load_settings(home=home)
        keys = load_keys(home)
        engine = create_engine(settings.database_url)
    except (SettingsError, KeyFileError, DatabaseError) as exc:
        raise CliError(str(exc)) from None
    try:
        origin = settings.node_name or keys.active.name
        store = LedgerStore.open(engine, origin)
        publisher = open_publisher(
            engine=engine, store=store, signers=keys.signers, home=home, jobs=jobs
        )
        intake, checked = publisher.prepare(data, _media_type(file, data), source)
        total = len(checked.positions)
        with progress("Committing and proving", total, quiet=as_json) as advance:
            done = publisher.publish_checked(
                intake, checked, published_by=f"cli:{origin}", advance=advance
            )
    except InventoryError as exc:
        raise _refusal(exc) from None
    except (LedgerError, PolicyError, MappingError) as exc:
        raise CliError(str(exc)) from None
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc.__class__.__name__).splitlines()[0]
        raise CliError(f"database error: {detail[:200]}") from None
    finally:
        engine.dispose()
    _show(done, time.perf_counter() - started, as_json=as_json)
