"""Reading partner CSV exports: decoding, header checks, rows as samples or records.

Hostile input (empty file, empty or duplicate column names, binary data, a header line
of megabytes) raises :class:`FieldInputError` with a clear message.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Final

from semantic_mapping._errors import FieldInputError
from semantic_mapping._normalise import nfkc

__all__ = [
    "MAX_COLUMNS",
    "MAX_HEADER_BYTES",
    "CsvExport",
    "decode_export",
    "parse_csv_header",
    "read_csv_records",
]

MAX_HEADER_BYTES: Final = 64 * 1024
MAX_COLUMNS: Final = 2000
MAX_FIELD_CHARS: Final = 100_000
#: Encodings of real exports: UTF-8 (with or without BOM), then GB18030 (superset of GBK,
#: the default of Chinese Excel and of most Chinese ERPs).
_ENCODINGS: Final = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class CsvExport:
    header: tuple[str, ...]
    rows: tuple[dict[str, str], ...]

    def samples(self, column: str, limit: int = 20) -> tuple[str, ...]:
        return tuple(r[column] for r in self.rows[:limit] if r.get(column))


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > len(head) // 100 + 1


def decode_export(data: bytes) -> str:
    if not data.strip():
        raise FieldInputError("the file is empty")
    first_line_end = data.find(b"\n")
    header_bytes = len(data) if first_line_end < 0 else first_line_end
    if header_bytes > MAX_HEADER_BYTES:
        raise FieldInputError(
            f"the header line is longer than {MAX_HEADER_BYTES} bytes; is this a CSV export?"
        )
    if _looks_binary(data):
        raise FieldInputError("the file looks binary (NUL or control bytes), not a CSV export")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FieldInputError("the file is neither UTF-8 nor GB18030 text")


def _check_header(header: list[str]) -> tuple[str, ...]:
    names = [nfkc(h) for h in header]
    if not names or all(not n for n in names):
        raise FieldInputError("the header is empty")
    if len(names) > MAX_COLUMNS:
        raise FieldInputError(f"the header has {len(names)} columns (limit {MAX_COLUMNS})")
    for position, name in enumerate(names, start=1):
        if not name:
            raise FieldInputError(f"column {position} of the header has no name")
        if any(ord(ch) < 32 for ch in name) or "\ufffd" in name:
            raise FieldInputError(f"column {position} name contains control or binary characters")
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise FieldInputError(
                f"duplicate column {name!r} (columns {seen[name]} and {position})"
            )
        seen[name] = position
    return tuple(names)


def read_csv_records(data: bytes, *, max_rows: int | None = None) -> CsvExport:
    """Header and rows of a CSV export (delimiter sniffed among , ; tab |)."""
    text = decode_export(data)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count) if any(c in first for c in ",;\t|") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header_row = next(reader, None)
        if header_row is None:
            raise FieldInputError("the file is empty")
        header = _check_header(header_row)
        rows: list[dict[str, str]] = []
        for line_no, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if any(len(cell) > MAX_FIELD_CHARS for cell in row):
                raise FieldInputError(f"line {line_no}: a cell is longer than {MAX_FIELD_CHARS}")
            if len(row) > len(header):
                raise FieldInputError(
                    f"line {line_no} has {len(row)} cells, the header {len(header)}"
                )
            rows.append({h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)})
            if max_rows is not None and len(rows) >= max_rows:
                break
    except csv.Error as exc:
        raise FieldInputError(f"malformed CSV: {exc}") from None
    return CsvExport(header=header, rows=tuple(rows))


def parse_csv_header(data: bytes) -> CsvExport:
    """Header plus the first rows (as samples) of a CSV export."""
    return read_csv_records(data, max_rows=50)
