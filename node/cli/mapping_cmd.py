"""``scnode map``: propose, approve and apply mappings of partners' exports.

* ``scnode map --json`` reads ``[{"name", "description", "samples"}]`` on standard input
  and writes one answer per field, in the same order.
* ``scnode map --header FILE.csv`` does the same for a CSV export's header, using its
  rows as samples; a readable table without ``--json``.
* ``scnode map approve``, ``scnode map profile``, ``scnode map profiles`` keep the
  approved profiles in ``<home>/mapping/profiles/<source>.ttl`` and added labels in
  ``<home>/mapping/vocabulary-extension.ttl``.
* ``scnode map apply --profile SOURCE FILE`` transforms a whole export (CSV, JSON
  array of objects, or a GS1 EPCIS 2.0 document).
* ``scnode bench mapping`` measures the matcher.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from node.cli._app import CliContext, CliError, bench, main, pass_cli
from node.cli._progress import progress

if TYPE_CHECKING:
    from rdflib import Graph

    from semantic_mapping import MappingProfile, MatchResult, SourceField, Vocabulary

__all__ = ["bench_mapping", "map_group"]

MAX_STDIN_BYTES = 64 * 1024 * 1024
MAX_FILE_BYTES = 512 * 1024 * 1024
HEADER_READ_BYTES = 8 * 1024 * 1024
EXTENSION_FILE = "vocabulary-extension.ttl"


# ---------------------------------------------------------------- home folder


def _mapping_dir(cli: CliContext) -> Path:
    return cli.home / "mapping"


def _profile_path(cli: CliContext, source: str) -> Path:
    from semantic_mapping import new_profile

    try:
        new_profile(source)  # validates the name: no path separators, no dots first
    except Exception as exc:  # noqa: BLE001  a ProfileError with the reason
        raise CliError(str(exc)) from None
    return _mapping_dir(cli) / "profiles" / f"{source}.ttl"


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {what} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CliError(f"{what} {path} is not UTF-8") from None


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, "utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


def _extension(cli: CliContext) -> Graph | None:
    from semantic_mapping import MappingError, extension_from_turtle

    path = _mapping_dir(cli) / EXTENSION_FILE
    if not path.exists():
        return None
    try:
        return extension_from_turtle(_read_text(path, "vocabulary extension"))
    except MappingError as exc:
        raise CliError(f"{path}: {exc}") from None


def _vocabulary(cli: CliContext) -> Vocabulary:
    from semantic_mapping import MappingError, load_vocabulary

    extension = _extension(cli)
    try:
        return load_vocabulary([extension] if extension is not None else [])
    except MappingError as exc:
        raise CliError(f"vocabulary: {exc}") from None


def _load_profile(cli: CliContext, source: str, *, must_exist: bool) -> MappingProfile | None:
    from semantic_mapping import MappingError, profile_from_turtle

    path = Path(source) if source.endswith(".ttl") else _profile_path(cli, source)
    if not path.exists():
        if must_exist:
            raise CliError(f"no profile {source!r} (looked for {path}); approve mappings first")
        return None
    try:
        return profile_from_turtle(_read_text(path, "profile"))
    except MappingError as exc:
        raise CliError(f"profile {path}: {exc}") from None


def _require_profile(cli: CliContext, source: str) -> MappingProfile:
    profile = _load_profile(cli, source, must_exist=True)
    if profile is None:  # pragma: no cover - must_exist=True raises first
        raise CliError(f"no profile {source!r}")
    return profile


# ---------------------------------------------------------------- input


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    return data


def _fields_from_stdin() -> list[SourceField]:
    from node._unicode import lone_surrogate_at
    from semantic_mapping import FieldInputError, SourceField

    raw = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
    if len(raw) > MAX_STDIN_BYTES:
        raise CliError("standard input is larger than 64 MiB")
    try:
        items = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CliError("standard input is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"invalid JSON on standard input: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise CliError("invalid JSON on standard input: nested too deeply") from None
    except ValueError:  # an integer beyond Python's digit limit for int() (4300)
        raise CliError("invalid JSON on standard input: a number is too long") from None
    where = lone_surrogate_at(items)
    if where is not None:
        raise CliError(f"standard input: the string at {where} is not Unicode text")
    if not isinstance(items, list):
        raise CliError('standard input must be a JSON array of {"name", "description", "samples"}')
    fields: list[SourceField] = []
    for position, item in enumerate(items):
        try:
            fields.append(SourceField.from_json(item))
        except FieldInputError as exc:
            raise CliError(f"item {position}: {exc}") from None
    return fields


def _fields_from_header(path: Path) -> list[SourceField]:
    from semantic_mapping import FieldInputError, SourceField, parse_csv_header

    data = _read_bytes(path, HEADER_READ_BYTES)
    if len(data) > HEADER_READ_BYTES:
        # Only the header and the first rows are needed; cut at a line end.
        cut = data.rfind(b"\n", 0, HEADER_READ_BYTES)
        data = data[: cut if cut > 0 else HEADER_READ_BYTES + 1]
    try:
        export = parse_csv_header(data)
        return [SourceField(name, None, export.samples(name)) for name in export.header]
    except FieldInputError as exc:
        raise CliError(f"{path}: {exc}") from None


# ---------------------------------------------------------------- scnode map


def _show_table(results: list[MatchResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Proposed mappings", show_lines=False)
    table.add_column("field")
    table.add_column("concept")
    table.add_column("confidence", justify="right")
    table.add_column("alternatives")
    table.add_column("explanation", overflow="fold")
    for r in results:
        style = "dim" if r.concept == "none" else ("green" if r.confidence >= 0.8 else "yellow")
        alternatives = ", ".join(f"{a.concept} {a.confidence:.2f}" for a in r.alternatives)
        table.add_row(
            r.name, f"[{style}]{r.concept}[/]", f"{r.confidence:.2f}", alternatives, r.explanation
        )
    Console().print(table)


@main.group(name="map", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="JSON in on standard input, JSON out.")
@click.option(
    "--header",
    "header",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Propose mappings for the header of this CSV export (its rows are samples).",
)
@click.option("--source", help="Use this source's approved profile first.")
@pass_cli
@click.pass_context
def map_group(
    ctx: click.Context, cli: CliContext, as_json: bool, header: Path | None, source: str | None
) -> None:
    """Map partners' field names onto the canonical inventory vocabulary."""
    if ctx.invoked_subcommand is not None:
        return
    if header is None and not as_json:
        raise CliError("give --json (fields on standard input) or --header FILE.csv")
    from semantic_mapping import Matcher

    fields = _fields_from_header(header) if header is not None else _fields_from_stdin()
    profile = _require_profile(cli, source) if source else None
    matcher = Matcher(_vocabulary(cli))
    results = matcher.match_many(fields, profile=profile)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False))
    else:
        _show_table(results)


# ---------------------------------------------------------------- approvals


def _pairs(values: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value in values:
        left, sep, right = value.rpartition("=")
        if not sep or not left.strip() or not right.strip():
            raise CliError(f"{what} must look like NAME=VALUE, got {value!r}")
        out.append((left.strip(), right.strip()))
    return out


@map_group.command("approve")
@click.option("--source", required=True, help="Source system (profile name), e.g. kingdee-plant1.")
@click.option("--by", "approved_by", required=True, help="Who approves (recorded as provenance).")
@click.argument("mappings", nargs=-1)
@click.option(
    "--header",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Approve the proposals for this CSV header at or above --min-confidence.",
)
@click.option("--min-confidence", type=click.FloatRange(0.0, 1.0), default=0.8, show_default=True)
@click.option(
    "--value",
    "values",
    multiple=True,
    help="Value map FIELD:VALUE=BUCKET, e.g. 'inventoryType:ZP=available'.",
)
@click.option(
    "--unit", "units", multiple=True, help="Unit conversion UNIT=FACTOR to the base unit."
)
@click.option(
    "--field-unit", "field_units", multiple=True, help="Fixed unit of a field, FIELD=UNIT."
)
@click.option("--base-unit", help="Base unit of the profile's quantities (new profiles).")
@click.option(
    "--timezone",
    default="Z",
    show_default=True,
    help="Time zone of naive timestamps in this source (new profiles), e.g. +08:00.",
)
@click.option(
    "--add-label",
    is_flag=True,
    help="Also add each approved field name as an altLabel for everyone.",
)
@pass_cli
def approve(  # noqa: PLR0912, PLR0917  click passes every option positionally
    cli: CliContext,
    source: str,
    approved_by: str,
    mappings: tuple[str, ...],
    header: Path | None,
    min_confidence: float,
    values: tuple[str, ...],
    units: tuple[str, ...],
    field_units: tuple[str, ...],
    base_unit: str | None,
    timezone: str,
    add_label: bool,
) -> None:
    """Approve FIELD=CONCEPT mappings (and value maps, units) for a source.

    Example: scnode map approve --source wms-a --by alice 'LABST=available' '税码=none'
    """
    from semantic_mapping import (
        MappingError,
        Matcher,
        new_extension,
        new_profile,
        profile_to_turtle,
    )
    from semantic_mapping import add_label as extend

    now = datetime.now(UTC)
    vocabulary = _vocabulary(cli)
    pairs = _pairs(mappings, "a mapping")
    if header is not None:
        fields = _fields_from_header(header)
        for result in Matcher(vocabulary).match_many(fields):
            if result.confidence >= min_confidence:
                pairs.append((result.name, result.concept))
    if not (pairs or values or units):
        raise CliError("nothing to approve: give FIELD=CONCEPT, --header, --value or --unit")
    fixed_units = dict(_pairs(field_units, "--field-unit"))
    try:
        profile = _load_profile(cli, source, must_exist=False) or new_profile(
            source, base_unit=base_unit, timezone=timezone
        )
        for name, concept in pairs:
            profile = profile.approve_field(
                vocabulary,
                source_field=name,
                concept=concept,
                approved_by=approved_by,
                now=now,
                unit=fixed_units.get(name),
            )
        for spec, bucket in _pairs(values, "--value"):
            name, colon, value = spec.partition(":")
            if not colon:
                raise CliError(f"--value must look like FIELD:VALUE=BUCKET, got {spec!r}")
            profile = profile.approve_value(
                vocabulary,
                source_field=name,
                source_value=value,
                concept=bucket,
                approved_by=approved_by,
                now=now,
            )
        for unit, factor in _pairs(units, "--unit"):
            try:
                amount = Decimal(factor)
            except InvalidOperation:
                raise CliError(f"--unit {unit}: {factor!r} is not a number") from None
            profile = profile.set_unit(unit=unit, factor=amount, now=now)
        extension = None
        if add_label:
            extension = _extension(cli) or new_extension()
            for name, concept in pairs:
                if concept != "none":
                    extension = extend(
                        extension,
                        vocabulary,
                        concept=concept,
                        label=name,
                        added_by=approved_by,
                        source=source,
                        now=now,
                    )
    except MappingError as exc:
        raise CliError(str(exc)) from None
    _write_text(_profile_path(cli, source), profile_to_turtle(profile))
    if extension is not None:
        _write_text(_mapping_dir(cli) / EXTENSION_FILE, extension.serialize(format="turtle"))
    click.echo(
        f"profile {source} v{profile.version}: {len(profile.fields)} field mappings, "
        f"{len(profile.values)} value maps, {len(profile.units)} units"
    )


@map_group.command("profiles")
@pass_cli
def profiles(cli: CliContext) -> None:
    """List the approved profiles in the home folder."""
    folder = _mapping_dir(cli) / "profiles"
    names = sorted(p.stem for p in folder.glob("*.ttl")) if folder.is_dir() else []
    for name in names:
        profile = _require_profile(cli, name)
        click.echo(f"{name}\tv{profile.version}\t{len(profile.fields)} fields")


@map_group.command("profile")
@click.argument("source")
@pass_cli
def show_profile(cli: CliContext, source: str) -> None:
    """Print one profile as Turtle."""
    from semantic_mapping import profile_to_turtle

    click.echo(profile_to_turtle(_require_profile(cli, source)), nl=False)


# ---------------------------------------------------------------- apply


def _records(path: Path) -> tuple[list[dict[str, Any]] | None, object]:
    """(rows, None) for a CSV or JSON array of objects; (None, document) for EPCIS."""
    from semantic_mapping import FieldInputError, read_csv_records

    data = _read_bytes(path, MAX_FILE_BYTES)
    if len(data) > MAX_FILE_BYTES:
        raise CliError(f"{path} is larger than 512 MiB; split the export")
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        try:
            document = json.loads(stripped.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise CliError(f"{path}: invalid JSON ({str(exc)[:120]})") from None
        if isinstance(document, dict):
            return None, document
        if not isinstance(document, list) or not all(isinstance(x, dict) for x in document):
            raise CliError(f"{path}: expected a JSON array of objects or an EPCIS document")
        return document, None
    try:
        export = read_csv_records(data)
    except FieldInputError as exc:
        raise CliError(f"{path}: {exc}") from None
    return [dict(row) for row in export.rows], None


@map_group.command("apply")
@click.option("--profile", "source", help="Approved profile (source name or a .ttl file).")
@click.option("--json", "as_json", is_flag=True, help="Print the canonical records as JSON.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def apply(cli: CliContext, source: str | None, as_json: bool, file: Path) -> None:
    """Transform an export (CSV, JSON array, or GS1 EPCIS 2.0 JSON) into canonical records."""
    from semantic_mapping import (
        MappingError,
        StatusMatcher,
        Transformer,
        transform_epcis,
    )

    rows, document = _records(file)
    vocabulary = _vocabulary(cli)
    skipped: list[tuple[int, str]] = []
    try:
        if rows is None:
            result = transform_epcis(document, StatusMatcher(vocabulary))
            records = list(result.records)
            skipped = list(result.skipped)
        else:
            if source is None:
                raise CliError("--profile is required for CSV and JSON exports")
            transformer = Transformer(vocabulary, _require_profile(cli, source))
            records = []
            with progress("transforming", len(rows), quiet=as_json) as advance:
                for number, row in enumerate(rows, start=1):
                    try:
                        records.append(transformer.transform(row))
                    except MappingError as exc:
                        raise CliError(f"{file}: record {number}: {exc}") from None
                    advance(1)
    except MappingError as exc:
        raise CliError(f"{file}: {exc}") from None
    if as_json:
        out = {
            "records": [r.to_json() for r in records],
            "skipped": [{"event": i, "reason": why} for i, why in skipped],
        }
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    _show_records(records, skipped)


def _show_records(records: list[Any], skipped: list[tuple[int, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    from semantic_mapping._records import decimal_text

    table = Table(title=f"{len(records)} canonical records")
    for column in ("sku", "location", "lot", "as of", "quantities", "unmapped"):
        table.add_column(column, overflow="fold")
    for r in records[:200]:
        quantities = ", ".join(f"{k}={decimal_text(v)}" for k, v in r.quantities.items())
        table.add_row(
            r.sku,
            r.location or "",
            r.lot or "",
            r.as_of.isoformat() if r.as_of else "",
            f"{quantities} {r.uom or ''}".strip(),
            ", ".join(r.unmapped),
        )
    console = Console()
    console.print(table)
    if len(records) > 200:
        console.print(f"... {len(records) - 200} more (use --json for all)")
    for index, reason in skipped:
        console.print(f"[yellow]event {index} skipped[/]: {reason}")


# ---------------------------------------------------------------- bench


@bench.command("mapping")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--fields",
    type=click.IntRange(10_000, 1_000_000),
    default=10_000,
    show_default=True,
    help="Number of distinct field names to match.",
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 20),
    default=3,
    show_default=True,
    help="Rounds, each with a new matcher; the fastest is reported (with the median).",
)
def bench_mapping(as_json: bool, fields: int, rounds: int) -> None:
    """Matcher throughput (fields per second) on distinct, never-cached field names."""
    try:
        from benchmarks.mapping_bench import run
    except ImportError as exc:
        raise CliError(
            f"the benchmarks package is not importable ({exc}); reinstall with pip install -e ."
        ) from None
    with progress("mapping benchmark", fields * rounds, quiet=as_json) as advance:
        result = run(fields, rounds=rounds, advance=advance)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"mapping benchmark ({result['fields']} distinct field names, cold cache, "
        f"best of {result['rounds']} rounds)"
    )
    click.echo(f"  {result['fields_per_s']} fields/s ({result['seconds']} s)")
    click.echo(f"  median round: {result['fields_per_s_median']} fields/s")
    click.echo(f"  per CPU second of this process: {result['fields_per_cpu_s']} fields")
    click.echo(f"  matcher build (Turtle + label index): {result['matcher_build_ms']} ms")
    click.echo(f"  share answered with a concept: {result['answered_share']}")
