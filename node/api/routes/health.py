"""Liveness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from node.api.deps import ServicesDep
from node.api.problems import problem_responses
from node.api.schemas import Health

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=Health, responses=problem_responses(503))
def healthz(services: ServicesDep) -> Health:
    """The service is up and its database answers."""
    with services.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return Health(status="ok", database="ok", node_name=services.settings.node_name)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition format",
        }
    },
)
def metrics(services: ServicesDep) -> Response:
    """Prometheus metrics: requests, latencies and the node's state."""
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
