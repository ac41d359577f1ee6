"""Demand and capacity sharing (after Catena-X DCM, CX-0128) and tier-N capacity facts.

* :class:`DemandForecast` / :class:`CapacityReport`: a customer's weekly demand
  per sku for one supplier, and the supplier's capacity groups with actual and
  maximum capacity per week (strict parsers, frozen values).
* :func:`detect_gaps` / :func:`gap_findings`: demand above capacity, capacity
  below committed orders → governance findings (``capacity_gap`` exceptions).
* :func:`prove_capacity_fact` / :func:`verify_forwarded_fact`: a supplier proves,
  in zero knowledge, on which side of the demand its capacity lies; anyone further
  up the chain verifies the forwarded evidence bundle offline.

The modules named here are pure (no clock, no I/O, randomness passed in); the
service, tables and routes around them live beside them in ``node``.
"""

from node.planning._committed import committed_orders
from node.planning._errors import FactError, PlanningError, PlanningFormatError
from node.planning._export import export_fact, record_fact
from node.planning._fact import (
    BITS,
    FACT_FORMAT,
    FACT_KIND,
    MAX_WEEKS,
    SUBJECT_FORMAT,
    CapacityFact,
    ProvenFact,
    Relation,
    WeekClaim,
    fact_context,
    prove_capacity_fact,
    range_context,
    subject_of,
    verify_capacity_fact,
)
from node.planning._forward import (
    DISCLOSURE_MEMBER,
    VerifiedFact,
    VerifiedWeek,
    verify_forwarded_fact,
)
from node.planning._gaps import Gap, GapKind, detect_gaps, gap_findings
from node.planning._models import (
    CAPACITY_FORMAT,
    FORECAST_FORMAT,
    MAX_QUANTITY,
    CapacityGroup,
    CapacityReport,
    CapacityWeek,
    DemandForecast,
    DemandLine,
)
from node.planning._service import (
    INBOX_PATH,
    MESSAGE_FORMAT,
    DeliveryReport,
    Message,
    PlanningService,
    message_hash,
)
from node.planning._tables import metadata, planning_facts, planning_gaps, planning_messages
from node.planning._weeks import Week, parse_week, week_of, week_range

__all__ = [
    "BITS",
    "CAPACITY_FORMAT",
    "DISCLOSURE_MEMBER",
    "FACT_FORMAT",
    "FACT_KIND",
    "FORECAST_FORMAT",
    "INBOX_PATH",
    "MAX_QUANTITY",
    "MAX_WEEKS",
    "MESSAGE_FORMAT",
    "SUBJECT_FORMAT",
    "CapacityFact",
    "CapacityGroup",
    "CapacityReport",
    "CapacityWeek",
    "DeliveryReport",
    "DemandForecast",
    "DemandLine",
    "FactError",
    "Gap",
    "GapKind",
    "Message",
    "PlanningError",
    "PlanningFormatError",
    "PlanningService",
    "ProvenFact",
    "Relation",
    "VerifiedFact",
    "VerifiedWeek",
    "Week",
    "WeekClaim",
    "committed_orders",
    "detect_gaps",
    "export_fact",
    "fact_context",
    "gap_findings",
    "message_hash",
    "metadata",
    "parse_week",
    "planning_facts",
    "planning_gaps",
    "planning_messages",
    "prove_capacity_fact",
    "range_context",
    "record_fact",
    "subject_of",
    "verify_capacity_fact",
    "verify_forwarded_fact",
    "week_of",
    "week_range",
]
