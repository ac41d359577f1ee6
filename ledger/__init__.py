"""ledger: a verifiable, append-only log.

Canonical entries (RFC 8785) chained by hash, an RFC 9162 Merkle tree with
inclusion and consistency proofs driven by node ids, C2SP signed notes,
checkpoints and cosignatures, key history, and offline-verifiable evidence
bundles. Pure: no clock, no randomness, no I/O; time and keys are passed in.
"""

from ledger._canonical import JSONValue, canonical_json, parse_json
from ledger._entry import (
    ENTRY_TYPE,
    GENESIS_PREV,
    ChainVerifier,
    Entry,
    leaf_link,
    verify_chain,
)
from ledger._hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from ledger._merkle import (
    CompactRange,
    NodeId,
    ProofPlan,
    consistency_plan,
    inclusion_plan,
    root_from_nodes,
    root_node_ids,
)
from ledger._proof import root_from_inclusion_proof, verify_consistency, verify_inclusion
from ledger.errors import (
    ChainError,
    ConsistencyProofError,
    FormatError,
    InclusionProofError,
    LedgerError,
    RootMismatchError,
    SignatureError,
    StorageError,
    VerificationError,
)

__all__ = [
    "EMPTY_ROOT",
    "ENTRY_TYPE",
    "GENESIS_PREV",
    "HASH_SIZE",
    "ChainError",
    "ChainVerifier",
    "CompactRange",
    "ConsistencyProofError",
    "Entry",
    "FormatError",
    "InclusionProofError",
    "JSONValue",
    "LedgerError",
    "NodeId",
    "ProofPlan",
    "RootMismatchError",
    "SignatureError",
    "StorageError",
    "VerificationError",
    "canonical_json",
    "consistency_plan",
    "inclusion_plan",
    "leaf_hash",
    "leaf_link",
    "node_hash",
    "parse_json",
    "root_from_inclusion_proof",
    "root_from_nodes",
    "root_node_ids",
    "verify_chain",
    "verify_consistency",
    "verify_inclusion",
]
