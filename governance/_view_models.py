"""The dashboard's view models: plain frozen values with a JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governance._labels import COLUMNS, LABELS
from governance._lineage import Lineage

__all__ = ["Cell", "DashboardRow", "DashboardView", "Series"]


@dataclass(frozen=True)
class Cell:
    key: str
    value: float | None
    display: str
    status: str
    lineage: Lineage | None = None
    label: tuple[str, str] | None = None  # (zh, en) where the figure is words

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "display": self.display,
            "status": self.status,
            "label": None if self.label is None else {"zh": self.label[0], "en": self.label[1]},
            "lineage": None if self.lineage is None else self.lineage.to_dict(),
        }


@dataclass(frozen=True)
class Series:
    key: str
    bucket: str
    starts: tuple[int, ...]
    values: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "bucket": self.bucket,
            "starts": list(self.starts),
            "values": list(self.values),
        }


@dataclass(frozen=True)
class DashboardRow:
    partner: str
    status: str
    cells: tuple[Cell, ...]
    fields: tuple[Cell, ...]
    exceptions: tuple[dict[str, Any], ...]
    sparklines: tuple[Series, ...]

    def cell(self, key: str) -> Cell:
        return next(c for c in self.cells if c.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "status": self.status,
            "cells": [c.to_dict() for c in self.cells],
            "fields": [c.to_dict() for c in self.fields],
            "exceptions": [dict(e) for e in self.exceptions],
            "sparklines": [s.to_dict() for s in self.sparklines],
        }


@dataclass(frozen=True)
class DashboardView:
    generated_at: int
    generated_at_display: str
    window: str
    rule_set: str
    rows: tuple[DashboardRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "generated_at_display": self.generated_at_display,
            "window": self.window,
            "rule_set": self.rule_set,
            "columns": [{"key": k, "zh": zh, "en": en} for k, (zh, en) in COLUMNS.items()],
            "labels": {
                g: {k: {"zh": zh, "en": en} for k, (zh, en) in m.items()} for g, m in LABELS.items()
            },
            "rows": [r.to_dict() for r in self.rows],
        }
