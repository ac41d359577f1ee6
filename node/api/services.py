"""The per-app objects request handlers reach (``request.app.state.services``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from node.metrics import Metrics
from node.settings import Settings

__all__ = ["Services"]


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    metrics: Metrics
