"""Gap detection: weekly demand against capacity, and capacity against commitments.

Pure: values in, values out. Demand is compared per capacity group and week
(the sum of the demand of every sku linked to the group, as in CX-0128), against
the group's actual and maximum capacity; committed orders (open purchase-order
quantities due in a week) are compared with the actual capacity. Each gap becomes
a governance finding that opens a ``capacity_gap`` exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from governance import ExceptionType, Finding, RuleId, RuleSet, Severity
from node.planning._models import CapacityReport, DemandForecast
from node.planning._weeks import Week

__all__ = ["Gap", "GapKind", "detect_gaps", "gap_findings"]


class GapKind(StrEnum):
    DEMAND_ABOVE_MAXIMUM = "demand_above_maximum"
    """Demand exceeds even the maximum capacity: it cannot be met as planned."""
    DEMAND_ABOVE_ACTUAL = "demand_above_actual"
    """Demand exceeds the actual capacity but not the maximum: flexibility needed."""
    BELOW_COMMITTED = "capacity_below_committed"
    """Actual capacity has dropped below the orders already committed for the week."""
    NO_CAPACITY = "demand_without_capacity"
    """Demand for a sku linked to no capacity group, or for a week the group omits."""


_SEVERITY = {
    GapKind.DEMAND_ABOVE_MAXIMUM: Severity.ERROR,
    GapKind.DEMAND_ABOVE_ACTUAL: Severity.WARNING,
    GapKind.BELOW_COMMITTED: Severity.ERROR,
    GapKind.NO_CAPACITY: Severity.WARNING,
}


@dataclass(frozen=True)
class Gap:
    kind: GapKind
    group_id: str | None
    skus: tuple[str, ...]
    week: Week
    demand: int
    actual: int | None
    maximum: int | None
    committed: int = 0

    @property
    def subject(self) -> str:
        return f"capacity:{self.group_id or self.skus[0]}/{self.week}"

    @property
    def shortfall(self) -> int:
        """Units missing against the actual capacity (demand or commitments)."""
        wanted = self.committed if self.kind is GapKind.BELOW_COMMITTED else self.demand
        return max(0, wanted - (self.actual or 0))

    def message(self) -> str:
        what = f"{self.group_id or self.skus[0]} ({', '.join(self.skus)}) week {self.week}"
        if self.kind is GapKind.BELOW_COMMITTED:
            return f"{what}: actual capacity {self.actual} below committed orders {self.committed}"
        if self.kind is GapKind.NO_CAPACITY:
            return f"{what}: demand {self.demand} with no capacity reported"
        limit = "maximum" if self.kind is GapKind.DEMAND_ABOVE_MAXIMUM else "actual"
        value = self.maximum if self.kind is GapKind.DEMAND_ABOVE_MAXIMUM else self.actual
        return f"{what}: demand {self.demand} above {limit} capacity {value}"


def detect_gaps(
    forecast: DemandForecast,
    capacity: CapacityReport,
    committed: Mapping[tuple[str, Week], int] | None = None,
) -> tuple[Gap, ...]:
    """Every gap between a forecast, the supplier's answer and committed orders.

    ``committed`` maps (sku, week) to the open order quantity due that week.
    Gaps come sorted by week, then group, then kind.
    """
    committed = committed or {}
    out: list[Gap] = []
    demand: dict[tuple[str, Week], int] = {}
    linked: dict[tuple[str, Week], list[str]] = {}
    for (sku, week), qty in sorted(forecast.demand().items()):
        group = capacity.group_of(sku)
        if group is None or group.week(week) is None:
            if qty > 0:
                out.append(Gap(GapKind.NO_CAPACITY, None, (sku,), week, qty, None, None))
            continue
        demand[(group.group_id, week)] = demand.get((group.group_id, week), 0) + qty
        linked.setdefault((group.group_id, week), []).append(sku)
    for group in capacity.groups:
        for slot in group.weeks:
            key = (group.group_id, slot.week)
            need = demand.get(key, 0)
            skus = tuple(linked.get(key, group.skus))
            promised = sum(committed.get((sku, slot.week), 0) for sku in group.skus)
            kind: GapKind | None = None
            if need > slot.maximum:
                kind = GapKind.DEMAND_ABOVE_MAXIMUM
            elif need > slot.actual:
                kind = GapKind.DEMAND_ABOVE_ACTUAL
            if kind is not None:
                out.append(
                    Gap(kind, group.group_id, skus, slot.week, need, slot.actual, slot.maximum)
                )
            if promised > slot.actual:
                out.append(
                    Gap(
                        GapKind.BELOW_COMMITTED,
                        group.group_id,
                        group.skus,
                        slot.week,
                        need,
                        slot.actual,
                        slot.maximum,
                        promised,
                    )
                )
    order = list(GapKind)
    return tuple(sorted(out, key=lambda g: (g.week, g.group_id or "", order.index(g.kind))))


def gap_findings(gaps: tuple[Gap, ...], rules: RuleSet) -> tuple[Finding, ...]:
    """One governance finding per gap, opening a ``capacity_gap`` exception."""
    return tuple(
        Finding(
            rule_id=RuleId.CAPACITY_GAP,
            rule_set=rules.id,
            rule_version=rules.version,
            severity=_SEVERITY[gap.kind],
            field=f"capacity.{gap.kind.value}",
            message=gap.message(),
            subject=gap.subject,
            exception_type=ExceptionType.CAPACITY_GAP,
        )
        for gap in gaps
    )
