"""Reading what financing needs from ``inventory.snapshot`` entry bodies.

Only public fields are read (see docs/publishing.md): the snapshot id, and per
position the subject hash, the as-of time, the bucket commitments and the facts.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import zk
from ledger import JSONValue
from node.finance._errors import FinanceFormatError
from node.inventory import SNAPSHOT_FORMAT

__all__ = ["SnapshotPosition", "snapshot_positions"]


@dataclass(frozen=True)
class SnapshotPosition:
    snapshot: str
    subject: str
    as_of_ms: int
    commitments: dict[str, zk.Commitment]
    facts: tuple[tuple[str, bytes | None, int | None], ...]


def _commitment(text: object, where: str) -> zk.Commitment:
    if not isinstance(text, str):
        raise FinanceFormatError(f"{where} is not a hex commitment")
    try:
        return zk.Commitment.from_bytes(bytes.fromhex(text))
    except (ValueError, zk.ProofError) as exc:
        raise FinanceFormatError(f"{where} is not a valid commitment: {exc}") from None


def _fact(item: JSONValue, where: str) -> tuple[str, bytes | None, int | None]:
    if not isinstance(item, dict) or not isinstance(item.get("fact"), str):
        raise FinanceFormatError(f"{where} is not a fact object")
    name = str(item["fact"])
    proof, bits = item.get("proof"), item.get("bits")
    if proof is None:
        return name, None, None
    if not isinstance(proof, str) or isinstance(bits, bool) or not isinstance(bits, int):
        raise FinanceFormatError(f"{where} proof must be base64 with integer bits")
    try:
        raw = base64.b64decode(proof.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise FinanceFormatError(f"{where} proof is not valid base64") from None
    return name, raw, bits


def snapshot_positions(body: JSONValue) -> dict[str, SnapshotPosition]:
    """subject → position of one ``inventory.snapshot`` body; FinanceFormatError if malformed."""
    if not isinstance(body, dict) or body.get("format") != SNAPSHOT_FORMAT:
        raise FinanceFormatError(f"snapshot body must have format {SNAPSHOT_FORMAT!r}")
    snapshot, positions = body.get("snapshot"), body.get("positions")
    if not isinstance(snapshot, str) or not isinstance(positions, list):
        raise FinanceFormatError("snapshot body needs a snapshot id and a positions list")
    out: dict[str, SnapshotPosition] = {}
    for n, item in enumerate(positions):
        where = f"snapshot {snapshot} position {n}"
        if not isinstance(item, dict):
            raise FinanceFormatError(f"{where} is not an object")
        subject, as_of = item.get("subject"), item.get("as_of_ms")
        commitments, facts = item.get("commitments"), item.get("facts", [])
        if not isinstance(subject, str) or isinstance(as_of, bool) or not isinstance(as_of, int):
            raise FinanceFormatError(f"{where} needs a subject and as_of_ms")
        if not isinstance(commitments, dict) or not isinstance(facts, list):
            raise FinanceFormatError(f"{where} needs commitments and facts")
        parsed = {
            name: _commitment(value, f"{where} commitment {name}")
            for name, value in commitments.items()
        }
        out[subject] = SnapshotPosition(
            snapshot,
            subject,
            as_of,
            parsed,
            tuple(_fact(f, f"{where} fact") for f in facts),
        )
    return out
