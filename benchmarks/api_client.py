"""The load client of ``scnode bench api``: lean HTTP/1.1 over raw asyncio.

A general-purpose client (httpx) spends several milliseconds of CPU per request,
more than the server it measures, and it shares the machine's cores with that
server. This client keeps the cost per request small: each connection is an
``asyncio.Protocol`` on a keep-alive HTTP/1.1 connection with one request in
flight, requests are prepared bytes, and a response is read by its
``Content-Length`` (every answer of the node has one). The connections are spread
over several client processes (``python -c``, talking JSON lines over their
stdin/stdout), which connect, start together, run for the same wall-clock window
and report their latencies.

Nothing here imports the node: a client process loads this module (and, for the
witness load, :mod:`ledger` to sign its logs' checkpoints).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Literal, cast

__all__ = ["ClientError", "LoadResult", "LoadSpec", "client_main", "run_load"]

CONNECT_TIMEOUT_S = 30.0
REPLY_TIMEOUT_S = 60.0
MAX_HEADER_BYTES = 64 * 1024
LoadKind = Literal["reads", "witness"]


class ClientError(RuntimeError):
    """The load could not run (a client process failed, a connection broke)."""


@dataclass(frozen=True)
class LoadSpec:
    """What one client process does.

    ``reads``: each connection sends ``GET /v1/ledger/checkpoint`` or
    ``GET /v1/ledger/proof/inclusion?index=`` (random index below ``size``), half
    and half, with ``token``. ``witness``: connection ``i`` grows the log of
    ``logs[i]`` (origin, seed) by one leaf per request and sends its
    ``add-checkpoint`` with a consistency proof from the previous size.
    """

    kind: LoadKind
    host: str
    port: int
    duration_s: float
    connections: int = 1
    token: str = ""
    size: int = 1
    seed: int = 1
    logs: tuple[tuple[str, bytes], ...] = ()


@dataclass
class LoadResult:
    """Latencies of the successful (HTTP 200) requests and the window they ran in."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    started: float = 0.0
    ended: float = 0.0


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # a TCP connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ClientError(f"the server closed the connection ({exc or 'EOF'})"))

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEADER_BYTES:
                self._fail(ClientError("response header is too long"))
            return
        lines = bytes(self._buffer[:end]).split(b"\r\n")
        try:
            status = int(lines[0].split(b" ", 2)[1])
            length = next(
                int(value)
                for name, _, value in (line.partition(b":") for line in lines[1:])
                if name.strip().lower() == b"content-length"
            )
        except (IndexError, ValueError, StopIteration):
            self._fail(ClientError(f"unusable response head {lines[0][:80]!r}"))
            return
        total = end + 4 + length
        if len(self._buffer) < total:
            return
        body = bytes(self._buffer[end + 4 : total])
        del self._buffer[:total]
        waiter.set_result((status, body))

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        if self._transport is None or self._transport.is_closing():
            raise ClientError("the connection is closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _get(path: str, host: str, token: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n").encode(
        "ascii"
    )


def _post(path: str, host: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _request_makers(spec: LoadSpec) -> list[Callable[[], bytes]]:
    """One request maker per connection."""
    host = f"{spec.host}:{spec.port}"
    if spec.kind == "reads":
        rng = random.Random(spec.seed)
        checkpoint = _get("/v1/ledger/checkpoint", host, spec.token)
        proofs = [
            _get(f"/v1/ledger/proof/inclusion?index={i}", host, spec.token)
            for i in range(min(spec.size, 4096))
        ]

        def read() -> bytes:
            return checkpoint if rng.random() < 0.5 else rng.choice(proofs)

        return [read] * spec.connections
    from benchmarks.api_log import GrowingLog

    def witness(log: GrowingLog) -> Callable[[], bytes]:
        return lambda: _post("/v1/witness/add-checkpoint", host, log.grow())

    return [witness(GrowingLog(origin, seed=seed)) for origin, seed in spec.logs]


async def _drive(spec: LoadSpec, ready: Callable[[], None]) -> LoadResult:
    loop = asyncio.get_running_loop()
    makers = _request_makers(spec)
    conns: list[_Connection] = []
    for _ in makers:
        _, conn = await asyncio.wait_for(
            loop.create_connection(_Connection, spec.host, spec.port), CONNECT_TIMEOUT_S
        )
        conns.append(conn)
    result = LoadResult()
    await loop.run_in_executor(None, ready)
    result.started = time.monotonic()
    deadline = result.started + spec.duration_s

    async def run(conn: _Connection, make: Callable[[], bytes]) -> None:
        while time.monotonic() < deadline:
            request = make()
            t0 = time.perf_counter()
            status, body = await asyncio.wait_for(conn.send(request), REPLY_TIMEOUT_S)
            elapsed = (time.perf_counter() - t0) * 1000
            if status == 200:
                result.latencies_ms.append(elapsed)
            else:
                result.errors += 1
                if not result.first_error:
                    result.first_error = f"HTTP {status}: {body[:200].decode(errors='replace')}"

    try:
        await asyncio.gather(*(run(c, m) for c, m in zip(conns, makers, strict=True)))
    finally:
        result.ended = time.monotonic()
        for conn in conns:
            conn.close()
    return result


def _spec_from_json(text: str) -> LoadSpec:
    raw = json.loads(text)
    logs = tuple((str(origin), bytes.fromhex(seed)) for origin, seed in raw.pop("logs"))
    return LoadSpec(**raw, logs=logs)


def _spec_to_json(spec: LoadSpec) -> str:
    raw = dataclasses.asdict(spec)
    raw["logs"] = [[origin, seed.hex()] for origin, seed in spec.logs]
    return json.dumps(raw)


def _wait_for_go() -> None:
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if sys.stdin.readline().strip() != "go":
        raise ClientError("the benchmark did not start this client")


def client_main() -> None:
    """A client process (``python -m benchmarks.api_client``): the spec as one JSON
    line on stdin; ``ready`` on stdout once connected; ``go`` on stdin starts the
    load; the result as one JSON line on stdout."""
    try:
        spec = _spec_from_json(sys.stdin.readline())
        result = asyncio.run(_drive(spec, _wait_for_go))
        line = json.dumps({"result": dataclasses.asdict(result)})
    except Exception as exc:  # noqa: BLE001  reported to the parent, which raises
        line = json.dumps({"error": f"{exc.__class__.__name__}: {exc}"})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _pipes(proc: subprocess.Popen[str]) -> tuple[IO[str], IO[str]]:
    if proc.stdin is None or proc.stdout is None:
        raise ClientError("a client process has no pipes")
    return proc.stdin, proc.stdout


def _read_line(proc: subprocess.Popen[str], what: str) -> str:
    line = _pipes(proc)[1].readline()
    if not line:
        raise ClientError(f"a client process exited before {what} (status {proc.wait()})")
    return line


def run_load(specs: list[LoadSpec]) -> LoadResult:
    """Run one client process per spec at once; their merged result.

    The window is from the earliest start to the latest end (clock
    ``time.monotonic``, shared by the machine's processes)."""
    command = [sys.executable, "-c", "from benchmarks.api_client import client_main; client_main()"]
    procs = [
        subprocess.Popen(  # noqa: S603  (our own interpreter, fixed arguments)
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in specs
    ]
    parts: list[LoadResult] = []
    try:
        for proc, spec in zip(procs, specs, strict=True):
            stdin = _pipes(proc)[0]
            stdin.write(_spec_to_json(spec) + "\n")
            stdin.flush()
        for proc in procs:
            if _read_line(proc, "connecting").strip() != "ready":
                raise ClientError("a client process could not connect")
        for proc in procs:
            stdin = _pipes(proc)[0]
            stdin.write("go\n")
            stdin.flush()
        for proc in procs:
            got = json.loads(_read_line(proc, "reporting"))
            if "error" in got:
                raise ClientError(f"a client process failed: {got['error']}")
            parts.append(LoadResult(**got["result"]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
    merged = LoadResult(started=min(p.started for p in parts), ended=max(p.ended for p in parts))
    for p in parts:
        merged.latencies_ms.extend(p.latencies_ms)
        merged.errors += p.errors
        merged.first_error = merged.first_error or p.first_error
    return merged
