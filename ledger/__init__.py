"""ledger: a verifiable, append-only log.

Canonical entries (RFC 8785) chained by hash, an RFC 9162 Merkle tree with
inclusion and consistency proofs driven by node ids, C2SP signed notes,
checkpoints and cosignatures, key history, and offline-verifiable evidence
bundles. Pure: no clock, no randomness, no I/O; time and keys are passed in.
"""

from ledger._bundle import BUNDLE_FORMAT, Bundle, BundleEntry, ConsistencyItem, build_bundle
from ledger._bundle_report import BundleReport, BundleVerificationError, EntryReport
from ledger._canonical import JSONValue, canonical_json, parse_json
from ledger._checkpoint import (
    Checkpoint,
    OpenedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from ledger._cosignature import CosignatureSigner, add_cosignature
from ledger._entry import (
    ENTRY_TYPE,
    GENESIS_PREV,
    ChainVerifier,
    Entry,
    leaf_link,
    verify_chain,
)
from ledger._hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from ledger._keyhistory import (
    KEY_ROTATE_KIND,
    KEY_ROTATE_TYPE,
    KeyHistory,
    KeyRotation,
    KeyWindow,
    rotation_body,
)
from ledger._keys import ALG_COSIGNATURE_V1, ALG_ED25519, NoteVerifier, check_key_name, key_id
from ledger._merkle import (
    CompactRange,
    NodeId,
    ProofPlan,
    consistency_plan,
    inclusion_plan,
    root_from_nodes,
    root_node_ids,
)
from ledger._note import (
    NoteSignature,
    NoteSigner,
    SignedNote,
    VerifiedSignature,
    cosignature_message,
    open_note,
    sign_note,
)
from ledger._pinned import verify_extends_checkpoint
from ledger._proof import root_from_inclusion_proof, verify_consistency, verify_inclusion
from ledger._proof_text import TLOG_PROOF_HEADER, TlogProof
from ledger._verify_bundle import verify_bundle
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
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "BUNDLE_FORMAT",
    "EMPTY_ROOT",
    "ENTRY_TYPE",
    "GENESIS_PREV",
    "HASH_SIZE",
    "KEY_ROTATE_KIND",
    "KEY_ROTATE_TYPE",
    "TLOG_PROOF_HEADER",
    "Bundle",
    "BundleEntry",
    "BundleReport",
    "BundleVerificationError",
    "ChainError",
    "ChainVerifier",
    "Checkpoint",
    "CompactRange",
    "ConsistencyItem",
    "ConsistencyProofError",
    "CosignatureSigner",
    "Entry",
    "EntryReport",
    "FormatError",
    "InclusionProofError",
    "JSONValue",
    "KeyHistory",
    "KeyRotation",
    "KeyWindow",
    "LedgerError",
    "NodeId",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedCheckpoint",
    "ProofPlan",
    "RootMismatchError",
    "SignatureError",
    "SignedNote",
    "StorageError",
    "TlogProof",
    "VerificationError",
    "VerifiedSignature",
    "add_cosignature",
    "build_bundle",
    "canonical_json",
    "check_key_name",
    "consistency_plan",
    "cosignature_message",
    "inclusion_plan",
    "key_id",
    "leaf_hash",
    "leaf_link",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_json",
    "root_from_inclusion_proof",
    "root_from_nodes",
    "root_node_ids",
    "rotation_body",
    "sign_checkpoint",
    "sign_note",
    "verify_bundle",
    "verify_chain",
    "verify_checkpoint",
    "verify_consistency",
    "verify_extends_checkpoint",
    "verify_inclusion",
]
