"""CSV exports: decoding, header checks, samples; hostile bytes give FieldInputError only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semantic_mapping import FieldInputError, parse_csv_header, read_csv_records
from semantic_mapping._header import MAX_COLUMNS, MAX_HEADER_BYTES


def test_header_rows_and_samples() -> None:
    export = parse_csv_header("物料编码,可用量\nA,1\nB,\n".encode())
    assert export.header == ("物料编码", "可用量")
    assert export.samples("可用量") == ("1",)
    assert export.rows[1] == {"物料编码": "B", "可用量": ""}


@pytest.mark.parametrize(
    ("data", "delimiter_header"),
    [
        (b"a;b;c\n1;2;3\n", ("a", "b", "c")),
        (b"a\tb\n1\t2\n", ("a", "b")),
        (b"a|b\n1|2\n", ("a", "b")),
        ("\ufeffsku,qty\n".encode(), ("sku", "qty")),
        ("ＳＫＵ,可用数量（件）\n".encode(), ("SKU", "可用数量(件)")),
        ("商品编码,库存\n".encode("gb18030"), ("商品编码", "库存")),
    ],
)
def test_delimiters_bom_full_width_and_gbk(data: bytes, delimiter_header: tuple[str, ...]) -> None:
    assert parse_csv_header(data).header == delimiter_header


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b",\n", "header is empty"),
        (b"a,,b\n", "column 2"),
        (b"a,b,a\n", "duplicate column 'a'"),
        ("Ａ,A\n".encode(), "duplicate column 'A'"),
        (b"a\x00b,c\n", "binary"),
        (bytes(range(256)) * 4, "binary"),
        (b"h" * (MAX_HEADER_BYTES + 1), "longer than"),
        (b"h" * (10 * 1024 * 1024) + b"\nrow\n", "longer than"),
        (",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)).encode(), "columns"),
        (b'a,b\n"unterminated,1\n', "malformed CSV"),
        (b"a\n" + b"x" * 100_001 + b"\n", "longer than 100000"),
    ],
)
def test_bad_exports(data: bytes, message: str) -> None:
    with pytest.raises(FieldInputError, match=message):
        read_csv_records(data)


def test_max_rows() -> None:
    data = b"a\n" + b"1\n" * 500
    assert len(read_csv_records(data, max_rows=50).rows) == 50
    assert len(read_csv_records(data).rows) == 500


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_fuzzed_bytes_parse_or_raise_the_domain_error(data: bytes) -> None:
    try:
        export = read_csv_records(data)
    except FieldInputError:
        return
    assert export.header
    assert len(set(export.header)) == len(export.header)
