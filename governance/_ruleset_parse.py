"""Strict parsing of untrusted rule set documents into :class:`RuleSet` values.

Every failure is a :class:`RuleSetError` naming the JSON path of the offending
value; unknown keys are refused so that a typo cannot silently drop a rule.
"""

from __future__ import annotations

import json
from typing import Any, Final

from governance._errors import RuleSetError
from governance._jsonread import Reader
from governance._ruleset import (
    Band,
    DocumentRule,
    FreshnessPolicy,
    RecordRule,
    RuleSet,
    SlaPolicy,
    StateDefinition,
    Thresholds,
    TimestampStandard,
)

__all__ = ["MAX_RULE_SET_BYTES", "RULE_SET_FORMAT", "rule_set_from_dict", "rule_set_from_json"]

#: Format tag inside every rule set document (versioned, part of the hashed bytes).
RULE_SET_FORMAT: Final = "scnode-governance-rules/v1"
#: Largest rule set document accepted, in bytes.
MAX_RULE_SET_BYTES: Final = 1 << 20

_R = Reader(RuleSetError)
_TOP_KEYS = (
    "format",
    "id",
    "version",
    "effective_from",
    "states",
    "timestamps",
    "records",
    "documents",
    "freshness",
    "thresholds",
    "sla",
    "document_tolerances",
)


def _state(value: Any, path: str) -> StateDefinition:
    keys = ("id", "zh", "en", "definition", "shared", "cbv_dispositions")
    o = _R.obj(value, path, keys=keys)
    return StateDefinition(
        id=_R.string(_R.field(o, "id", path), f"{path}.id"),
        zh=_R.string(_R.field(o, "zh", path), f"{path}.zh"),
        en=_R.string(_R.field(o, "en", path), f"{path}.en"),
        definition=_R.string(_R.field(o, "definition", path), f"{path}.definition"),
        shared=_R.boolean(_R.field(o, "shared", path), f"{path}.shared"),
        cbv_dispositions=_R.strings(o.get("cbv_dispositions", []), f"{path}.cbv_dispositions"),
    )


def _sla(value: Any, path: str) -> SlaPolicy:
    o = _R.obj(value, path, keys=("respond_within_ms", "resolve_within_ms"))
    resolve = o.get("resolve_within_ms")
    return SlaPolicy(
        respond_within_ms=_R.integer(
            _R.field(o, "respond_within_ms", path), f"{path}.respond_within_ms", minimum=1
        ),
        resolve_within_ms=None
        if resolve is None
        else _R.integer(resolve, f"{path}.resolve_within_ms", minimum=1),
    )


def _band(value: Any, path: str) -> Band:
    o = _R.obj(value, path, keys=("warn", "alert", "higher_is_worse"))
    return Band(
        warn=_R.number(_R.field(o, "warn", path), f"{path}.warn"),
        alert=_R.number(_R.field(o, "alert", path), f"{path}.alert"),
        higher_is_worse=_R.boolean(o.get("higher_is_worse", True), f"{path}.higher_is_worse"),
    )


def _int_map(value: Any, path: str) -> dict[str, int]:
    o = _R.obj(value, path)
    return {k: _R.integer(v, f"{path}.{k}", minimum=1) for k, v in o.items()}


def rule_set_from_dict(data: Any) -> RuleSet:
    """Build a :class:`RuleSet` from parsed JSON; raises :class:`RuleSetError`."""
    top = _R.obj(data, "$", keys=_TOP_KEYS)
    fmt = _R.field(top, "format", "$")
    if fmt != RULE_SET_FORMAT:
        raise RuleSetError(f"$.format: expected {RULE_SET_FORMAT!r}, got {fmt!r}")
    ts = _R.obj(
        _R.field(top, "timestamps", "$"),
        "$.timestamps",
        keys=("display_offset_minutes", "clock_skew_tolerance_ms", "require_offset"),
    )
    records = _R.obj(_R.field(top, "records", "$"), "$.records")
    documents = _R.obj(_R.field(top, "documents", "$"), "$.documents")
    fresh = _R.obj(
        _R.field(top, "freshness", "$"), "$.freshness", keys=("default_max_age_ms", "overrides")
    )
    th = _R.obj(
        _R.field(top, "thresholds", "$"),
        "$.thresholds",
        keys=("latency_ms", "missing_field_rate", "min_witnesses", "bands"),
    )
    sla = _R.obj(_R.field(top, "sla", "$"), "$.sla", keys=("default", "overrides"))
    tol = _R.obj(
        top.get("document_tolerances", {}),
        "$.document_tolerances",
        keys=("late_delivery_ms", "receipt_quantity"),
    )
    record_rules: dict[str, RecordRule] = {}
    for name, rule in records.items():
        p = f"$.records.{name}"
        o = _R.obj(rule, p, keys=("required_fields",))
        record_rules[name] = RecordRule(
            name, _R.strings(_R.field(o, "required_fields", p), f"{p}.required_fields")
        )
    document_rules: dict[str, DocumentRule] = {}
    for name, rule in documents.items():
        p = f"$.documents.{name}"
        o = _R.obj(rule, p, keys=("required_fields", "timestamp_fields"))
        document_rules[name] = DocumentRule(
            name,
            _R.strings(_R.field(o, "required_fields", p), f"{p}.required_fields"),
            _R.strings(o.get("timestamp_fields", []), f"{p}.timestamp_fields"),
        )
    bands = _R.obj(_R.field(th, "bands", "$.thresholds"), "$.thresholds.bands")
    return RuleSet(
        id=_R.string(_R.field(top, "id", "$"), "$.id"),
        version=_R.integer(_R.field(top, "version", "$"), "$.version", minimum=1),
        effective_from=_R.integer(
            _R.field(top, "effective_from", "$"), "$.effective_from", minimum=0
        ),
        states=tuple(
            _state(s, f"$.states[{i}]")
            for i, s in enumerate(_R.items(_R.field(top, "states", "$"), "$.states"))
        ),
        timestamps=TimestampStandard(
            display_offset_minutes=_R.integer(
                _R.field(ts, "display_offset_minutes", "$.timestamps"),
                "$.timestamps.display_offset_minutes",
            ),
            clock_skew_tolerance_ms=_R.integer(
                _R.field(ts, "clock_skew_tolerance_ms", "$.timestamps"),
                "$.timestamps.clock_skew_tolerance_ms",
                minimum=0,
            ),
            require_offset=_R.boolean(
                ts.get("require_offset", True), "$.timestamps.require_offset"
            ),
        ),
        records=record_rules,
        documents=document_rules,
        freshness=FreshnessPolicy(
            default_max_age_ms=_R.integer(
                _R.field(fresh, "default_max_age_ms", "$.freshness"),
                "$.freshness.default_max_age_ms",
                minimum=1,
            ),
            overrides=_int_map(fresh.get("overrides", {}), "$.freshness.overrides"),
        ),
        thresholds=Thresholds(
            latency_ms=_R.integer(
                _R.field(th, "latency_ms", "$.thresholds"), "$.thresholds.latency_ms", minimum=1
            ),
            missing_field_rate=_R.number(
                _R.field(th, "missing_field_rate", "$.thresholds"),
                "$.thresholds.missing_field_rate",
            ),
            min_witnesses=_R.integer(
                _R.field(th, "min_witnesses", "$.thresholds"),
                "$.thresholds.min_witnesses",
                minimum=0,
            ),
            bands={k: _band(v, f"$.thresholds.bands.{k}") for k, v in bands.items()},
        ),
        sla_default=_sla(_R.field(sla, "default", "$.sla"), "$.sla.default"),
        sla_overrides={
            k: _sla(v, f"$.sla.overrides.{k}")
            for k, v in _R.obj(sla.get("overrides", {}), "$.sla.overrides").items()
        },
        late_delivery_tolerance_ms=_R.integer(
            tol.get("late_delivery_ms", 0), "$.document_tolerances.late_delivery_ms", minimum=0
        ),
        receipt_tolerance=_R.number(
            tol.get("receipt_quantity", 0.0), "$.document_tolerances.receipt_quantity"
        ),
    )


def rule_set_from_json(data: bytes | str) -> RuleSet:
    """Parse an untrusted rule set document; raises :class:`RuleSetError`."""
    if len(data) > MAX_RULE_SET_BYTES:
        raise RuleSetError(f"rule set document larger than {MAX_RULE_SET_BYTES} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        parsed = json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise RuleSetError(f"rule set document is not UTF-8: {exc.reason}") from None
    except (ValueError, RecursionError) as exc:
        raise RuleSetError(f"rule set document is not valid JSON: {exc}") from None
    return rule_set_from_dict(parsed)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
