"""The credit officer's report on a financing bundle (what held, what did not)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ledger import BundleReport
from node.finance._errors import FinanceVerificationError

__all__ = [
    "FinancingReport",
    "FinancingVerificationError",
    "PledgeLine",
    "SnapshotLine",
    "render_report",
]


@dataclass(frozen=True)
class PledgeLine:
    id: str
    seq: int
    bank: str
    from_ms: int
    to_ms: int
    ok: bool
    bank_key_pinned: bool


@dataclass(frozen=True)
class SnapshotLine:
    seq: int
    snapshot: str
    subject: str
    as_of_ms: int
    pledges: int
    ratio_bp: int | None  # None: no valid coverage proof
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class FinancingReport:
    origin: str
    bank: str
    from_ms: int
    to_ms: int
    ledger: BundleReport | None
    pledges: tuple[PledgeLine, ...]
    snapshots: tuple[SnapshotLine, ...]
    gaps: tuple[tuple[int, int], ...]
    max_gap_ms: int
    witnesses: tuple[str, ...]
    evidence_ms: int = 0
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def lowest_ratio_bp(self) -> int | None:
        ratios = [s.ratio_bp for s in self.snapshots if s.pledges and s.ratio_bp is not None]
        return min(ratios) if ratios else None

    @property
    def uncovered(self) -> tuple[SnapshotLine, ...]:
        """Snapshots under pledge without verified coverage: gaps in the evidence."""
        return tuple(s for s in self.snapshots if s.pledges and (s.ratio_bp is None or s.problems))

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and self.ledger is not None
            and self.ledger.ok
            and not self.gaps
            and all(p.ok for p in self.pledges)
            and all(not s.problems for s in self.snapshots)
            and any(s.ratio_bp is not None for s in self.snapshots)
        )

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "format": "scnode-financing-report/v1",
            "origin": self.origin,
            "bank": self.bank,
            "period": {"from_ms": self.from_ms, "to_ms": self.to_ms},
            "lowest_ratio_bp": self.lowest_ratio_bp,
            "pledges": [p.__dict__ for p in self.pledges],
            "snapshots": [{**s.__dict__, "problems": list(s.problems)} for s in self.snapshots],
            "gaps": [{"from_ms": a, "to_ms": b} for a, b in self.gaps],
            "uncovered": [
                {
                    "seq": s.seq,
                    "snapshot": s.snapshot,
                    "as_of_ms": s.as_of_ms,
                    "problems": list(s.problems),
                }
                for s in self.uncovered
            ],
            "max_gap_ms": self.max_gap_ms,
            "evidence_ms": self.evidence_ms,
            "witnesses": list(self.witnesses),
            "ledger": self.ledger.to_json() if self.ledger else None,
            "notes": list(self.notes),
            "problems": list(self.problems),
        }


class FinancingVerificationError(FinanceVerificationError):
    """A financing bundle did not fully verify; ``report`` says what held."""

    def __init__(self, report: FinancingReport) -> None:
        self.report = report
        first = report.problems[0] if report.problems else "see the report"
        super().__init__(f"financing bundle does not verify: {first}")


def when(ms: int | None) -> str:
    if ms is None:
        return "-"
    try:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return f"{ms} ms"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _pct(ratio_bp: int | None) -> str:
    return "-" if ratio_bp is None else f"{ratio_bp / 100:g} %"


def render_report(report: FinancingReport) -> str:
    """The plain-text report a credit officer reads."""
    out = [
        f"Financing evidence from {report.origin} for bank {report.bank}",
        f"Period covered: {when(report.from_ms)} to {when(report.to_ms)}",
        f"Evidence reaches: {when(report.evidence_ms)} (the newest entry proven in the log)",
    ]
    ledger = report.ledger
    if ledger is not None:
        good = sum(e.ok for e in ledger.entries)
        out.append(
            f"Ledger evidence: {good} of {len(ledger.entries)} entries proven in the signed log"
        )
    out.append(
        "Witnesses: " + (", ".join(report.witnesses) if report.witnesses else "none cosigned")
    )
    out.append(f"Pledges: {len(report.pledges)}")
    for p in report.pledges:
        mark = "ok  " if p.ok else "FAIL"
        pin = "" if p.bank_key_pinned or p.bank != report.bank else " (bank key not pinned)"
        out.append(
            f"  {mark} pledge {p.id} (entry {p.seq}) to {p.bank}{pin}, "
            f"{when(p.from_ms)} to {when(p.to_ms)}"
        )
    pledged = [s for s in report.snapshots if s.pledges]
    covered = [s for s in pledged if s.ratio_bp is not None and not s.problems]
    out.append(f"Snapshots under pledge: {len(pledged)}, with verified coverage: {len(covered)}")
    for s in pledged:
        mark = "ok  " if s.ratio_bp is not None and not s.problems else "FAIL"
        out.append(
            f"  {mark} {when(s.as_of_ms)}  entry {s.seq}  {s.pledges} pledge(s)  "
            f"coverage {'at least ' + _pct(s.ratio_bp) if s.ratio_bp else 'NOT proven'}"
        )
        out.extend(f"       problem: {p}" for p in s.problems)
    out.append(f"Lowest proven coverage: {_pct(report.lowest_ratio_bp)}")
    if report.gaps:
        hours = report.max_gap_ms / 3_600_000
        out.append(f"Gaps (no proven coverage for more than {hours:g} h):")
        out.extend(f"  FAIL {when(a)} to {when(b)}" for a, b in report.gaps)
    else:
        out.append("Gaps: none")
    if report.uncovered:
        out.append(f"Snapshots without proven coverage: {len(report.uncovered)}")
        out.extend(
            f"  FAIL {when(s.as_of_ms)}  entry {s.seq}  snapshot {s.snapshot}"
            for s in report.uncovered
        )
    out.extend(f"Note: {n}" for n in report.notes)
    out.extend(f"FAIL {p}" for p in report.problems)
    out.append("OK: the financing evidence verifies" if report.ok else "FAILED: see above")
    return "\n".join(out) + "\n"
