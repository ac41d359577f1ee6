"""Importing zk must not change interpreter-wide settings (py-ecc's recursion limit)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_zk_keeps_the_recursion_limit() -> None:
    code = (
        "import sys; before = sys.getrecursionlimit(); import zk; "
        "print(before, sys.getrecursionlimit())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.split()
    assert before == after


def test_deeply_nested_json_raises_instead_of_crashing_after_importing_zk() -> None:
    code = (
        "import json, zk\n"
        "try:\n"
        "    json.loads('[' * 200000 + ']' * 200000)\n"
        "except RecursionError:\n"
        "    print('recursion-error')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-500:]
    assert json.dumps(out.stdout.strip()) == '"recursion-error"'
