"""The report of an evidence bundle verification: per entry, and for the bundle."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import VerificationError

__all__ = ["BundleReport", "BundleVerificationError", "EntryReport"]


@dataclass(frozen=True)
class EntryReport:
    """What holds for one entry of a bundle."""

    index: int
    kind: str | None = None
    timestamp_ms: int | None = None
    leaf_hash: bytes | None = None
    checkpoint_size: int | None = None
    leaf_decodes: bool = False
    inclusion: bool = False
    log_signature: bool = False
    log_keys: tuple[str, ...] = ()
    witnesses: tuple[str, ...] = ()
    quorum_met: bool = False
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and self.leaf_decodes
            and self.inclusion
            and self.log_signature
            and self.quorum_met
        )

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "ok": self.ok,
            "kind": self.kind,
            "timestamp_ms": self.timestamp_ms,
            "leaf_hash": self.leaf_hash.hex() if self.leaf_hash else None,
            "checkpoint_size": self.checkpoint_size,
            "leaf_decodes": self.leaf_decodes,
            "inclusion": self.inclusion,
            "log_signature": self.log_signature,
            "log_keys": list(self.log_keys),
            "witnesses": list(self.witnesses),
            "quorum_met": self.quorum_met,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class BundleReport:
    """The outcome of verifying a bundle: per entry, and for the bundle as a whole."""

    origin: str
    quorum: int
    entries: tuple[EntryReport, ...]
    consistency: tuple[str, ...] = ()
    key_windows: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and all(e.ok for e in self.entries)

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "origin": self.origin,
            "quorum": self.quorum,
            "entries": [e.to_json() for e in self.entries],
            "consistency": list(self.consistency),
            "key_windows": list(self.key_windows),
            "problems": list(self.problems),
        }


class BundleVerificationError(VerificationError):
    """A bundle did not fully verify; ``report`` says what held and what did not."""

    def __init__(self, report: BundleReport) -> None:
        self.report = report
        bad = [e.index for e in report.entries if not e.ok]
        first = report.problems[0] if report.problems else None
        if first is None and bad:
            entry = next(e for e in report.entries if not e.ok)
            first = f"entry {entry.index}: " + (entry.problems[0] if entry.problems else "failed")
        super().__init__(f"bundle does not verify ({len(bad)} bad entries): {first}")
