"""This node's ledger over HTTP: checkpoint, entries, proofs, evidence bundles.

Authenticated callers (API token of any role, or a signed peer request) read
what the disclosure policy's ledger rule of their role lets them
(:func:`node.disclosure.evaluate` with a :class:`~node.disclosure.LedgerItem`):
the checkpoint and proofs, and entries by kind. An entry of a kind the caller may
not read is refused (403) by index, left out of listings, and refused in bundles.

Reads never sign: the checkpoint served is the latest one the node signed (read
on every request: nothing is cached, so a new checkpoint, cosignature or
re-signing after a key rotation shows on the next request in every worker), and
bundles are built against it. The two hot reads, the checkpoint and an inclusion
proof against it, are one or two single statements (:class:`LogReads`), run on
the event loop for SQLite (a local indexed lookup costs less than a hop to a
worker thread) and in a worker thread for other databases.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from ledger import KEY_ROTATE_KIND, StorageError, TlogProof, build_bundle
from ledger.storage import LedgerStore, LogReads, StoredCheckpoint, StoredEntry
from node.api.deps import CurrentPrincipal, PolicyDep
from node.api.ledger_schemas import (
    ConsistencyProofPublic,
    EntryPage,
    EntryPublic,
    InclusionProofPublic,
    b64,
)
from node.api.node_log import NodeLog, get_node_log
from node.api.problems import ProblemError, problem_responses
from node.auth.principal import Principal
from node.disclosure import PROOFS, Caller, LedgerItem, Policy, evaluate

__all__ = ["MAX_BUNDLE_ENTRIES", "MAX_PAGE", "parse_entries_spec", "router"]

MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_BUNDLE_ENTRIES = 10_000
MAX_SPEC_LENGTH = 2000

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])
_READ_ERRORS = problem_responses(401, 403, 422, 503)
T = TypeVar("T")


async def _node_log(request: Request) -> NodeLog:
    # get_node_log itself, called on the event loop (as a plain ``def`` dependency
    # it would cost a hop to a worker thread per request)
    return get_node_log(request)


NodeLogDep = Annotated[NodeLog, Depends(_node_log)]


def _not_found(detail: str) -> ProblemError:
    return ProblemError(404, "ledger-not-found", detail, title="Not in the ledger")


def _may_read(policy: Policy, who: Principal, item: LedgerItem) -> bool:
    return evaluate(policy, Caller(who.role, who.name), item).ledger


def _require(policy: Policy, who: Principal, item: LedgerItem, what: str) -> None:
    """403 unless the disclosure policy lets ``who`` read ``item``."""
    if not _may_read(policy, who, item):
        raise ProblemError(
            403,
            "not-disclosed",
            f"{what} is not disclosed to role {who.role.value}",
            title="Not disclosed",
        )


_readers: weakref.WeakKeyDictionary[LedgerStore, LogReads] = weakref.WeakKeyDictionary()
_readers_lock = threading.Lock()


def _reads(store: LedgerStore) -> LogReads:
    with _readers_lock:
        reads = _readers.get(store)
        if reads is None:
            reads = _readers[store] = LogReads(store.engine, store.log_id)
        return reads


async def _run(store: LedgerStore, read: Callable[[], T]) -> T:
    """``read()`` on the event loop for SQLite, else in a worker thread."""
    if store.engine.dialect.name == "sqlite":
        return read()
    return await run_in_threadpool(read)


def _latest(store: LedgerStore) -> StoredCheckpoint:
    checkpoint = store.checkpoint()
    if checkpoint is None:
        raise _not_found("no signed checkpoint yet")
    return checkpoint


def _checkpoint_of_size(store: LedgerStore, size: int) -> StoredCheckpoint | None:
    try:
        return store.checkpoint_at(size)
    except StorageError:
        return None


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "The latest signed checkpoint (C2SP signed note, with cosignatures)",
        },
        **problem_responses(401, 403, 404, 503),
    },
)
async def checkpoint(
    node_log: NodeLogDep, who: CurrentPrincipal, policy: PolicyDep
) -> PlainTextResponse:
    """The latest signed checkpoint, as C2SP tlog-checkpoint signed-note text."""
    _require(policy, who, PROOFS, "the checkpoint")
    store = node_log.store()
    latest = await _run(store, _reads(store).latest_checkpoint)
    if latest is None:
        raise _not_found("no signed checkpoint yet")
    return PlainTextResponse(latest.text)


@router.get(
    "/entries/{index}",
    response_model=EntryPublic,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def entry(
    index: Annotated[int, Path(ge=0, description="Entry index")],
    node_log: NodeLogDep,
    who: CurrentPrincipal,
    policy: PolicyDep,
) -> EntryPublic:
    """One entry by index (its leaf and body are null once the payload was deleted);
    403 if the caller's role may not read entries of its kind."""
    store = node_log.store()
    size = store.size()
    if index >= size:
        raise _not_found(f"no entry {index}: the log has {size} entries")
    stored = store.entry(index)
    _require(policy, who, LedgerItem(stored.kind), f"entry {index}")
    return EntryPublic.of(stored)


@router.get(
    "/entries", response_model=EntryPage, responses=problem_responses(400, 401, 403, 422, 503)
)
def entries(
    node_log: NodeLogDep,
    who: CurrentPrincipal,
    policy: PolicyDep,
    start: Annotated[int, Query(ge=0, description="First index")] = 0,
    end: Annotated[
        int | None, Query(ge=0, description=f"One past the last index (at most start+{MAX_PAGE})")
    ] = None,
) -> EntryPage:
    """Entries ``start <= index < end`` in order; ``end`` is capped at the log size.
    Entries of kinds the caller's role may not read are left out."""
    if end is not None and end < start:
        raise ProblemError(400, "bad-range", "end must not be below start", title="Bad range")
    if end is not None and end - start > MAX_PAGE:
        raise ProblemError(
            400, "bad-range", f"at most {MAX_PAGE} entries per request", title="Bad range"
        )
    store = node_log.store()
    size = store.size()
    stop = min(size, start + DEFAULT_PAGE if end is None else end)
    listed = store.entries(start, stop) if start < stop else []
    shown = [EntryPublic.of(e) for e in listed if _may_read(policy, who, LedgerItem(e.kind))]
    return EntryPage(size=size, start=start, end=max(start, stop), entries=shown)


@router.get(
    "/proof/inclusion",
    response_model=InclusionProofPublic,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def inclusion_proof(
    node_log: NodeLogDep,
    who: CurrentPrincipal,
    policy: PolicyDep,
    index: Annotated[int, Query(ge=0, description="Entry index")],
    size: Annotated[
        int | None, Query(ge=1, description="Tree size; default: the latest checkpoint's")
    ] = None,
) -> Response:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` leaves."""
    _require(policy, who, PROOFS, "an inclusion proof")
    store = node_log.store()
    if size is not None:
        return await run_in_threadpool(_inclusion_at, store, index, size)
    reads = _reads(store)
    signed = await _run(store, reads.latest_checkpoint)
    if signed is None:
        raise _not_found("no signed checkpoint yet")
    if index >= signed.size:
        raise _not_found(f"entry {index} is not in the tree of size {signed.size}")
    leaf, proof = await _run(store, lambda: reads.inclusion(index, signed.size))
    return _inclusion_response(
        index, size=signed.size, leaf=leaf, root=signed.root, proof=proof, signed=signed
    )


def _inclusion_at(store: LedgerStore, index: int, size: int) -> Response:
    log_size = store.size()
    if size > log_size:
        raise _not_found(f"tree size {size} is beyond the log ({log_size} entries)")
    if index >= size:
        raise _not_found(f"entry {index} is not in the tree of size {size}")
    signed = _checkpoint_of_size(store, size)
    leaf, proof = _reads(store).inclusion(index, size)
    root = signed.root if signed is not None else store.root(size)
    return _inclusion_response(index, size=size, leaf=leaf, root=root, proof=proof, signed=signed)


def _inclusion_response(
    index: int,
    *,
    size: int,
    leaf: bytes,
    root: bytes,
    proof: list[bytes],
    signed: StoredCheckpoint | None,
) -> Response:
    body = InclusionProofPublic(
        index=index,
        size=size,
        leaf_hash=b64(leaf),
        root=b64(root),
        hashes=[b64(h) for h in proof],
        checkpoint=None if signed is None else signed.text,
        tlog_proof=None
        if signed is None
        else TlogProof(index, tuple(proof), signed.text).to_text(),
    )
    return Response(body.model_dump_json(), media_type="application/json")


@router.get(
    "/proof/consistency",
    response_model=ConsistencyProofPublic,
    responses=problem_responses(400, 401, 403, 404, 422, 503),
)
def consistency_proof(
    node_log: NodeLogDep,
    who: CurrentPrincipal,
    policy: PolicyDep,
    old: Annotated[int, Query(ge=1, description="The older tree size")],
    new: Annotated[
        int | None, Query(ge=1, description="The newer tree size; default: latest checkpoint's")
    ] = None,
) -> ConsistencyProofPublic:
    """RFC 9162 consistency proof between two tree sizes."""
    _require(policy, who, PROOFS, "a consistency proof")
    store = node_log.store()
    new_size = _latest(store).size if new is None else new
    log_size = store.size()
    if new_size > log_size:
        raise _not_found(f"tree size {new_size} is beyond the log ({log_size} entries)")
    if old > new_size:
        raise ProblemError(400, "bad-range", "old must not exceed new", title="Bad range")
    return ConsistencyProofPublic(
        old=old,
        new=new_size,
        old_root=b64(store.root(old)),
        new_root=b64(store.root(new_size)),
        hashes=[b64(h) for h in store.consistency_proof(old, new_size)],
    )


def parse_entries_spec(spec: str, size: int) -> list[int]:
    """``"0-9,15"`` -> sorted distinct indices below ``size``; a 400 problem otherwise."""

    def bad(detail: str) -> ProblemError:
        return ProblemError(400, "bad-entries", detail, title="Bad entries selection")

    if len(spec) > MAX_SPEC_LENGTH:
        raise bad("entries selection is too long")
    out: set[int] = set()
    for part in spec.split(","):
        text = part.strip()
        low, dash, high = text.partition("-")
        if not (low.isascii() and low.isdigit()) or (
            dash and not (high.isascii() and high.isdigit())
        ):
            raise bad(f"{text[:40]!r} is not N or N-M")
        first, last = int(low), int(high) if dash else int(low)
        if first > last:
            raise bad(f"range {text!r} runs backwards")
        if last >= size:
            raise bad(f"entry {last} is beyond the checkpoint (size {size})")
        if last - first + 1 + len(out) > MAX_BUNDLE_ENTRIES:
            raise bad(f"at most {MAX_BUNDLE_ENTRIES} entries per bundle")
        out.update(range(first, last + 1))
    return sorted(out)


@router.get(
    "/bundle",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "Evidence bundle (scnode-evidence/v1), verifiable offline",
        },
        **problem_responses(400, 401, 403, 404, 410, 422, 503),
    },
)
def bundle(
    node_log: NodeLogDep,
    who: CurrentPrincipal,
    policy: PolicyDep,
    entries: Annotated[
        str | None,
        Query(max_length=MAX_SPEC_LENGTH, description='Entries, e.g. "0-9,15"; default: all'),
    ] = None,
) -> Response:
    """An evidence bundle of the selected entries against the latest signed checkpoint.

    Without a selection, the entries of the kinds the caller may read; a selection
    naming an entry of another kind is refused (403)."""
    _require(policy, who, PROOFS, "an evidence bundle")
    store = node_log.store()
    signed = _latest(store)
    size = signed.size
    if size == 0:
        raise _not_found("the signed checkpoint is empty; nothing to export")
    if entries is not None:
        wanted = parse_entries_spec(entries, size)
    else:
        if size > MAX_BUNDLE_ENTRIES:
            raise ProblemError(
                400,
                "bad-entries",
                f"the log has {size} entries; select at most {MAX_BUNDLE_ENTRIES} with ?entries=",
                title="Bad entries selection",
            )
        present = [e for e in store.entries(0, size) if e.leaf is not None]
        wanted = [e.seq for e in present if _may_read(policy, who, LedgerItem(e.kind))]
        if present and not wanted:
            raise ProblemError(
                403,
                "not-disclosed",
                f"no entry of this log is disclosed to role {who.role.value}",
                title="Not disclosed",
            )
    stored = {e.seq: e for e in _entries_by_index(store, wanted)}
    items: list[tuple[int, bytes, list[bytes]]] = []
    for index in wanted:
        _require(policy, who, LedgerItem(stored[index].kind), f"entry {index}")
        leaf = stored[index].leaf
        if leaf is None:
            raise ProblemError(
                410, "payload-deleted", f"entry {index}'s payload was deleted", title="Gone"
            )
        items.append((index, leaf, store.inclusion_proof(index, size)))
    history = [
        (e.seq, e.leaf)
        for e in store.entries_of_kind(KEY_ROTATE_KIND)
        if e.seq < size and e.leaf is not None
    ]
    data = build_bundle(
        origin=store.origin,
        vkeys=list(node_log.keys().history),
        entries=items,
        size=size,
        checkpoint_note=signed.text,
        key_history=history,
    )
    return Response(data, media_type="application/json")


def _entries_by_index(store: LedgerStore, wanted: list[int]) -> list[StoredEntry]:
    """The stored entries at the sorted indices ``wanted``, one query per contiguous run."""
    out: list[StoredEntry] = []
    run_start = 0
    for i in range(1, len(wanted) + 1):
        if i == len(wanted) or wanted[i] != wanted[i - 1] + 1:
            out.extend(store.entries(wanted[run_start], wanted[i - 1] + 1))
            run_start = i
    return out
