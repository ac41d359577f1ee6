"""Offline verification of a financing bundle: ledger evidence, pledges, coverage, gaps.

Nothing here touches the network or the clock. The ledger part is
:func:`ledger.verify_bundle` (pinned log key, witnesses, quorum); only entries
that it proved are used. Then: every pledge carries valid borrower and bank
signatures and a range proof, and rests on a logged grant; every snapshot
position of a pledged subject inside a pledge's period has a coverage proof
(the latest logged one) that lists every pledge of the bundle active at that
time and verifies against the snapshot's committed available stock; covered
snapshots are no further apart than ``max_gap_ms`` while a pledge is active.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import zk
from ledger import (
    Bundle,
    BundleReport,
    BundleVerificationError,
    Entry,
    LedgerError,
    NoteVerifier,
    open_note,
    verify_bundle,
)
from node.finance._bundle import FinancingHeader, header_of
from node.finance._coverage import COVERAGE_KIND, Coverage
from node.finance._errors import FinanceError, FinanceFormatError
from node.finance._grant import GRANT_KIND, GrantRecord
from node.finance._pledge import PLEDGE_BITS, PLEDGE_KIND, SignedPledge, pledge_context
from node.finance._report import (
    FinancingReport,
    FinancingVerificationError,
    PledgeLine,
    SnapshotLine,
)
from node.finance._snapshot import SnapshotPosition, snapshot_positions
from node.inventory import ENTRY_KIND as SNAPSHOT_KIND

__all__ = ["DEFAULT_MAX_GAP_MS", "verify_financing"]

#: Longest stretch without a proven snapshot a verifier accepts by default (48 h).
DEFAULT_MAX_GAP_MS = 48 * 3_600_000


@dataclass
class _Pledged:
    seq: int
    signed: SignedPledge
    commitment: zk.Commitment | None
    problems: list[str]


def _ledger(
    data: bytes, vkeys: Sequence[str], witnesses: Sequence[str], quorum: int
) -> tuple[Bundle, BundleReport]:
    try:
        bundle = Bundle.from_bytes(data)
    except LedgerError as exc:
        raise FinanceFormatError(f"malformed evidence bundle: {exc}") from None
    try:
        report = verify_bundle(bundle, vkeys=vkeys, witnesses=witnesses, quorum=quorum)
    except BundleVerificationError as exc:
        report = exc.report
    except LedgerError as exc:
        raise FinanceFormatError(str(exc)) from None
    return bundle, report


def _log_keys(vkeys: Sequence[str], report: BundleReport) -> set[str]:
    keys = set()
    for vkey in vkeys:
        v = NoteVerifier.from_vkey(vkey)
        keys.add(f"{v.name}+{v.key_id.hex()}")
    for entry in report.entries:
        keys.update(entry.log_keys)
    return keys


def _check_header(
    bundle: Bundle,
    header: FinancingHeader,
    signature: str,
    log_keys: set[str],
    entries: Sequence[tuple[int, Entry]],
) -> list[str]:
    """The borrower signed the financing member; its lists and keys match the bundle."""
    problems: list[str] = []
    known: list[NoteVerifier] = []
    for vkey in bundle.vkeys:
        try:
            key = NoteVerifier.from_vkey(vkey)
        except LedgerError as exc:
            problems.append(f"bundle lists a malformed log key: {exc}")
            continue
        if f"{key.name}+{key.key_id.hex()}" in log_keys:
            known.append(key)
    try:
        _, verified = open_note(header.note_text() + "\n" + signature + "\n", known)
    except LedgerError as exc:
        problems.append(f"the financing member's signature: {exc}")
    else:
        if not verified:
            problems.append("the financing member is not signed by the log's key")
    kinds = {GRANT_KIND: "grants", PLEDGE_KIND: "pledges", SNAPSHOT_KIND: "snapshots"}
    kinds[COVERAGE_KIND] = "coverage"
    found: dict[str, set[int]] = {role: set() for role in kinds.values()}
    for seq, entry in entries:
        role = kinds.get(entry.kind)
        if role is not None:
            found[role].add(seq)
    for role, seqs in found.items():
        if set(header.roles.get(role, ())) != seqs:
            problems.append(f"the financing member's {role} list does not match the entries")
    return problems


def _check_pledge(
    seq: int,
    entry: Entry,
    *,
    origin: str,
    log_keys: set[str],
    bank_keys: Sequence[NoteVerifier],
    grants: dict[str, GrantRecord],
) -> _Pledged:
    signed = SignedPledge.from_body(entry.body)
    pledge = signed.pledge
    out = _Pledged(seq, signed, None, [])
    try:
        signed.verify_signatures()
    except FinanceError as exc:
        out.problems.append(str(exc))
    borrower = NoteVerifier.from_vkey(pledge.borrower_vkey)
    if pledge.borrower != origin:
        out.problems.append(f"pledge {pledge.id} names borrower {pledge.borrower!r}")
    if f"{borrower.name}+{borrower.key_id.hex()}" not in log_keys:
        out.problems.append(f"pledge {pledge.id} is signed by a key that is not the log's")
    bank_key = NoteVerifier.from_vkey(pledge.bank_vkey)
    pinned_names = {k.name for k in bank_keys}
    if pledge.bank in pinned_names and bank_key not in bank_keys:
        out.problems.append(f"pledge {pledge.id} is not signed by the pinned key of {pledge.bank}")
    grant = grants.get(pledge.grant)
    if grant is None:
        out.problems.append(f"pledge {pledge.id} rests on grant {pledge.grant}, not in the bundle")
    elif grant.bank != pledge.bank or not grant.covers(
        pledge.subject, pledge.from_ms, pledge.to_ms
    ):
        out.problems.append(f"pledge {pledge.id} is outside its grant {pledge.grant}")
    try:
        commitment = zk.Commitment.from_bytes(pledge.commitment)
        zk.verify_range(
            [commitment],
            zk.RangeProof.from_bytes(pledge.range_proof),
            bits=PLEDGE_BITS,
            context=pledge_context(pledge.id, pledge.borrower, pledge.subject),
        )
        out.commitment = commitment
    except zk.ProofError as exc:
        out.problems.append(f"pledge {pledge.id}: range proof does not verify: {exc}")
    return out


@dataclass
class _Parsed:
    origin: str
    grants: dict[str, GrantRecord] = field(default_factory=dict)
    pledges: list[_Pledged] = field(default_factory=list)
    positions: list[tuple[int, SnapshotPosition]] = field(default_factory=list)
    coverage: dict[tuple[int, str], tuple[int, Coverage]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, _Pledged]:
        return {p.signed.pledge.id: p for p in self.pledges}

    def active(self, subject: str, as_of_ms: int) -> list[_Pledged]:
        return [
            p
            for p in self.pledges
            if p.signed.pledge.subject == subject and p.signed.pledge.covers(as_of_ms)
        ]


def _listed(
    cov_seq: int, cov: Coverage, active: list[_Pledged], by_id: dict[str, _Pledged]
) -> tuple[list[zk.Commitment], list[str]]:
    """The commitments of the pledges a coverage entry lists, and what is wrong with the list."""
    problems: list[str] = []
    listed = {ref.id for ref in cov.pledges}
    problems.extend(
        f"coverage entry {cov_seq} leaves out pledge {p.signed.pledge.id}"
        for p in active
        if p.signed.pledge.id not in listed
    )
    commitments: list[zk.Commitment] = []
    for ref in cov.pledges:
        found = by_id.get(ref.id)
        if found is None or found.seq != ref.seq:
            problems.append(f"coverage entry {cov_seq} lists pledge {ref.id} not in the bundle")
        elif found.commitment is None or found.problems:
            problems.append(f"coverage entry {cov_seq} lists pledge {ref.id}, which fails")
        elif ref.seq >= cov_seq:
            problems.append(f"coverage entry {cov_seq} lists pledge {ref.id} logged after it")
        else:
            commitments.append(found.commitment)
    return commitments, problems


def _check_point(parsed: _Parsed, seq: int, pos: SnapshotPosition) -> SnapshotLine:
    active = parsed.active(pos.subject, pos.as_of_ms)
    line = SnapshotLine(seq, pos.snapshot, pos.subject, pos.as_of_ms, len(active), None)
    if not active:
        return line
    coverage = parsed.coverage.get((seq, pos.subject))
    if coverage is None:
        return replace(line, problems=("no coverage proof for this snapshot",))
    cov_seq, cov = coverage
    commitments, problems = _listed(cov_seq, cov, active, parsed.by_id())
    if cov.as_of_ms != pos.as_of_ms:
        problems.append(f"coverage entry {cov_seq} has another as-of time")
    available = pos.commitments.get("available")
    if available is None:
        problems.append("the snapshot commits to no available stock")
    elif not problems:
        try:
            cov.verify(parsed.origin, available, commitments)
        except FinanceError as exc:
            problems.append(str(exc))
        else:
            return replace(line, ratio_bp=cov.ratio_bp)
    return replace(line, problems=tuple(problems))


def _gaps(
    lines: Sequence[SnapshotLine],
    pledges: Sequence[_Pledged],
    header: FinancingHeader,
    max_gap: int,
    evidence_ms: int,
) -> list[tuple[int, int]]:
    """Stretches of more than ``max_gap`` without a proven snapshot while the bank's pledges
    run, up to the time the evidence reaches (the newest proven entry: no gap in the future)."""
    own = [p.signed.pledge for p in pledges if p.signed.pledge.bank == header.bank]
    gaps: list[tuple[int, int]] = []
    for subject in header.subjects:
        for pledge in (p for p in own if p.subject == subject):
            start = max(pledge.from_ms, header.from_ms)
            end = min(pledge.to_ms, header.to_ms, evidence_ms)
            if start > end:
                continue
            times = sorted(
                s.as_of_ms
                for s in lines
                if s.subject == subject
                and s.ratio_bp is not None
                and not s.problems
                and start <= s.as_of_ms <= end
            )
            marks = [start, *times, end]
            gaps.extend((a, b) for a, b in itertools.pairwise(marks) if b - a > max_gap)
    return sorted(set(gaps))


def _uncarried(own: Sequence[_Pledged], parsed: _Parsed, header: FinancingHeader) -> list[str]:
    """The bank's pledges whose collateral (item, or lot) no snapshot of the bundle carries
    while the pledge runs: nothing covers them at all."""
    problems = []
    for p in own:
        pledge = p.signed.pledge
        start = max(pledge.from_ms, header.from_ms)
        end = min(pledge.to_ms, header.to_ms)
        if start > end:
            continue
        if not any(
            pos.subject == pledge.subject and start <= pos.as_of_ms <= end
            for _, pos in parsed.positions
        ):
            problems.append(
                f"pledge {pledge.id}: no snapshot in the bundle carries its collateral "
                f"(item or lot {pledge.subject[:16]}…) while it runs; nothing covers it"
            )
    return problems


def _parse_entries(
    entries: Sequence[tuple[int, Entry]],
    header: FinancingHeader,
    *,
    origin: str,
    log_keys: set[str],
    bank_keys: Sequence[NoteVerifier],
) -> _Parsed:
    parsed = _Parsed(origin)
    for seq, entry in sorted(entries, key=lambda x: x[0]):
        try:
            if entry.kind == GRANT_KIND:
                record = GrantRecord.from_body(entry.body)
                parsed.grants[record.grant] = record
            elif entry.kind == PLEDGE_KIND:
                parsed.pledges.append(
                    _check_pledge(
                        seq,
                        entry,
                        origin=origin,
                        log_keys=log_keys,
                        bank_keys=bank_keys,
                        grants=parsed.grants,
                    )
                )
            elif entry.kind == SNAPSHOT_KIND:
                parsed.positions.extend(
                    (seq, pos)
                    for pos in snapshot_positions(entry.body).values()
                    if pos.subject in header.subjects
                    and header.from_ms <= pos.as_of_ms <= header.to_ms
                )
            elif entry.kind == COVERAGE_KIND:
                cov = Coverage.from_body(entry.body)
                parsed.coverage[(cov.snapshot_seq, cov.subject)] = (seq, cov)  # the latest wins
        except FinanceFormatError as exc:
            parsed.problems.append(f"entry {seq} ({entry.kind}): {exc}")
    return parsed


def verify_financing(
    data: bytes,
    *,
    vkeys: Sequence[str],
    witnesses: Sequence[str] = (),
    quorum: int = 0,
    bank_vkeys: Sequence[str] = (),
    max_gap_ms: int = DEFAULT_MAX_GAP_MS,
) -> FinancingReport:
    """Verify a financing bundle offline; the report when everything holds.

    Raises FinanceFormatError for a malformed bundle or key, and
    FinancingVerificationError (with ``.report``) when anything fails.
    """
    header, signature = header_of(data)
    try:
        bank_keys = [NoteVerifier.from_vkey(v) for v in bank_vkeys]
    except LedgerError as exc:
        raise FinanceFormatError(f"bank key: {exc}") from None
    bundle, ledger_report = _ledger(data, vkeys, witnesses, quorum)
    proven = {e.index for e in ledger_report.entries if e.ok}
    problems: list[str] = []
    notes: list[str] = []
    entries: list[tuple[int, Entry]] = []
    for item in bundle.entries:
        if item.index not in proven:
            problems.append(f"entry {item.index} is not proven in the signed log")
            continue
        entries.append((item.index, Entry.from_leaf(item.leaf)))
    log_keys = _log_keys(vkeys, ledger_report)
    problems.extend(_check_header(bundle, header, signature, log_keys, entries))

    parsed = _parse_entries(
        entries, header, origin=bundle.origin, log_keys=log_keys, bank_keys=bank_keys
    )
    problems.extend(parsed.problems)
    pledges = parsed.pledges
    by_id = {p.signed.pledge.id: p for p in pledges}
    if len(by_id) != len(pledges):
        problems.append("the bundle holds two pledges with the same id")
    for p in pledges:
        for pid, seq in p.signed.pledge.prior:
            found = by_id.get(pid)
            if found is None or found.seq != seq:
                problems.append(
                    f"pledge {p.signed.pledge.id} was signed knowing of pledge {pid} "
                    f"(entry {seq}), which the bundle leaves out"
                )
    own = [p for p in pledges if p.signed.pledge.bank == header.bank]
    if not own:
        problems.append(f"the bundle holds no pledge to {header.bank}")
    problems.extend(_uncarried(own, parsed, header))
    if not bank_keys:
        notes.append(
            "no bank key pinned: the bank signature was checked against the key in the pledge"
        )
    others = len(pledges) - len(own)
    if others:
        notes.append(f"{others} pledge(s) to other banks share this stock; coverage includes them")
    lines = [_check_point(parsed, seq, pos) for seq, pos in parsed.positions]
    evidence_ms = max((entry.timestamp_ms for _, entry in entries), default=0)
    report = FinancingReport(
        origin=bundle.origin,
        bank=header.bank,
        from_ms=header.from_ms,
        to_ms=header.to_ms,
        ledger=ledger_report,
        pledges=tuple(
            PledgeLine(
                p.signed.pledge.id,
                p.seq,
                p.signed.pledge.bank,
                p.signed.pledge.from_ms,
                p.signed.pledge.to_ms,
                not p.problems,
                any(k == NoteVerifier.from_vkey(p.signed.pledge.bank_vkey) for k in bank_keys),
            )
            for p in pledges
        ),
        snapshots=tuple(lines),
        gaps=tuple(_gaps(lines, pledges, header, max_gap_ms, evidence_ms)),
        evidence_ms=evidence_ms,
        max_gap_ms=max_gap_ms,
        witnesses=tuple(sorted({w for e in ledger_report.entries for w in e.witnesses})),
        notes=tuple(notes),
        problems=tuple(problems + [q for p in pledges for q in p.problems]),
    )
    if not report.ok:
        raise FinancingVerificationError(report)
    return report
