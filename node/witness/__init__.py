"""Witnessing: C2SP tlog-witness for peers' logs, split-view detection, peer sync.

This node cosigns its peers' checkpoints (``add-checkpoint``) only after checking
them against the latest checkpoint it verified itself; it pushes its own
checkpoints to its peers' witnesses and keeps their cosignatures; it pulls its
peers' checkpoints and verifies them with consistency proofs from what it stored;
and it compares notes with other witnesses. Two signed checkpoints of one log that
cannot both be honest are kept as split-view evidence.
"""

from node.witness._errors import (
    BadConsistencyProof,
    RootConflict,
    SizeConflict,
    UnknownLog,
    UntrustedCheckpoint,
    WitnessError,
    WitnessFormatError,
)
from node.witness._key import (
    ENDORSEMENT_HEADER,
    WitnessKeyError,
    endorse_witness_key,
    load_or_create_witness_key,
    open_endorsement,
)
from node.witness._protocol import (
    MAX_BODY_BYTES,
    MAX_PROOF_LINES,
    SIZE_MEDIA_TYPE,
    AddCheckpoint,
    parse_add_checkpoint,
    parse_size_body,
    render_add_checkpoint,
)
from node.witness._push import peer_witness_key, push_checkpoint
from node.witness._sync import (
    ProofFetcher,
    SyncResult,
    fetcher,
    gossip_with,
    sync_peer,
    verify_and_store,
)
from node.witness._tables import metadata
from node.witness._transport import PeerSyncError, client_for, consistency_proof, get_text
from node.witness._views import (
    EvidenceRecord,
    LogView,
    compare_and_store,
    count_evidence,
    evidence_for,
    get_view,
    record_evidence,
)
from node.witness._witness import INCONSISTENT, SAME_SIZE, Witness, check_extends, trusted_log_keys

__all__ = [
    "ENDORSEMENT_HEADER",
    "INCONSISTENT",
    "MAX_BODY_BYTES",
    "MAX_PROOF_LINES",
    "SAME_SIZE",
    "SIZE_MEDIA_TYPE",
    "AddCheckpoint",
    "BadConsistencyProof",
    "EvidenceRecord",
    "LogView",
    "PeerSyncError",
    "ProofFetcher",
    "RootConflict",
    "SizeConflict",
    "SyncResult",
    "UnknownLog",
    "UntrustedCheckpoint",
    "Witness",
    "WitnessError",
    "WitnessFormatError",
    "WitnessKeyError",
    "check_extends",
    "client_for",
    "compare_and_store",
    "consistency_proof",
    "count_evidence",
    "endorse_witness_key",
    "evidence_for",
    "fetcher",
    "get_text",
    "get_view",
    "gossip_with",
    "load_or_create_witness_key",
    "metadata",
    "open_endorsement",
    "parse_add_checkpoint",
    "parse_size_body",
    "peer_witness_key",
    "push_checkpoint",
    "record_evidence",
    "render_add_checkpoint",
    "sync_peer",
    "trusted_log_keys",
    "verify_and_store",
]
