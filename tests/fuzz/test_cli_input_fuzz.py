"""``scnode map --json`` reads partners' field lists on standard input: mutations of a
valid list end in a result or a one-line error (exit 1), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from node.cli import main
from tests.fuzz.domain import DERANDOMIZE, examples
from tests.fuzz.mutations import json_bytes, mutated_bytes, mutated_json

EXAMPLES = examples(15)
FIELDS = [
    {"name": "现存量", "description": "on hand", "samples": ["1,200", "35"]},
    {"name": "Available Stock", "samples": ["12"]},
    {"name": "LABST"},
]


def _map(home: Path, stdin: bytes) -> tuple[int, BaseException | None, str]:
    result = CliRunner().invoke(main, ["--home", str(home), "map", "--json"], input=stdin)
    return result.exit_code, result.exception, result.output


def test_the_valid_list_maps(tmp_path: Path) -> None:
    code, _exc, output = _map(tmp_path, json.dumps(FIELDS).encode())
    assert code == 0, output
    assert len(json.loads(output)) == len(FIELDS)


@settings(
    derandomize=DERANDOMIZE,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(stdin=mutated_json(FIELDS, max_edits=3).map(json_bytes) | mutated_bytes(json_bytes(FIELDS)))
def test_mutated_field_lists(tmp_path: Path, stdin: bytes) -> None:
    code, exc, output = _map(tmp_path, stdin)
    assert exc is None or isinstance(exc, SystemExit), repr(exc)
    assert code in (0, 1), output
    if code == 1:
        assert output.startswith("Error: "), output
        assert "Traceback" not in output


def test_a_huge_number_on_standard_input(tmp_path: Path) -> None:
    code, exc, output = _map(tmp_path, b'[{"name": "x", "samples": [' + b"9" * 5000 + b"]}]")
    assert exc is None or isinstance(exc, SystemExit), repr(exc)
    assert code == 1, output


def test_a_lone_surrogate_on_standard_input(tmp_path: Path) -> None:
    code, exc, output = _map(tmp_path, b'[{"name": "x\\ud800", "samples": ["a"]}]')
    assert exc is None or isinstance(exc, SystemExit), repr(exc)
    assert code == 1, output
    assert output.startswith("Error: "), output
