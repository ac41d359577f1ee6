"""The witness API: C2SP tlog-witness ``add-checkpoint``, the witness key, and
the latest checkpoint this node holds of a log (for witnesses comparing notes).

``add-checkpoint`` is authenticated by the checkpoint's own signature (as the
spec says); its answers follow the spec: 200 with cosignature lines, 400
malformed, 403 no trusted signature, 404 unknown log, 409 with the witness's size
as ``text/x.tlog.size`` (or a problem when the root conflicts at equal size), 422
when the consistency proof does not verify.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from node.api.deps import CurrentPrincipal
from node.api.node_log import NodeLog
from node.api.problems import ProblemError, problem_responses
from node.api.services import Services
from node.witness import (
    MAX_BODY_BYTES,
    SIZE_MEDIA_TYPE,
    SizeConflict,
    Witness,
    WitnessError,
    WitnessKeyError,
    endorse_witness_key,
    get_view,
)

__all__ = ["router", "witness_of"]

router = APIRouter(prefix="/v1/witness", tags=["witness"])
_lock = threading.Lock()


def witness_of(request: Request) -> Witness:
    """The app's witness (its key is created in the home folder on first use)."""
    app = request.app
    with _lock:
        witness: Witness | None = getattr(app.state, "witness", None)
        if witness is None:
            services: Services = app.state.services
            node_log: NodeLog = app.state.node_log
            try:
                signer = node_log.witness_key()
            except WitnessKeyError:
                raise ProblemError(
                    503, "witness-key", "the witness key is unavailable", title="No witness key"
                ) from None
            witness = Witness(services.engine, signer)
            app.state.witness = witness
        return witness


async def _witness(request: Request) -> Witness:
    """:func:`witness_of`, on the event loop once the witness exists (a plain ``def``
    dependency would cost a hop to a worker thread on every request)."""
    witness: Witness | None = getattr(request.app.state, "witness", None)
    if witness is not None:
        return witness
    return await run_in_threadpool(witness_of, request)


WitnessDep = Annotated[Witness, Depends(_witness)]


async def _body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/add-checkpoint",
    response_class=PlainTextResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "old <size>, proof lines, a blank line, the signed checkpoint",
        }
    },
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Cosignature line(s) (C2SP tlog-cosignature, cosignature/v1)",
        },
        409: {
            "content": {SIZE_MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "The old size is not the witness's latest size (body: that size)",
        },
        **problem_responses(400, 403, 404, 413, 422, 503),
    },
)
def add_checkpoint(body: Annotated[bytes, Depends(_body)], witness: WitnessDep) -> Response:
    """Verify a peer's checkpoint against what this node saw before, store it, cosign it."""
    if len(body) > MAX_BODY_BYTES:
        raise ProblemError(413, "too-large", "request body is too large", title="Too large")
    try:
        lines = witness.add_checkpoint(body, now_ms=time.time_ns() // 1_000_000)
    except SizeConflict as exc:
        return Response(f"{exc.latest_size}\n", status_code=409, media_type=SIZE_MEDIA_TYPE)
    except WitnessError as exc:
        raise ProblemError(exc.status, exc.slug, str(exc)) from None
    return PlainTextResponse(lines)


@router.get(
    "/key",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "The witness key, endorsed (signed note) by the node's log key",
        },
        **problem_responses(503),
    },
)
def key(request: Request, witness: WitnessDep) -> PlainTextResponse:
    """This node's witness (cosigner) key in a note signed by its log key."""
    node_log: NodeLog = request.app.state.node_log
    return PlainTextResponse(endorse_witness_key(node_log.keys().active, witness.signer))


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "The latest checkpoint of the log this node verified (signed note)",
        },
        **problem_responses(401, 403, 404, 422),
    },
)
def held_checkpoint(
    request: Request,
    _who: CurrentPrincipal,
    origin: Annotated[str, Query(min_length=1, max_length=255, description="Log origin")],
) -> PlainTextResponse:
    """The latest checkpoint of ``origin`` this node verified (witnesses compare notes)."""
    services: Services = request.app.state.services
    with services.engine.connect() as conn:
        view = get_view(conn, origin)
    if view is None:
        raise ProblemError(404, "witness-unknown-log", f"no checkpoint held for {origin!r}")
    return PlainTextResponse(view.note)
