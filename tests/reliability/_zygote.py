"""A pre-imported parent that forks node servers on request, so that a restart after
``kill -9`` costs a fork instead of a fresh interpreter importing everything.

Run as ``python -m tests.reliability._zygote [SCRATCH_HOME SNAPSHOT_JSON]`` with the
node's ``SCNODE_*`` variables set (a scratch node's home and a snapshot to publish
there first warm the caches). Each line ``start PORT`` on stdin forks a child that
leads its own process group, builds the app from the environment and serves it with
uvicorn on 127.0.0.1:PORT; the child's pid is written back as one line. Children are reaped
automatically; the parent exits when stdin closes.
"""

from __future__ import annotations

import os
import signal
import sys

import uvicorn
import uvicorn.lifespan.on
import uvicorn.loops.auto
import uvicorn.protocols.http.auto
import uvicorn.protocols.websockets.auto

import node.app
import node.documents
import node.inventory
import node.outbox
import zk

#: imported here once so that every forked server starts warm
PRELOADED = (node.app, node.documents, node.inventory, node.outbox, zk)


def _serve(port: int) -> None:
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    app = node.app.app_from_environment()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


def _warm(home: str, snapshot: str) -> None:
    """Publish once on a scratch node: fills the per-process caches (curve generators,
    vocabulary) that the forked servers then share, as a long-running server would."""
    from ledger.storage import LedgerStore
    from node.app import make_engine
    from node.inventory import open_publisher
    from node.keys import load_keys
    from node.settings import load_settings

    served = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("SCNODE_")}
    try:  # the scratch node's own settings, not the served node's
        settings = load_settings(home=home, run_migrations=False)
    finally:
        os.environ.update(served)
    engine = make_engine(settings.database_url)
    try:
        keys = load_keys(settings.home)
        publisher = open_publisher(
            engine=engine,
            store=LedgerStore.open(engine, settings.node_name),
            signers=keys.signers,
            home=settings.home,
        )
        publisher.publish(snapshot.encode(), "application/json", None, published_by="warm-up")
    finally:
        engine.dispose()


def main() -> None:
    if len(sys.argv) > 1:
        _warm(sys.argv[1], sys.argv[2])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children are reaped at once
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command != "start":
            continue
        pid = os.fork()
        if pid == 0:
            try:
                _serve(int(arg))
            finally:
                os._exit(0)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
