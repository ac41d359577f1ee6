"""API models of the inventory and facts routes (frozen pydantic models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FactPublic",
    "FactsPage",
    "FindingPublic",
    "GrantCreate",
    "GrantPublic",
    "MovementTerm",
    "MovementsDisclosure",
    "OpeningPublic",
    "PolicyPublic",
    "PositionPrivate",
    "PositionPublished",
    "SnapshotPublic",
    "Verification",
    "VisibleFact",
    "VisibleFacts",
]

_FROZEN = ConfigDict(frozen=True)


class FactPublic(BaseModel):
    model_config = _FROZEN
    fact: str = Field(description="available_at_least_safety_stock or ..._below_safety_stock")
    proof: str | None = Field(default=None, description="Bulletproofs range proof, base64")
    bits: int | None = Field(default=None, description="Range size of the proof")


class PositionPublished(BaseModel):
    model_config = _FROZEN
    n: int
    sku: str
    location: str | None
    lot: str | None
    subject: str = Field(description="The position's public subject hash on the ledger")
    as_of_ms: int
    commitments: dict[str, str] = Field(description="Bucket -> Pedersen commitment, hex")
    facts: list[FactPublic]


class FindingPublic(BaseModel):
    model_config = _FROZEN
    n: int = Field(description="Position number in the request")
    rule_id: str
    rule_set: str
    rule_version: int
    severity: str
    field: str
    message: str


class SnapshotPublic(BaseModel):
    """What one publish appended: the entry, the checkpoint covering it, per position
    the commitments and facts (never quantities)."""

    model_config = _FROZEN
    snapshot: str
    index: int = Field(description="Index of the inventory.snapshot entry in the ledger")
    leaf_hash: str
    checkpoint: str = Field(description="The signed checkpoint covering the entry (C2SP)")
    checkpoint_size: int
    source: str | None
    mapping_profile_version: int | None
    rule_set: str
    disclosure_policy_version: int
    positions: list[PositionPublished]
    findings: list[FindingPublic] = Field(description="Warnings kept on record")
    exceptions: list[str] = Field(description="Governance cases opened or cleared")


class PositionPrivate(BaseModel):
    """A position with its plaintext (owner roles only)."""

    model_config = _FROZEN
    snapshot: str
    index: int
    n: int
    sku: str
    location: str | None
    lot: str | None
    as_of_ms: int
    uom: str | None
    quantities: dict[str, int]
    safety_stock: int | None
    attributes: dict[str, str]
    subject: str
    commitments: dict[str, str]
    facts: list[FactPublic]


class Verification(BaseModel):
    """How to check a fact's proof with ``zk.verify_at_least``."""

    model_config = _FROZEN
    statement: str = Field(description="at_least")
    commitment: str = Field(description="C_available - C_safety_stock, hex (33 bytes)")
    threshold: int
    bits: int
    context: str = Field(description="The proof's context bytes, base64 (RFC 8785 JSON)")


class VisibleFact(BaseModel):
    model_config = _FROZEN
    fact: str
    proof: str | None = None
    bits: int | None = None
    verification: Verification | None = None


class OpeningPublic(BaseModel):
    model_config = _FROZEN
    value: int
    blinding: str = Field(description="32 bytes, hex")


class VisibleFacts(BaseModel):
    """What the caller may see of one published position."""

    model_config = _FROZEN
    snapshot: str
    index: int = Field(description="Ledger index of the snapshot entry")
    leaf_hash: str
    sku: str
    location: str | None
    lot: str | None
    salt: str = Field(description="Salt of the subject hash (recompute it to match the entry)")
    subject: str
    as_of_ms: int
    commitments: dict[str, str]
    facts: list[VisibleFact]
    openings: dict[str, OpeningPublic] = Field(description="Only what a grant opened")


class FactsPage(BaseModel):
    model_config = _FROZEN
    origin: str
    generators: str = Field(description="SHA-256 of the zk generator set, hex")
    items: list[VisibleFacts]


class PolicyPublic(BaseModel):
    model_config = _FROZEN
    version: int
    digest: str
    document: dict[str, Any]


class GrantCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    grantee: str = Field(description="The bank's or auditor's token or peer key name")
    role: str = Field(description="bank or auditor")
    skus: list[str] = Field(description="SKU patterns: exact, PREFIX* or *")
    locations: list[str] = Field(default=["*"])
    from_ms: int
    to_ms: int
    buckets: list[str] = Field(default=[], description="Buckets whose openings are disclosed")


class GrantPublic(BaseModel):
    model_config = _FROZEN
    id: str
    grantee: str
    role: str
    skus: list[str]
    locations: list[str]
    from_ms: int
    to_ms: int
    buckets: list[str]
    created_ms: int
    revoked_ms: int | None


class MovementTerm(BaseModel):
    model_config = _FROZEN
    snapshot: str = Field(description="Snapshot id whose sum statement holds the term")
    index: int = Field(description="Ledger index of that snapshot's entry")
    subject: str = Field(description="Item subject of the statement")
    bucket: str = Field(description="Bucket of the statement")
    term: int = Field(description="Position of the term in the statement's terms")
    direction: str = Field(description="in (adds to the bucket) or out")
    commitment: str = Field(description="The term's commitment on the ledger, hex")
    opening: str = Field(description="Its opening (value || blinding, hex): secret")
    sku: str = Field(description="The document's sku the term is for")
    lot: str | None = Field(description="The document's lot")


class MovementsDisclosure(BaseModel):
    model_config = _FROZEN
    document: str = Field(description="The document's hash")
    origin: str = Field(description="This node's log origin (the proofs' context)")
    terms: list[MovementTerm]
