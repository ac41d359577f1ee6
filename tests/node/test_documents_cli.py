"""``scnode po|doc|epcis`` against two real nodes on loopback; bad input gives one
clear line and exit status 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli import main
from tests.conftest import shared_path
from tests.node.documents_support import ack, desadv, peer_id, po, recadv
from tests.node.test_witness_helpers import Node, network

SCHEMA = (
    "interop",
    "epcis",
    "openepcis-document-validation-service",
    "json-schema",
    "epcis-json-schema.json",
)
HASHES = ("interop", "epcis", "epcis-event-hash-generator", "examples")


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Node]]:
    yield from network(tmp_path, "buyer.example/node", "supplier.example/node")


def _run(node: Node, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(node.home), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _file(tmp_path: Path, name: str, body: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return str(path)


def test_cycle_from_the_shell(pair: list[Node], tmp_path: Path) -> None:
    buyer, supplier = pair
    to_supplier, to_buyer = peer_id(buyer, supplier), peer_id(supplier, buyer)
    code, out = _run(
        buyer, "po", "create", "--to", to_supplier, "--file",
        _file(tmp_path, "po.json", po("PO-C", [(1, "SKU-A", 4)])), "--json",
    )  # fmt: skip
    assert code == 0, out
    created = json.loads(out)
    assert created["delivered_ms"] is not None
    steps = (
        (supplier, to_buyer, ack("PO-C")),
        (supplier, to_buyer, desadv("PO-C", "D-C", [(1, "SKU-A", 4)])),
        (buyer, to_supplier, recadv("PO-C", "D-C", "R-C", [(1, "SKU-A", 3, 0, 0)])),
    )
    for i, (node, to, body) in enumerate(steps):
        code, out = _run(
            node, "doc", "send", "--to", to, "--file", _file(tmp_path, f"{i}.json", body)
        )
        assert code == 0, out
        assert "delivered" in out
    assert "finding document.receipt_mismatch" in out
    code, out = _run(supplier, "doc", "list", "--json")
    listed = json.loads(out)
    assert [d["doc_id"] for d in listed] == [
        "po:PO-C:v1",
        "ack:PO-C:v1",
        "desadv:D-C",
        "recadv:R-C",
    ]
    code, out = _run(supplier, "doc", "show", created["hash"])
    assert code == 0
    assert json.loads(out)["document"]["lines"][0]["quantity_ordered"] == 4
    schema = str(shared_path(*SCHEMA))
    exported = tmp_path / "out.jsonld"
    code, out = _run(
        buyer, "epcis", "export", "--chain", "buyer.example/node/PO-C", "--schema", schema,
        "--out", str(exported),
    )  # fmt: skip
    assert code == 0, out
    code, out = _run(buyer, "epcis", "import", str(exported), "--schema", schema, "--json")
    assert code == 0, out
    buckets = sorted((b, q) for r in json.loads(out)["records"] for b, q in r["quantities"].items())
    assert buckets == [("available", "3"), ("in_transit", "4")]
    code, out = _run(buyer, "doc", "deliver", "--json")
    assert code == 0
    assert json.loads(out)["delivered"] == 0


def test_bad_input_is_one_clear_line(pair: list[Node], tmp_path: Path) -> None:
    buyer, supplier = pair
    to_supplier = peer_id(buyer, supplier)
    schema = str(shared_path(*SCHEMA))
    invalid = shared_path(
        "interop", "epcis", "openepcis-test-resources", "JSON", "Capture", "Invalid",
        "ObjectEvent_with_invalid_action.json",
    )  # fmt: skip
    cases = [
        (
            (
                "po",
                "create",
                "--to",
                "0" * 16,
                "--file",
                _file(tmp_path, "a.json", po("P", [(1, "A", 1)])),
            ),
            "no peer",
        ),
        (
            ("po", "create", "--to", to_supplier, "--file", str(tmp_path / "missing.json")),
            "cannot read",
        ),
        (
            ("doc", "send", "--to", to_supplier, "--file", _file(tmp_path, "b.json", [1])),
            "JSON object",
        ),
        (
            ("doc", "send", "--to", to_supplier, "--file", _file(tmp_path, "c.json", ack("P"))),
            "unknown purchase order",
        ),
        (
            (
                "doc",
                "send",
                "--to",
                to_supplier,
                "--file",
                _file(tmp_path, "d.json", {"type": "x"}),
            ),
            "type",
        ),
        (("doc", "show", "nothing"), "no document"),
        (
            ("epcis", "import", str(invalid), "--schema", schema),
            "refused: $.epcisBody.eventList[0].action",
        ),
        (("epcis", "import", str(invalid)), "no EPCIS 2.0 JSON schema configured"),
        (("epcis", "export", "--chain", "x/y", "--schema", schema), "no documents"),
    ]
    for args, needle in cases:
        code, out = _run(buyer, *args)
        assert code == 1, (args, out)
        assert needle in out, (args, out)
        assert "Traceback" not in out


def test_hash_command_reproduces_the_reference_ids(tmp_path: Path) -> None:
    path = shared_path(*HASHES, "epcisDocWithVariousEventTypes.jsonld")
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "epcis", "hash", str(path)])
    assert result.exit_code == 0
    assert result.output.split() == path.with_suffix(".hashes").read_text().split()


def test_evidence_from_both_sides_checks_offline(pair: list[Node], tmp_path: Path) -> None:
    buyer, supplier = pair
    body = _file(tmp_path, "po.json", po("PO-V", [(1, "SKU-A", 4)]))
    code, out = _run(
        buyer, "po", "create", "--to", peer_id(buyer, supplier), "--file", body, "--json"
    )
    assert code == 0, out
    digest = json.loads(out)["hash"]
    code, out = _run(buyer, "doc", "prove", digest)
    assert code == 1
    assert "no signed checkpoint covers" in out
    files = {}
    for node in pair:
        latest = node.store.checkpoint()
        now = 1 if latest is None else latest.signed_ms + 1
        node.store.sign_checkpoint(node.keys.signers(now), now)
        files[node.name] = tmp_path / f"{node.name.split('.')[0]}.json"
        code, out = _run(node, "doc", "prove", digest, "--out", str(files[node.name]))
        assert code == 0, out
    for node, kind in ((buyer, "document.sent"), (supplier, "document.received")):
        code, out = _run(
            node, "doc", "check", str(files[node.name]), "--author-vkey", buyer.vkey,
            "--log-vkey", node.vkey, "--json",
        )  # fmt: skip
        assert code == 0, out
        report = json.loads(out)
        assert (report["hash"], report["kind"], report["recorded_by"]) == (digest, kind, node.name)
    # tamperings: another node's log key, the supplier posing as author, a changed proof or entry
    evidence = json.loads(files[supplier.name].read_text())
    bad_proof = dict(
        evidence, proof=[evidence["proof"][0][::-1]] if evidence["proof"] else ["AAAA"]
    )
    bad_index = dict(evidence, index=evidence["index"] + 1)
    cases = [
        (files[supplier.name], buyer.vkey, buyer.vkey),
        (files[supplier.name], supplier.vkey, supplier.vkey),
        (Path(_file(tmp_path, "p.json", bad_proof)), buyer.vkey, supplier.vkey),
        (Path(_file(tmp_path, "i.json", bad_index)), buyer.vkey, supplier.vkey),
    ]
    for path, author, log in cases:
        code, out = _run(
            supplier, "doc", "check", str(path), "--author-vkey", author, "--log-vkey", log
        )
        assert code == 1, (path, out)
        assert "evidence refused" in out


def test_stock_positions_as_epcis(tmp_path: Path) -> None:
    schema = str(shared_path(*SCHEMA))
    rows = [
        {
            "sku": "SKU-A",
            "location": "WH-1",
            "as_of": "2026-03-01T08:00:00+08:00",
            "quantities": {"available": 10, "in_inspection": 2, "blocked": 1},
        }
    ]
    home = ["--home", str(tmp_path)]
    result = CliRunner().invoke(
        main, [*home, "epcis", "stock", _file(tmp_path, "s.json", rows), "--schema", schema]
    )
    assert result.exit_code == 0, result.output
    exported = tmp_path / "stock.jsonld"
    exported.write_text(result.output)
    back = CliRunner().invoke(
        main, [*home, "epcis", "import", str(exported), "--schema", schema, "--json"]
    )
    assert back.exit_code == 0, back.output
    got = sorted(
        (b, q) for r in json.loads(back.output)["records"] for b, q in r["quantities"].items()
    )
    assert got == [("available", "10"), ("blocked", "1"), ("in_inspection", "2")]
    for bad, needle in (
        ([{"sku": "A", "as_of": "x", "quantities": {"available": 1}}], "not an RFC 3339 time"),
        (
            [{"sku": "A", "as_of": "2026-03-01T00:00:00Z", "quantities": {"on_order": 1}}],
            "no CBV disposition",
        ),
        (
            [{"sku": "A", "as_of": "2026-03-01T00:00:00Z", "quantities": {"available": 1.5}}],
            "whole number",
        ),
        ({"sku": "A"}, "JSON list"),
    ):
        result = CliRunner().invoke(
            main, [*home, "epcis", "stock", _file(tmp_path, "b.json", bad), "--schema", schema]
        )
        assert result.exit_code == 1
        assert needle in result.output
