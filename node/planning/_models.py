"""Demand forecasts and capacity reports, after Catena-X DCM (CX-0128).

A customer shares, per supplier, its weekly demand per material (CX-0128's
*WeekBasedMaterialDemand*: one demand series per material, one quantity per
calendar week). The supplier answers with *capacity groups*
(*WeekBasedCapacityGroup*): a named group of the customer's materials made on the
same resources, with per week an **actual** capacity (the realistically planned
output), a **maximum** capacity (the most the supplier can make with every
flexibility used) and optionally an **agreed** capacity. Demand of all the
materials linked to a group is compared with the group's capacity.

Quantities are whole units of the forecast's unit of measure, ``0 ≤ q < 2^32``
(the range the zero-knowledge capacity facts prove over). Every parser raises
:class:`PlanningFormatError` with a message naming what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from node.planning._errors import PlanningFormatError
from node.planning._weeks import Week, parse_week

__all__ = [
    "CAPACITY_FORMAT",
    "FORECAST_FORMAT",
    "MAX_QUANTITY",
    "CapacityGroup",
    "CapacityReport",
    "CapacityWeek",
    "DemandForecast",
    "DemandLine",
]

FORECAST_FORMAT: Final = "scnode-demand-forecast/v1"
CAPACITY_FORMAT: Final = "scnode-capacity-report/v1"
MAX_QUANTITY: Final = 2**32 - 1
MAX_LINES: Final = 10_000
_MAX_TEXT: Final = 200


def _obj(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PlanningFormatError(f"{where} must be a JSON object")
    return value


def _text(doc: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> str:
    value = doc.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise PlanningFormatError(f"{where}.{key} must be a non-empty string (≤ {_MAX_TEXT})")
    return value


def _opt_qty(doc: Mapping[str, Any], key: str, where: str) -> int | None:
    if doc.get(key) is None:
        return None
    return _qty(doc, key, where)


def _qty(doc: Mapping[str, Any], key: str, where: str) -> int:
    value = doc.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        raise PlanningFormatError(f"{where}.{key} must be a whole number in [0, 2^32)")
    return value


def _list(doc: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = doc.get(key)
    if not isinstance(value, list) or len(value) > MAX_LINES:
        raise PlanningFormatError(f"{where}.{key} must be a list (≤ {MAX_LINES} items)")
    return value


def _format(doc: Mapping[str, Any], expected: str) -> None:
    if doc.get("format", expected) != expected:
        raise PlanningFormatError(f"format is {doc.get('format')!r}, expected {expected!r}")


@dataclass(frozen=True)
class DemandLine:
    sku: str
    week: Week
    quantity: int


@dataclass(frozen=True)
class DemandForecast:
    """A customer's weekly demand per material, for one supplier."""

    forecast_id: str
    customer: str
    supplier: str
    issued_at: str
    uom: str
    lines: tuple[DemandLine, ...]

    def __post_init__(self) -> None:
        seen = {(line.sku, line.week) for line in self.lines}
        if len(seen) != len(self.lines):
            raise PlanningFormatError("a forecast gives one quantity per sku and week")

    def demand(self) -> dict[tuple[str, Week], int]:
        return {(line.sku, line.week): line.quantity for line in self.lines}

    @classmethod
    def from_json(cls, value: object) -> DemandForecast:
        doc = _obj(value, "forecast")
        _format(doc, FORECAST_FORMAT)
        lines: list[DemandLine] = []
        for i, raw in enumerate(_list(doc, "lines", "forecast")):
            where = f"forecast.lines[{i}]"
            item = _obj(raw, where)
            sku, week = _text(item, "sku", where), parse_week(item.get("week"))
            lines.append(DemandLine(sku, week, _qty(item, "forecast_qty", where)))
        return cls(
            forecast_id=_text(doc, "forecast_id", "forecast"),
            customer=_text(doc, "customer", "forecast"),
            supplier=_text(doc, "supplier", "forecast"),
            issued_at=_text(doc, "issued_at", "forecast"),
            uom=_text(doc, "uom", "forecast"),
            lines=tuple(lines),
        )

    def to_json(self) -> dict[str, Any]:
        """The wire form, also the governance ``demand_forecast`` document."""
        return {
            "format": FORECAST_FORMAT,
            "forecast_id": self.forecast_id,
            "customer": self.customer,
            "supplier": self.supplier,
            "issued_at": self.issued_at,
            "uom": self.uom,
            "lines": [
                {"sku": x.sku, "week": x.week, "forecast_qty": x.quantity} for x in self.lines
            ],
        }


@dataclass(frozen=True)
class CapacityWeek:
    week: Week
    actual: int
    maximum: int
    agreed: int | None = None

    def __post_init__(self) -> None:
        if self.actual > self.maximum:
            raise PlanningFormatError(
                f"week {self.week}: actual capacity {self.actual} above maximum {self.maximum}"
            )


@dataclass(frozen=True)
class CapacityGroup:
    """Materials made on the same resources, with their shared weekly capacity."""

    group_id: str
    name: str
    skus: tuple[str, ...]
    weeks: tuple[CapacityWeek, ...]

    def __post_init__(self) -> None:
        if not self.skus:
            raise PlanningFormatError(f"capacity group {self.group_id!r} links no sku")
        if len({w.week for w in self.weeks}) != len(self.weeks):
            raise PlanningFormatError(f"capacity group {self.group_id!r} lists a week twice")

    def week(self, week: Week) -> CapacityWeek | None:
        for item in self.weeks:
            if item.week == week:
                return item
        return None


@dataclass(frozen=True)
class CapacityReport:
    """A supplier's answer to a customer: capacity groups with weekly capacity."""

    capacity_id: str
    supplier: str
    customer: str
    issued_at: str
    uom: str
    groups: tuple[CapacityGroup, ...]

    def __post_init__(self) -> None:
        if len({g.group_id for g in self.groups}) != len(self.groups):
            raise PlanningFormatError("capacity group ids must be unique")
        linked = [sku for g in self.groups for sku in g.skus]
        if len(set(linked)) != len(linked):
            raise PlanningFormatError("a sku is linked to more than one capacity group")

    def group_of(self, sku: str) -> CapacityGroup | None:
        for group in self.groups:
            if sku in group.skus:
                return group
        return None

    @classmethod
    def from_json(cls, value: object) -> CapacityReport:
        doc = _obj(value, "capacity")
        _format(doc, CAPACITY_FORMAT)
        groups: list[CapacityGroup] = []
        for i, raw in enumerate(_list(doc, "groups", "capacity")):
            where = f"capacity.groups[{i}]"
            item = _obj(raw, where)
            skus = _list(item, "skus", where)
            if not all(isinstance(s, str) and s.strip() for s in skus):
                raise PlanningFormatError(f"{where}.skus must be non-empty strings")
            weeks: list[CapacityWeek] = []
            for j, raw_week in enumerate(_list(item, "weeks", where)):
                at = f"{where}.weeks[{j}]"
                w = _obj(raw_week, at)
                weeks.append(
                    CapacityWeek(
                        week=parse_week(w.get("week")),
                        actual=_qty(w, "actual", at),
                        maximum=_qty(w, "maximum", at),
                        agreed=_opt_qty(w, "agreed", at),
                    )
                )
            groups.append(
                CapacityGroup(
                    group_id=_text(item, "group_id", where),
                    name=_text(item, "name", where, optional=True),
                    skus=tuple(skus),
                    weeks=tuple(weeks),
                )
            )
        return cls(
            capacity_id=_text(doc, "capacity_id", "capacity"),
            supplier=_text(doc, "supplier", "capacity"),
            customer=_text(doc, "customer", "capacity"),
            issued_at=_text(doc, "issued_at", "capacity"),
            uom=_text(doc, "uom", "capacity"),
            groups=tuple(groups),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CAPACITY_FORMAT,
            "capacity_id": self.capacity_id,
            "supplier": self.supplier,
            "customer": self.customer,
            "issued_at": self.issued_at,
            "uom": self.uom,
            "groups": [
                {
                    "group_id": g.group_id,
                    "name": g.name,
                    "skus": list(g.skus),
                    "weeks": [
                        {"week": w.week, "actual": w.actual, "maximum": w.maximum}
                        | ({} if w.agreed is None else {"agreed": w.agreed})
                        for w in g.weeks
                    ],
                }
                for g in self.groups
            ],
        }

    def governance_document(self) -> dict[str, Any]:
        """The governance ``capacity`` document: actual capacity per sku and week.

        A group's capacity is shared by its skus; each linked sku is listed with
        the group's actual capacity (governance compares per sku; scnode's own
        gap detection, :func:`detect_gaps`, compares per group).
        """
        return {
            "capacity_id": self.capacity_id,
            "supplier": self.supplier,
            "customer": self.customer,
            "issued_at": self.issued_at,
            "lines": [
                {"sku": sku, "week": w.week, "capacity_qty": w.actual}
                for g in self.groups
                for sku in g.skus
                for w in g.weeks
            ],
        }
