"""A node that can be killed with SIGKILL and restarted on the same home and database.

The node's servers are forked by :mod:`tests.reliability._zygote` (a parent that
imported everything once); each server is its own process and process group, so
``kill -9`` takes it down exactly as it would a production process, mid-write.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from node.settings import load_settings
from tests.node.test_witness_helpers import Node

START_LIMIT_S = 60.0
REPO = Path(__file__).resolve().parents[2]


class CrashableServer:
    """Serves ``node`` (its home, its port) in forked processes that can be killed."""

    def __init__(self, node: Node, warm: tuple[Path, str] | None = None) -> None:
        self.node = node
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCNODE_")}
        env.update(load_settings(home=node.home).as_environment())
        env["SCNODE_RUN_MIGRATIONS"] = "false"  # `scnode init` migrated the database
        self.zygote = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability._zygote", *map(str, warm or ())],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.pid: int | None = None
        self.starts: list[float] = []  # seconds from fork to a healthy /healthz

    def start(self) -> None:
        stdin, stdout = self.zygote.stdin, self.zygote.stdout
        if stdin is None or stdout is None:
            raise AssertionError("zygote pipes missing")
        began = time.monotonic()
        stdin.write(f"start {self.node.port}\n")
        stdin.flush()
        self.pid = int(stdout.readline())
        deadline = began + START_LIMIT_S
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError("node server exited while starting")
            try:
                if httpx.get(f"{self.node.url}/healthz", timeout=1.0).status_code == 200:
                    self.starts.append(time.monotonic() - began)
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise AssertionError("node server did not become healthy")

    def alive(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill9(self) -> None:
        """SIGKILL the server's whole process group and wait until it is gone."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.alive():
            if time.monotonic() > deadline:
                raise AssertionError("killed server still running")
            time.sleep(0.01)
        self.pid = None

    def close(self) -> None:
        self.kill9()
        if self.zygote.stdin is not None:
            self.zygote.stdin.close()
        try:
            self.zygote.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.zygote.kill()
            self.zygote.wait()
