"""Chinese and English labels of everything the dashboard shows."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["COLUMNS", "LABELS", "Label"]

Label = tuple[str, str]  # (zh, en)

#: Dashboard columns in display order: key → (zh, en).
COLUMNS: Final[Mapping[str, Label]] = MappingProxyType(
    {
        "latency_p50_ms": ("延迟 P50", "latency p50"),
        "latency_p95_ms": ("延迟 P95", "latency p95"),
        "latency_rate": ("超时率", "late rate"),
        "missing_field_rate": ("字段缺失率", "missing-field rate"),
        "mapping_coverage": ("映射覆盖率", "mapping coverage"),
        "rule_violation_rate": ("规则违例率", "rule-violation rate"),
        "feed_age_ms": ("数据新鲜度", "feed age"),
        "checkpoint_age_ms": ("检查点时长", "last checkpoint age"),
        "witnesses": ("见证数", "witnesses"),
        "verification_failures": ("验证失败", "verification failures"),
        "safety_stock": ("安全库存", "safety stock"),
        "open_exceptions": ("未结异常", "open exceptions"),
        "sla": ("SLA 状态", "SLA state"),
    }
)

_GROUPS: Final[dict[str, dict[str, Label]]] = {
    "status": {
        "ok": ("正常", "ok"),
        "warn": ("注意", "warning"),
        "alert": ("告警", "alert"),
        "none": ("无数据", "no data"),
    },
    "window": {
        "hour": ("近 1 小时", "last hour"),
        "day": ("近 24 小时", "last day"),
        "30d": ("近 30 天", "last 30 days"),
    },
    "sla": {
        "running": ("处理中", "running"),
        "breached": ("已超时", "breached"),
        "met": ("已达成", "met"),
        "ok": ("正常", "ok"),
    },
    "case_state": {
        "open": ("待响应", "open"),
        "acknowledged": ("已确认", "acknowledged"),
        "resolved": ("已解决", "resolved"),
    },
    "exception_type": {
        "stale_feed": ("数据断更", "stale feed"),
        "missing_fields": ("字段缺失", "missing fields"),
        "receipt_mismatch": ("收发不符", "receipt ≠ despatch"),
        "late_delivery": ("延迟到货", "late delivery"),
        "below_safety_stock": ("低于安全库存", "below safety stock"),
        "failed_proof": ("证明验证失败", "failed proof"),
        "split_view": ("账本分叉", "split view"),
        "capacity_gap": ("产能缺口", "capacity gap"),
        "clock_skew": ("时钟偏差", "clock skew"),
        "rule_violation": ("规则违例", "rule violation"),
        "stale_checkpoint": ("检查点过期", "stale checkpoint"),
        "low_witnesses": ("见证不足", "too few witnesses"),
    },
    "page": {
        "title": ("供应链协同健康看板", "Collaboration health dashboard"),
        "partner": ("伙伴节点", "partner"),
        "generated_at": ("生成时间", "generated at"),
        "rule_set": ("规则版本", "rule set"),
        "fields": ("字段", "fields"),
        "exceptions": ("异常", "exceptions"),
        "deadline": ("响应时限", "response due"),
        "below": ("低于", "below"),
        "at_or_above": ("达标", "at or above"),
    },
}

#: Every label group: group → key → (zh, en).
LABELS: Final[Mapping[str, Mapping[str, Label]]] = MappingProxyType(
    {"column": COLUMNS, **{k: MappingProxyType(v) for k, v in _GROUPS.items()}}
)
