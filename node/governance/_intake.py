"""Inbound records: rule checks, metrics update and a lineage row per record.

:func:`record_inbound` handles one record and writes at once;
:class:`InboundBatch` takes the records of one export inside the caller's
transaction and writes each touched metric bucket and the lineage rows once,
at the end (the path for the publishing pipeline: the per-record cost is then
the check and the in-memory update).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, insert

from governance import (
    Finding,
    PartnerMetrics,
    PartnerProfile,
    RuleId,
    ingest_record,
    record_as_of,
    record_subject,
)
from node.governance._db import write_transaction
from node.governance._metrics_store import check_partner_id
from node.governance._shared import shared
from node.governance._tables import governance_records

__all__ = ["InboundBatch", "inbound_batch", "record_inbound"]

_COMPACT = (",", ":")
_INSERT_RECORD = insert(governance_records)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=_COMPACT)


class InboundBatch:
    """Records of one or more partners, written on ``conn`` when the batch closes.

    Use as a context manager (``with inbound_batch(engine, conn) as batch``);
    nothing is written if the block raises. The caller commits ``conn``.
    """

    def __init__(self, engine: Engine, conn: Connection) -> None:
        self.engine = engine
        self.conn = conn
        self._store, self._book = shared(engine)
        self._revisions: dict[str, int] = {}
        self._times: dict[str, list[int]] = {}
        self._rows: list[dict[str, Any]] = []

    def record_inbound(
        self,
        partner: str | PartnerProfile,
        record: Mapping[str, Any],
        *,
        received_at: int | None = None,
        record_ref: str | None = None,
        ledger_index: int | None = None,
        mapping_profile: str | None = None,
        source_fields: Mapping[str, str] | None = None,
    ) -> tuple[Finding, ...]:
        """Check and count one record (see :func:`record_inbound`); returns the findings."""
        profile = partner if isinstance(partner, PartnerProfile) else PartnerProfile(partner)
        node_id = check_partner_id(profile.node_id)
        now = time.time_ns() // 1_000_000 if received_at is None else received_at
        rules = self._book.in_force(at=now)
        if node_id not in self._revisions:
            self._revisions[node_id] = self._store.begin(self.conn, node_id)

        def change(metrics: PartnerMetrics) -> tuple[Finding, ...]:
            return ingest_record(
                metrics,
                record,
                rules,
                now=now,
                partner=profile,
                ledger_index=ledger_index,
                mapping_profile=mapping_profile,
            )

        findings: tuple[Finding, ...] = self._store.apply(node_id, change)
        self._times.setdefault(node_id, []).append(now)
        missing = sorted({f.field for f in findings if f.rule_id == RuleId.REQUIRED_FIELD})
        self._rows.append(
            {
                "partner": node_id,
                "received_at": now,
                "as_of": record_as_of(record, profile),
                "record_ref": None if record_ref is None else record_ref[:200],
                "subject": (record_subject(record) if isinstance(record, Mapping) else "")[:600],
                "ledger_index": ledger_index,
                "mapping_profile": mapping_profile,
                "source_fields": _dumps(dict(source_fields or {})),
                "missing": _dumps(missing),
                "findings": _dumps(
                    [
                        {"rule_id": f.rule_id, "field": f.field, "severity": f.severity.value}
                        for f in findings
                    ]
                ),
            }
        )
        return findings

    def flush(self) -> None:
        """Write the touched buckets, state rows and lineage rows on the connection."""
        for partner, times in self._times.items():
            self._store.write(self.conn, partner, times, revision=self._revisions[partner])
        if self._rows:
            self.conn.execute(_INSERT_RECORD, self._rows)
        self._times.clear()
        self._rows.clear()
        self._revisions.clear()

    def __enter__(self) -> InboundBatch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.flush()


def inbound_batch(engine: Engine, conn: Connection) -> InboundBatch:
    """A batch of inbound records written on ``conn`` (the caller's transaction)."""
    return InboundBatch(engine, conn)


def record_inbound(
    engine: Engine,
    partner: str | PartnerProfile,
    record: Mapping[str, Any],
    *,
    received_at: int | None = None,
    conn: Connection | None = None,
    record_ref: str | None = None,
    ledger_index: int | None = None,
    mapping_profile: str | None = None,
    source_fields: Mapping[str, str] | None = None,
) -> tuple[Finding, ...]:
    """Check one inbound canonical inventory position of ``partner`` and count it.

    ``partner`` is the partner's node id (or a :class:`PartnerProfile` declaring
    the zone of its offset-less times); ``record`` the canonical record (``sku``,
    ``location``, ``lot``, ``as_of``, ``quantities``); ``received_at`` UTC ms
    (default: the wall clock). For lineage: ``record_ref`` (the caller's id of
    the record), ``ledger_index`` (the partner's ledger entry carrying it),
    ``mapping_profile`` (``source@version``) and ``source_fields`` (canonical
    field → the partner's column). Written on ``conn`` when given (inside the
    caller's transaction), else in a transaction of its own. Never appends to
    the ledger: the cases the metrics call for open at the next sweep. Returns
    the rule findings (governance ``Finding``). For many records at once, use
    :func:`inbound_batch`.
    """
    args: dict[str, Any] = {
        "received_at": received_at,
        "record_ref": record_ref,
        "ledger_index": ledger_index,
        "mapping_profile": mapping_profile,
        "source_fields": source_fields,
    }
    if conn is not None:
        with InboundBatch(engine, conn) as batch:
            return batch.record_inbound(partner, record, **args)
    with write_transaction(engine) as own, InboundBatch(engine, own) as batch:
        return batch.record_inbound(partner, record, **args)
