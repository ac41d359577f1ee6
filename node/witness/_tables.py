"""Tables of witnessing and peer views (created by migration ``0003_witness_outbox``).

* ``witness_logs``: per log origin (a peer's log), the latest checkpoint this node
  verified as consistent with everything it saw of that log before, whether it
  came as a witness request (``add-checkpoint``), from a pull of the peer's
  checkpoint, or through the inbox. The witness's compare-and-store runs on this
  row. ``claimed_size``/``claimed_ms`` record the largest size the log claimed
  (for lag), verified or not.
* ``split_view_evidence``: pairs of signed checkpoints of one log that cannot both
  be honest, kept verbatim as evidence.
* ``peer_witness_keys``: each peer's witness (cosigner) key, endorsed by the
  peer's log key, and the size that witness last cosigned for this node.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, MetaData, String, Table, Text

__all__ = ["evidence", "metadata", "peer_witness_keys", "witness_logs"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

witness_logs = Table(
    "witness_logs",
    metadata,
    Column("origin", String(255), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("verified_ms", BigInteger, nullable=False),
    Column("source", String(16), nullable=False),
    Column("claimed_size", BigInteger, nullable=False),
    Column("claimed_ms", BigInteger, nullable=False),
)

evidence = Table(
    "split_view_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(255), nullable=False, index=True),
    # sha-256 of the two checkpoint bodies (sorted): one row per pair
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("note_a", Text, nullable=False),
    Column("note_b", Text, nullable=False),
    Column("proof", Text, nullable=True),
    Column("source", String(16), nullable=False),
    Column("detected_ms", BigInteger, nullable=False),
)

peer_witness_keys = Table(
    "peer_witness_keys",
    metadata,
    Column("peer_id", String(32), primary_key=True),
    Column("witness_vkey", Text, nullable=False),
    Column("endorsement", Text, nullable=False),
    Column("cosigned_size", BigInteger, nullable=False),
    Column("fetched_ms", BigInteger, nullable=False),
)
