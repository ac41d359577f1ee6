"""governance: the network's rules as data, rule checks, data-quality metrics,
exceptions with SLA clocks and the health dashboard's view models.

A pure library: no HTTP, no database, no clock. Every function that needs the
time takes ``now`` (UTC milliseconds) from the caller.
"""

from governance._case_io import (
    CASE_FORMAT,
    breach_counts,
    case_from_dict,
    case_to_dict,
    flag_breaches,
)
from governance._cases import (
    EVENT_ACKNOWLEDGED,
    EVENT_BREACHED,
    EVENT_COMMENTED,
    EVENT_OPENED,
    EVENT_RESOLVED,
    CaseState,
    Comment,
    ExceptionCase,
)
from governance._cases import digest as case_digest
from governance._checks import check_document, check_record, record_subject
from governance._dashboard import dashboard_view, network_dashboard
from governance._documents import compare_capacity, compare_receipt
from governance._errors import (
    CaseFormatError,
    ExceptionTransitionError,
    GovernanceError,
    MetricsStateError,
    RuleSetError,
    TimestampError,
)
from governance._facts import AT_OR_ABOVE, BELOW, PeerFacts
from governance._findings import Finding, RuleId
from governance._health import (
    NetworkMetrics,
    PartnerHealth,
    partner_health,
    partner_health_dict,
)
from governance._ingest import ingest_record, record_as_of
from governance._labels import COLUMNS, LABELS
from governance._lineage import Lineage
from governance._metrics import PartnerMetrics
from governance._openings import CLEARABLE_TYPES, cleared_cases, open_case, plan_openings
from governance._partner import PartnerProfile
from governance._ruleset import (
    BAND_NAMES,
    DEFAULT_RESPONSE_MS,
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
from governance._ruleset_json import (
    RULE_SET_ENTRY_KIND,
    canonical_rule_set_bytes,
    default_rule_set,
    rule_set_digest,
    rule_set_entry,
    rule_set_to_dict,
    select_rule_set,
)
from governance._ruleset_parse import RULE_SET_FORMAT, rule_set_from_dict, rule_set_from_json
from governance._timestamps import (
    DISPLAY_OFFSET_MINUTES,
    format_display,
    parse_timestamp,
    resolve_zone,
)
from governance._triggers import OPENING_WINDOW, Opening
from governance._view_models import Cell, DashboardRow, DashboardView, Series
from governance._vocab import (
    BUCKETS,
    DOCUMENT_TYPES,
    LOCATION_BUCKETS,
    RECORD_TYPE_INVENTORY_POSITION,
    SHARED_STATES,
    DocumentType,
    ExceptionType,
    Severity,
)
from governance._window_stats import WindowStats
from governance._windows import WINDOWS

__all__ = [
    "AT_OR_ABOVE",
    "BAND_NAMES",
    "BELOW",
    "BUCKETS",
    "CASE_FORMAT",
    "CLEARABLE_TYPES",
    "COLUMNS",
    "DEFAULT_RESPONSE_MS",
    "DISPLAY_OFFSET_MINUTES",
    "DOCUMENT_TYPES",
    "EVENT_ACKNOWLEDGED",
    "EVENT_BREACHED",
    "EVENT_COMMENTED",
    "EVENT_OPENED",
    "EVENT_RESOLVED",
    "LABELS",
    "LOCATION_BUCKETS",
    "OPENING_WINDOW",
    "RECORD_TYPE_INVENTORY_POSITION",
    "RULE_SET_ENTRY_KIND",
    "RULE_SET_FORMAT",
    "SHARED_STATES",
    "WINDOWS",
    "Band",
    "CaseFormatError",
    "CaseState",
    "Cell",
    "Comment",
    "DashboardRow",
    "DashboardView",
    "DocumentRule",
    "DocumentType",
    "ExceptionCase",
    "ExceptionTransitionError",
    "ExceptionType",
    "Finding",
    "FreshnessPolicy",
    "GovernanceError",
    "Lineage",
    "MetricsStateError",
    "NetworkMetrics",
    "Opening",
    "PartnerHealth",
    "PartnerMetrics",
    "PartnerProfile",
    "PeerFacts",
    "RecordRule",
    "RuleId",
    "RuleSet",
    "RuleSetError",
    "Series",
    "Severity",
    "SlaPolicy",
    "StateDefinition",
    "Thresholds",
    "TimestampError",
    "TimestampStandard",
    "WindowStats",
    "breach_counts",
    "canonical_rule_set_bytes",
    "case_digest",
    "case_from_dict",
    "case_to_dict",
    "check_document",
    "check_record",
    "cleared_cases",
    "compare_capacity",
    "compare_receipt",
    "dashboard_view",
    "default_rule_set",
    "flag_breaches",
    "format_display",
    "ingest_record",
    "network_dashboard",
    "open_case",
    "parse_timestamp",
    "partner_health",
    "partner_health_dict",
    "plan_openings",
    "record_as_of",
    "record_subject",
    "resolve_zone",
    "rule_set_digest",
    "rule_set_entry",
    "rule_set_from_dict",
    "rule_set_from_json",
    "rule_set_to_dict",
    "select_rule_set",
]
