"""`scnode map` and `scnode bench mapping` through click, with bad input of every kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli import main


def run(home: Path, *args: str, stdin: str | bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(home), *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_json_in_json_out_in_order(tmp_path: Path) -> None:
    items: list[dict[str, object]] = [
        {"name": "在库", "description": None, "samples": None},
        {"name": "Tax Code"},
        {"name": "可用数量(件)", "samples": [1, 2, 3]},
        {"name": "ExpDate", "description": "best before", "samples": ["2027-01-01"]},
    ]
    code, out = run(tmp_path, "map", "--json", stdin=json.dumps(items))
    assert code == 0
    answers = json.loads(out)
    assert [a["name"] for a in answers] == [i["name"] for i in items]
    assert [a["concept"] for a in answers] == ["available", "none", "available", "expiry_date"]
    for answer in answers:
        assert set(answer) == {"name", "concept", "confidence", "alternatives", "explanation"}
        assert 0.0 <= answer["confidence"] <= 1.0


def test_header_table_and_json(tmp_path: Path) -> None:
    csv_file = tmp_path / "export.csv"
    csv_file.write_text("物料编码,可用量,颜色\nM-1,10,red\n", encoding="utf-8")
    code, out = run(tmp_path, "map", "--header", str(csv_file))
    assert code == 0
    assert "Proposed mappings" in out
    assert "available" in out
    code, out = run(tmp_path, "map", "--json", "--header", str(csv_file))
    assert [a["concept"] for a in json.loads(out)] == ["sku", "available", "none"]


def test_gbk_export_is_read(tmp_path: Path) -> None:
    csv_file = tmp_path / "gbk.csv"
    csv_file.write_bytes("存货编码,现存数量\nA,1\n".encode("gbk"))
    code, out = run(tmp_path, "map", "--json", "--header", str(csv_file))
    assert code == 0
    assert [a["concept"] for a in json.loads(out)] == ["sku", "on_hand"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b",,\n1,2,3\n", "the header is empty"),
        (b"a,,c\n", "column 2 of the header has no name"),
        (b"qty,sku,qty\n1,2,3\n", "duplicate column 'qty'"),
        ("可用,可用\n".encode(), "duplicate column"),
        (b"\x00\x01\x02binary\xff\xfe" * 50, "looks binary"),
        (b"x" * (10 * 1024 * 1024) + b"\n1\n", "header line is longer"),
        (b"a,b\n1,2,3\n", "line 2 has 3 cells"),
    ],
)
def test_bad_headers_fail_clearly(tmp_path: Path, content: bytes, message: str) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_bytes(content)
    code, out = run(tmp_path, "map", "--header", str(csv_file))
    assert code == 1
    assert message in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{bad", "invalid JSON"),
        ("", "invalid JSON"),
        ('{"name": "x"}', "JSON array"),
        ("[1]", "item 0: each item must be an object"),
        ('[{"name": ""}]', "item 0: field name is empty"),
        ('[{"name": "ok"}, {"name": 3}]', "item 1"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        ("[" * 100_000, "invalid JSON"),
    ],
)
def test_bad_json_fails_clearly(tmp_path: Path, stdin: str | bytes, message: str) -> None:
    code, out = run(tmp_path, "map", "--json", stdin=stdin)
    assert code == 1
    assert message in out
    assert "Traceback" not in out


def test_map_without_input_mode_is_an_error(tmp_path: Path) -> None:
    code, out = run(tmp_path, "map")
    assert code == 1
    assert "--json" in out


def test_approve_then_apply_then_reuse(tmp_path: Path) -> None:
    export = tmp_path / "k.csv"
    export.write_text(
        "物料编码,仓库,可用量(箱),库存状态,数量,颜色\nM-1,WH1,10,ZP,5,red\nM-2,WH1,1,CC,2,blue\n",
        encoding="utf-8",
    )
    code, out = run(
        tmp_path,
        "map", "approve", "--source", "kd1", "--by", "alice", "--base-unit", "PCS",
        "--unit", "箱=24", "--field-unit", "可用量(箱)=箱",
        "物料编码=sku", "仓库=location", "可用量(箱)=available", "库存状态=stock_status",
        "数量=quantity", "--value", "库存状态:CC=damaged",
    )  # fmt: skip
    assert code == 0, out
    assert "profile kd1 v7" in out  # 5 fields, 1 value map, 1 unit
    code, out = run(tmp_path, "map", "apply", "--profile", "kd1", "--json", str(export))
    assert code == 0, out
    records = json.loads(out)["records"]
    assert records[0]["quantities"] == {"available": "245"}  # 10 boxes × 24 + 5 (ZP)
    assert records[1]["quantities"] == {"available": "24", "damaged": "2"}
    assert records[0]["unmapped"] == ["颜色"]
    # the approved mapping now answers for this source, with provenance
    code, out = run(tmp_path, "map", "--json", "--source", "kd1", stdin='[{"name": "可用量(箱)"}]')
    (answer,) = json.loads(out)
    assert answer["confidence"] == 1.0
    assert "approved in profile 'kd1'" in answer["explanation"]
    code, out = run(tmp_path, "map", "profiles")
    assert "kd1\tv7" in out
    code, out = run(tmp_path, "map", "profile", "kd1")
    assert "skos:exactMatch scn:available" in out


def test_add_label_extends_the_vocabulary_for_every_source(tmp_path: Path) -> None:
    item = '[{"name": "ZZ Frei Menge"}]'
    assert json.loads(run(tmp_path, "map", "--json", stdin=item)[1])[0]["concept"] == "none"
    code, _ = run(
        tmp_path, "map", "approve", "--source", "de1", "--by", "bob", "--add-label",
        "ZZ Frei Menge=available",
    )  # fmt: skip
    assert code == 0
    assert (tmp_path / "mapping" / "vocabulary-extension.ttl").exists()
    answer = json.loads(run(tmp_path, "map", "--json", stdin=item)[1])[0]
    assert answer["concept"] == "available"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "../evil", "--by", "a", "x=sku"], "source name"),
        (["--source", "s", "--by", "a", "x=nonexistent"], "unknown concept"),
        (["--source", "s", "--by", "a", "no-equals-sign"], "NAME=VALUE"),
        (["--source", "s", "--by", "a", "--unit", "箱=many"], "not a number"),
        (["--source", "s", "--by", "a", "--unit", "箱=-3"], "positive"),
        (["--source", "s", "--by", "a", "--value", "noColon=available"], "FIELD:VALUE"),
        (["--source", "s", "--by", "a"], "nothing to approve"),
    ],
)
def test_bad_approvals(tmp_path: Path, args: list[str], message: str) -> None:
    code, out = run(tmp_path, "map", "approve", *args)
    assert code == 1
    assert message in out


def test_apply_errors(tmp_path: Path) -> None:
    export = tmp_path / "x.csv"
    export.write_text("a,b\n1,2\n", encoding="utf-8")
    assert "--profile is required" in run(tmp_path, "map", "apply", str(export))[1]
    assert "no profile 'zz'" in run(tmp_path, "map", "apply", "--profile", "zz", str(export))[1]
    broken = tmp_path / "broken.ttl"
    broken.write_text("not turtle <<<", encoding="utf-8")
    code, out = run(tmp_path, "map", "apply", "--profile", str(broken), str(export))
    assert code == 1
    assert "not valid Turtle" in out
    bad_json = tmp_path / "x.json"
    bad_json.write_text("[1, 2]", encoding="utf-8")
    code, out = run(tmp_path, "map", "apply", str(bad_json))
    assert "array of objects or an EPCIS document" in out


def test_apply_epcis_document(tmp_path: Path) -> None:
    from tests.conftest import shared_path

    document = shared_path(
        "interop", "epcis", "openepcis-test-resources", "JSON", "Capture", "Documents",
        "ObjectEvent.json",
    )  # fmt: skip
    code, out = run(tmp_path, "map", "apply", "--json", str(document))
    assert code == 0, out
    records = json.loads(out)["records"]
    buckets = sorted(next(iter(r["quantities"])) for r in records)
    assert set(buckets) <= {"in_transit", "on_hand"}
    assert buckets


def test_bench_mapping_json(tmp_path: Path) -> None:
    code, out = run(tmp_path, "bench", "mapping", "--json", "--rounds", "1")
    assert code == 0
    figures = json.loads(out)
    assert figures["fields"] >= 10_000
    assert figures["distinct_names"] == figures["fields"]
    assert figures["fields_per_s"] > 0
    assert figures["fields_per_cpu_s"] > 0


def test_apply_json_array_export(tmp_path: Path) -> None:
    code, _ = run(
        tmp_path, "map", "approve", "--source", "shop", "--by", "a",
        "sku=sku", "available=available", "updated_at=timestamp",
    )  # fmt: skip
    assert code == 0
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(
            [
                {"sku": "A", "available": 3, "updated_at": "2026-11-20T08:00:00Z", "tags": "x"},
                {"sku": "B", "available": "4.50", "updated_at": "2026-11-20T09:00:00+08:00"},
            ]
        ),
        encoding="utf-8",
    )
    code, out = run(tmp_path, "map", "apply", "--profile", "shop", "--json", str(export))
    assert code == 0, out
    first, second = json.loads(out)["records"]
    assert first["quantities"] == {"available": "3"}
    assert first["unmapped"] == ["tags"]
    assert second["quantities"] == {"available": "4.5"}
    assert second["as_of"] == "2026-11-20T09:00:00+08:00"
    code, out = run(tmp_path, "map", "apply", "--profile", "shop", str(export))
    assert code == 0
    assert "2 canonical records" in out


def test_help_lists_the_commands(tmp_path: Path) -> None:
    code, out = run(tmp_path, "map", "--help")
    assert code == 0
    for command in ("apply", "approve", "profile", "profiles"):
        assert command in out
