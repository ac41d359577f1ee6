"""The canonical form of a rule set: RFC 8785 bytes, digest, ledger entry.

The canonical bytes (RFC 8785, JCS) are what the network signs and hashes; the
SHA-256 of them is the rule set's digest, cited by ledger entries and findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import resources
from typing import Any, Final

import rfc8785

from governance._errors import RuleSetError
from governance._ruleset import RuleSet, SlaPolicy
from governance._ruleset_parse import RULE_SET_FORMAT, rule_set_from_json

__all__ = [
    "RULE_SET_ENTRY_KIND",
    "canonical_rule_set_bytes",
    "default_rule_set",
    "rule_set_digest",
    "rule_set_entry",
    "rule_set_to_dict",
    "select_rule_set",
]

#: Ledger entry kind under which a rule set is published.
RULE_SET_ENTRY_KIND: Final = "governance.rule_set/v1"


def _sla_dict(p: SlaPolicy) -> dict[str, Any]:
    return {"respond_within_ms": p.respond_within_ms, "resolve_within_ms": p.resolve_within_ms}


def rule_set_to_dict(rules: RuleSet) -> dict[str, Any]:
    """The JSON-ready form of a rule set (inverse of :func:`rule_set_from_dict`)."""
    th = rules.thresholds
    return {
        "format": RULE_SET_FORMAT,
        "id": rules.id,
        "version": rules.version,
        "effective_from": rules.effective_from,
        "states": [
            {
                "id": s.id,
                "zh": s.zh,
                "en": s.en,
                "definition": s.definition,
                "shared": s.shared,
                "cbv_dispositions": list(s.cbv_dispositions),
            }
            for s in rules.states
        ],
        "timestamps": {
            "display_offset_minutes": rules.timestamps.display_offset_minutes,
            "clock_skew_tolerance_ms": rules.timestamps.clock_skew_tolerance_ms,
            "require_offset": rules.timestamps.require_offset,
        },
        "records": {
            k: {"required_fields": list(r.required_fields)} for k, r in rules.records.items()
        },
        "documents": {
            k: {
                "required_fields": list(d.required_fields),
                "timestamp_fields": list(d.timestamp_fields),
            }
            for k, d in rules.documents.items()
        },
        "freshness": {
            "default_max_age_ms": rules.freshness.default_max_age_ms,
            "overrides": dict(rules.freshness.overrides),
        },
        "thresholds": {
            "latency_ms": th.latency_ms,
            "missing_field_rate": th.missing_field_rate,
            "min_witnesses": th.min_witnesses,
            "bands": {
                k: {"warn": b.warn, "alert": b.alert, "higher_is_worse": b.higher_is_worse}
                for k, b in th.bands.items()
            },
        },
        "sla": {
            "default": _sla_dict(rules.sla_default),
            "overrides": {k: _sla_dict(v) for k, v in rules.sla_overrides.items()},
        },
        "document_tolerances": {
            "late_delivery_ms": rules.late_delivery_tolerance_ms,
            "receipt_quantity": rules.receipt_tolerance,
        },
    }


def canonical_rule_set_bytes(rules: RuleSet) -> bytes:
    """RFC 8785 canonical JSON of the rule set: the bytes that are hashed and signed."""
    result: bytes = rfc8785.dumps(rule_set_to_dict(rules))
    return result


def rule_set_digest(rules: RuleSet) -> str:
    """``sha256:<hex>`` of the canonical bytes, the rule set's citation in the ledger."""
    return "sha256:" + hashlib.sha256(canonical_rule_set_bytes(rules)).hexdigest()


def rule_set_entry(rules: RuleSet) -> dict[str, Any]:
    """A ledger entry publishing the rule set: ``{"kind", "body"}``."""
    return {
        "kind": RULE_SET_ENTRY_KIND,
        "body": {
            "rule_set": rule_set_to_dict(rules),
            "digest": rule_set_digest(rules),
        },
    }


def select_rule_set(candidates: Iterable[RuleSet], *, at: int) -> RuleSet:
    """The rule set in force at UTC ms ``at``: latest ``effective_from`` ≤ ``at``.

    Among rule sets of the same id effective at the same instant the highest
    version wins. Raises :class:`RuleSetError` when none is in force yet or when
    two different ids compete.
    """
    in_force = [r for r in candidates if r.effective_from <= at]
    if not in_force:
        raise RuleSetError(f"no rule set is in force at {at}")
    best = max(in_force, key=lambda r: (r.effective_from, r.version))
    rivals = {
        r.id
        for r in in_force
        if (r.effective_from, r.version) == (best.effective_from, best.version)
    }
    if len(rivals) > 1:
        raise RuleSetError(f"rule sets {sorted(rivals)} compete for the same instant")
    return best


def default_rule_set() -> RuleSet:
    """The network's default rules, shipped as ``default_rules.json``."""
    data = resources.files("governance").joinpath("default_rules.json").read_bytes()
    return rule_set_from_json(data)
