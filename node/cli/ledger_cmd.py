"""``scnode init``, ``scnode ledger ...``, ``scnode key ...`` and ``scnode bench ledger``.

Every command opens the node in the home folder (settings, keys, database), does
one thing, and turns every expected failure into a one-line :class:`CliError`
(exit status 1, no traceback). Nothing is written when the input is bad; files
(bundles, settings, keys) are written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ledger import (
    KEY_ROTATE_KIND,
    ChainError,
    JSONValue,
    KeyRotation,
    LedgerError,
    NoteSigner,
    TlogProof,
    build_bundle,
    check_key_name,
    parse_json,
    rotation_body,
)
from ledger.storage import LedgerStore
from node.cli._app import CliContext, CliError, bench, main, pass_cli
from node.cli._progress import progress
from node.db import DatabaseError, create_engine, upgrade
from node.keys import (
    KeyFileError,
    NodeKeys,
    install_keys,
    keys_exist,
    load_keys,
    retire_overlap,
    rotate_keys,
)
from node.settings import DATABASE_FILE, SETTINGS_FILE, SettingsError, load_settings
from node.settings_file import write_settings

__all__ = ["parse_entries_spec"]

P = ParamSpec("P")
R = TypeVar("R")

_EXPECTED = (LedgerError, KeyFileError, DatabaseError, SettingsError, OSError)
HOUR_MS = 3_600_000


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _clean_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into a CliError (message only, no traceback)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except _EXPECTED as exc:
            raise CliError(str(exc)) from None
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc.__class__.__name__).splitlines()[0]
            raise CliError(f"database error: {detail[:200]}") from None

    return wrapper


@dataclass(frozen=True)
class _Node:
    home: Path
    origin: str
    keys: NodeKeys
    engine: Engine
    store: LedgerStore


@contextmanager
def _open_node(home: Path) -> Iterator[_Node]:
    if not (home / SETTINGS_FILE).exists() and not keys_exist(home):
        raise CliError(f"no node in {home} (run: scnode init --name NAME)")
    settings = load_settings(home=home)
    keys = load_keys(home)
    origin = settings.node_name or keys.active.name
    if keys.active.name != origin:
        raise CliError(f"the node key is named {keys.active.name!r}, the node {origin!r}")
    engine = create_engine(settings.database_url)
    try:
        yield _Node(home, origin, keys, engine, LedgerStore.open(engine, origin))
    finally:
        engine.dispose()


def _echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))


# -- scnode init ---------------------------------------------------------------


@main.command("init")
@click.option("--name", required=True, help="The node's name: its log origin and key name.")
@click.option(
    "--database-url",
    envvar="SCNODE_DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (PostgreSQL: postgresql+psycopg://...). Default: HOME/scnode.sqlite",
)
@pass_cli
@_clean_errors
def init_cmd(cli: CliContext, name: str, database_url: str | None) -> None:
    """Create a node: home folder, signing key, database; prints the verifier key."""
    home = cli.home
    if (home / SETTINGS_FILE).exists() or keys_exist(home):
        raise CliError(f"a node already exists in {home}; refusing to overwrite it")
    check_key_name(name)
    url = database_url or f"sqlite:///{(home / DATABASE_FILE).absolute()}"
    load_settings(home=home, node_name=name, database_url=url)  # validates both
    created_home = not home.exists()
    before = set(home.iterdir()) if home.exists() else set()
    now = _now_ms()
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not database_url:
            # the database holds private payloads: readable by the owner only
            # (SQLite gives its -wal and -shm files the database file's mode)
            db_file = home / DATABASE_FILE
            db_file.touch(mode=0o600, exist_ok=True)
            db_file.chmod(0o600)
        upgrade(url)
        engine = create_engine(url)
        try:
            store = LedgerStore.create(engine, name)
            signer = NoteSigner.generate(name)
            store.sign_checkpoint([signer], now)
            _write_new_node(home, signer, name, database_url)
        finally:
            engine.dispose()
    except BaseException:
        _undo(home, created_home, before)
        raise
    click.echo(signer.vkey)


def _write_new_node(home: Path, signer: NoteSigner, name: str, database_url: str | None) -> None:
    install_keys(home, signer)
    values = {"node_name": name}
    if database_url:
        values["database_url"] = database_url
    write_settings(home, values)


def _undo(home: Path, created_home: bool, before: set[Path]) -> None:
    """Remove what a failed ``init`` created in the home folder."""
    if created_home:
        shutil.rmtree(home, ignore_errors=True)
        return
    for path in set(home.iterdir()) - before if home.exists() else ():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


# -- scnode ledger ...----------------------------------------------------------


@main.group("ledger")
def ledger_group() -> None:
    """The node's verifiable log: append, verify, export, prove."""


@ledger_group.command("append")
@click.option("--kind", required=True, help="Entry kind, e.g. inventory.snapshot")
@click.option("--body", required=True, help="Entry body: a JSON object.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_cli
@_clean_errors
def append_cmd(cli: CliContext, kind: str, body: str, as_json: bool) -> None:
    """Append one entry and sign a checkpoint that includes it."""
    try:
        value = parse_json(body.encode("utf-8"))
    except LedgerError as exc:
        raise CliError(f"--body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CliError("--body must be a JSON object")
    if kind == KEY_ROTATE_KIND:
        raise CliError(f"{KEY_ROTATE_KIND} entries are made by: scnode key rotate")
    with _open_node(cli.home) as node:
        now = _now_ms()
        done = node.store.append(kind, value, now)
        cp = node.store.sign_checkpoint(node.keys.signers(now), now)
    if as_json:
        _echo_json({"index": done.seq, "leaf_hash": done.leaf_hash.hex(), "checkpoint": cp.text})
        return
    click.echo(f"index {done.seq}\nleaf hash {done.leaf_hash.hex()}\n\n{cp.text}", nl=False)


@ledger_group.command("checkpoint")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_cli
@_clean_errors
def checkpoint_cmd(cli: CliContext, as_json: bool) -> None:
    """Sign a checkpoint of the whole log (or show it, if already signed)."""
    with _open_node(cli.home) as node:
        now = _now_ms()
        cp = node.store.sign_checkpoint(node.keys.signers(now), now)
    if as_json:
        _echo_json({"size": cp.size, "root": cp.root.hex(), "checkpoint": cp.text})
        return
    click.echo(cp.text, nl=False)


@ledger_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (no progress bar).")
@pass_cli
@_clean_errors
def verify_cmd(cli: CliContext, as_json: bool) -> None:
    """Re-verify the whole stored ledger: hash chain, tree, checkpoints, signatures."""
    with _open_node(cli.home) as node:
        size = node.store.size()
        started = time.perf_counter()
        try:
            with progress("verifying", size, quiet=as_json) as advance:
                report = node.store.verify_all(node.keys.verifiers, progress=advance)
        except ChainError as exc:
            _verify_failed(exc, as_json)
        seconds = time.perf_counter() - started
    if as_json:
        _echo_json(
            {
                "ok": True,
                "size": report.size,
                "root": report.root.hex(),
                "checkpoints": report.checkpoints,
                "entries_with_payload": report.entries_with_payload,
                "seconds": round(seconds, 3),
            }
        )
        return
    click.echo(
        f"ok: {report.size} entries, {report.checkpoints} checkpoints, "
        f"root {report.root.hex()} ({seconds:.2f} s)"
    )


def _verify_failed(exc: ChainError, as_json: bool) -> NoReturn:
    if as_json:
        _echo_json({"ok": False, "first_bad_index": exc.index, "error": str(exc)})
        raise SystemExit(1)
    raise CliError(f"ledger verification FAILED at entry {exc.index}: {exc}")


def parse_entries_spec(spec: str, size: int) -> list[int]:
    """``"0-9,15"`` -> sorted distinct indices; CliError naming what is wrong."""
    out: set[int] = set()
    for part in spec.split(","):
        text = part.strip()
        low, dash, high = text.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()) or not low.isascii():
            raise CliError(f"--entries: {text!r} is not N or N-M")
        first, last = int(low), int(high) if dash else int(low)
        if first > last:
            raise CliError(f"--entries: range {text!r} runs backwards")
        if last >= size:
            raise CliError(f"--entries: entry {last} is beyond the log (size {size})")
        out.update(range(first, last + 1))
    return sorted(out)


@ledger_group.command("export")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Bundle file.")
@click.option("--entries", "spec", default=None, help='Entries, e.g. "0-9,15". Default: all.')
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (no progress bar).")
@pass_cli
@_clean_errors
def export_cmd(cli: CliContext, out: Path, spec: str | None, as_json: bool) -> None:
    """Write an evidence bundle (scnode-evidence/v1) that verifies offline."""
    if out.exists() and out.is_dir():
        raise CliError(f"--out {out} is a folder")
    if not out.parent.is_dir():
        raise CliError(f"folder {out.parent} does not exist")
    with _open_node(cli.home) as node:
        store = node.store
        size = store.size()
        if size == 0:
            raise CliError("the ledger is empty; nothing to export")
        wanted = parse_entries_spec(spec, size) if spec else None
        now = _now_ms()
        cp = store.sign_checkpoint(node.keys.signers(now), now)
        size = cp.size
        if wanted is None:
            wanted = [e.seq for e in store.entries(0, size) if e.leaf is not None]
        items: list[tuple[int, bytes, list[bytes]]] = []
        with progress("exporting", len(wanted), quiet=as_json) as advance:
            for index in wanted:
                leaf = store.entry(index).leaf
                if leaf is None:
                    raise CliError(f"entry {index}'s payload was deleted; cannot export it")
                items.append((index, leaf, store.inclusion_proof(index, size)))
                advance(1)
        history = [
            (e.seq, e.leaf)
            for e in store.entries_of_kind(KEY_ROTATE_KIND)
            if e.seq < size and e.leaf is not None
        ]
        data = build_bundle(
            origin=node.origin,
            vkeys=list(node.keys.history),
            entries=items,
            size=size,
            checkpoint_note=cp.text,
            key_history=history,
        )
    _write_atomically(out, data)
    if as_json:
        _echo_json({"out": str(out), "entries": len(items), "size": size})
        return
    click.echo(f"wrote {len(items)} entries (checkpoint size {size}) to {out}")


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@ledger_group.command("forget")
@click.option("--entries", "spec", required=True, help='Entries, e.g. "0-9,15".')
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_cli
@_clean_errors
def forget_cmd(cli: CliContext, spec: str, as_json: bool) -> None:
    """Delete entries' private payloads (retention); hashes and proofs remain."""
    with _open_node(cli.home) as node:
        wanted = parse_entries_spec(spec, node.store.size())
        deleted = node.store.delete_payloads(wanted)
    if as_json:
        _echo_json({"deleted": deleted, "requested": len(wanted)})
        return
    click.echo(
        f"deleted {deleted} payload(s) of {len(wanted)} entries"
        " (already deleted and key.rotate entries are kept as they are)"
    )


@ledger_group.command("prove")
@click.option("--index", required=True, type=click.IntRange(min=0), help="Entry index.")
@click.option("--size", type=click.IntRange(min=1), default=None, help="Checkpoint size.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_cli
@_clean_errors
def prove_cmd(cli: CliContext, index: int, size: int | None, as_json: bool) -> None:
    """Print an inclusion proof (c2sp.org/tlog-proof@v1) into a signed checkpoint."""
    with _open_node(cli.home) as node:
        if size is None:
            latest = node.store.checkpoint()
            if latest is None or latest.size == 0:
                raise CliError("no signed checkpoint yet (run: scnode ledger checkpoint)")
            cp = latest
        else:
            cp = node.store.checkpoint_at(size)
        if index >= cp.size:
            raise CliError(f"entry {index} is not in the checkpoint of size {cp.size}")
        proof = node.store.inclusion_proof(index, cp.size)
        leaf_hash = node.store.entry(index).leaf_hash
    if as_json:
        _echo_json(
            {
                "index": index,
                "size": cp.size,
                "leaf_hash": leaf_hash.hex(),
                "root": cp.root.hex(),
                "proof": [h.hex() for h in proof],
                "checkpoint": cp.text,
            }
        )
        return
    click.echo(TlogProof(index, tuple(proof), cp.text).to_text(), nl=False)


# -- scnode key ...-------------------------------------------------------------


@main.group("key")
def key_group() -> None:
    """The node's checkpoint signing keys."""


@key_group.command("show")
@pass_cli
@_clean_errors
def key_show_cmd(cli: CliContext) -> None:
    """Print the verifier keys: the active one first, then the history."""
    keys = load_keys(cli.home)
    click.echo(keys.active.vkey)
    for vkey in keys.history[:-1]:
        click.echo(f"(earlier) {vkey}")


@key_group.command("rotate")
@click.option(
    "--overlap-hours",
    type=click.FloatRange(min=0, max=24 * 366),
    default=24.0,
    show_default=True,
    help="How long the old key keeps co-signing checkpoints.",
)
@pass_cli
@_clean_errors
def key_rotate_cmd(cli: CliContext, overlap_hours: float) -> None:
    """Introduce a new signing key (a key.rotate entry signed by old and new key)."""
    with _open_node(cli.home) as node:
        now = _now_ms()
        old = node.keys.active
        new = NoteSigner.generate(old.name)
        until = now + int(overlap_hours * HOUR_MS)
        rotation = KeyRotation(
            origin=node.origin,
            old_vkey=old.vkey,
            new_vkey=new.vkey,
            new_not_before_ms=now,
            old_not_after_ms=until,
        )
        body: dict[str, JSONValue] = rotation_body(rotation, old, new)
        done = node.store.append(KEY_ROTATE_KIND, body, now)
        keys = rotate_keys(node.home, new, until)
        cp = node.store.sign_checkpoint(keys.signers(now), now)
    click.echo(f"new key {new.vkey}")
    click.echo(f"key.rotate entry {done.seq}; checkpoint {cp.size} signed by both keys")
    when = datetime.fromtimestamp(until / 1000, tz=UTC).isoformat(timespec="seconds")
    click.echo(f"the old key co-signs checkpoints until {when} (then: scnode key retire)")


@key_group.command("retire")
@click.option("--all", "all_keys", is_flag=True, help="Also keys whose overlap has not ended.")
@pass_cli
@_clean_errors
def key_retire_cmd(cli: CliContext, all_keys: bool) -> None:
    """Delete the private keys of previous keys whose overlap is over."""
    retired = retire_overlap(cli.home, _now_ms(), all_keys=all_keys)
    for vkey in retired:
        click.echo(f"retired {vkey}")
    if not retired:
        click.echo("no key to retire")


# -- scnode bench ledger ---------------------------------------------------------


@bench.command("ledger")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--quick", is_flag=True, help="Smaller sizes (a smoke run, not for the README).")
@_clean_errors
def bench_ledger_cmd(as_json: bool, quick: bool) -> None:
    """Ledger speed: group-commit appends, full verify, proofs in 1M entries, bundles."""
    from benchmarks.ledger_bench import format_results, run

    def say(message: str) -> None:
        if not as_json:
            click.echo(message, err=True)

    results: dict[str, Any] = run(quick=quick, log=say, quiet=as_json)
    if as_json:
        _echo_json(results)
    else:
        click.echo(format_results(results))
