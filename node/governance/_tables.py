"""Tables of the governance service: rule sets, metric buckets, records, cases, facts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

__all__ = [
    "governance_case_events",
    "governance_cases",
    "governance_facts",
    "governance_leases",
    "governance_metric_buckets",
    "governance_metric_state",
    "governance_records",
    "governance_rule_sets",
    "metadata",
]

metadata = MetaData()

#: Every rule set this node has put in force, with the ledger entry that published it.
governance_rule_sets = Table(
    "governance_rule_sets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_set_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("effective_from", BigInteger, nullable=False),
    Column("digest", String(71), nullable=False),
    Column("document", Text, nullable=False),  # RFC 8785 JSON of the rule set
    Column("published_at", BigInteger, nullable=False),
    Column("ledger_index", BigInteger, nullable=True),  # None until the node has a ledger
    Index("uq_governance_rule_sets_version", "rule_set_id", "version", unique=True),
)

#: One row per live metric bucket (governance ``MetricBucket.to_dict()``).
governance_metric_buckets = Table(
    "governance_metric_buckets",
    metadata,
    Column("partner", String(200), primary_key=True),
    Column("level", String(8), primary_key=True),
    Column("start", BigInteger, primary_key=True),
    Column("data", Text, nullable=False),
)

#: Per partner: the metrics' watermark and unwindowed state; ``revision`` grows on
#: every write so other processes know to reload that partner.
governance_metric_state = Table(
    "governance_metric_state",
    metadata,
    Column("partner", String(200), primary_key=True),
    Column("watermark", BigInteger, nullable=False),
    Column("state", Text, nullable=False),
    Column("revision", BigInteger, nullable=False),
)

#: Lineage of every inbound record: where it came from and what the checks found.
governance_records = Table(
    "governance_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner", String(200), nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("as_of", BigInteger, nullable=True),
    Column("record_ref", String(200), nullable=True),
    Column("subject", String(600), nullable=False),
    Column("ledger_index", BigInteger, nullable=True),
    Column("mapping_profile", String(200), nullable=True),
    Column("source_fields", Text, nullable=False),  # JSON: canonical field -> source field
    Column("missing", Text, nullable=False),  # JSON list of missing required fields
    Column("findings", Text, nullable=False),  # JSON list of {rule_id, field, severity}
    Index("ix_governance_records_partner_time", "partner", "received_at"),
)

#: Exception cases (governance ``case_to_dict`` JSON, plaintext for the two parties).
governance_cases = Table(
    "governance_cases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("assignee", String(200), nullable=False),
    Column("raised_by", String(200), nullable=False),
    Column("subject", String(600), nullable=False),
    Column("state", String(16), nullable=False),
    Column("opened_at", BigInteger, nullable=False),
    Column("breached_at", BigInteger, nullable=True),
    Column("document", Text, nullable=False),
    Index("ix_governance_cases_assignee", "assignee", "state"),
    Index("ix_governance_cases_state", "state"),
)

#: Each transition of a case and the ledger entry that records it.
governance_case_events = Table(
    "governance_case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False),
    Column("kind", String(80), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("by", String(200), nullable=False),
    Column("ledger_index", BigInteger, nullable=True),
    Index("ix_governance_case_events_case", "case_id"),
)

#: Verified facts about a partner's log (governance ``PeerFacts``), as JSON.
governance_facts = Table(
    "governance_facts",
    metadata,
    Column("partner", String(200), primary_key=True),
    Column("document", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

#: Who runs the SLA sweep: one process at a time (uvicorn workers share the database).
governance_leases = Table(
    "governance_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("until_ms", BigInteger, nullable=False),  # wall clock, UTC ms
)
