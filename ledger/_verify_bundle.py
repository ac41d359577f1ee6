"""Offline verification of evidence bundles, with a per-entry report.

Nothing here touches the network or the clock. Every distinct checkpoint is
verified once (signatures are the expensive part); each entry then costs a
strict leaf decode, one leaf hash and an O(log n) inclusion check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ledger._bundle import Bundle, BundleEntry
from ledger._bundle_report import BundleReport, BundleVerificationError, EntryReport
from ledger._checkpoint import Checkpoint
from ledger._entry import Entry
from ledger._hashing import leaf_hash
from ledger._keyhistory import KeyHistory
from ledger._keys import ALG_COSIGNATURE_V1, ALG_ED25519, NoteVerifier
from ledger._note import SignedNote, VerifiedSignature, open_note
from ledger._proof import verify_consistency, verify_inclusion
from ledger.errors import FormatError, LedgerError, VerificationError

__all__ = ["verify_bundle"]


@dataclass
class _CheckpointResult:
    checkpoint: Checkpoint | None
    log_keys: list[NoteVerifier] = field(default_factory=list)
    cosignatures: list[VerifiedSignature] = field(default_factory=list)
    problem: str | None = None
    latest_entry_ms: int = 0


def _open(note: str, keys: Sequence[NoteVerifier], origin: str) -> _CheckpointResult:
    try:
        parsed = SignedNote.parse(note)
        checkpoint = Checkpoint.from_body(parsed.text)
    except FormatError as exc:
        return _CheckpointResult(None, problem=f"malformed checkpoint: {exc}")
    if checkpoint.origin != origin:
        return _CheckpointResult(None, problem=f"checkpoint is for log {checkpoint.origin!r}")
    try:
        _, verified = open_note(parsed, keys)
    except LedgerError as exc:
        return _CheckpointResult(checkpoint, problem=str(exc))
    log_keys = [v.verifier for v in verified if v.verifier.alg == ALG_ED25519]
    cosigs = [v for v in verified if v.verifier.alg == ALG_COSIGNATURE_V1]
    result = _CheckpointResult(checkpoint, log_keys, cosigs)
    if not log_keys:
        result.problem = "checkpoint is not signed by any trusted log key"
    return result


def _parse_keys(vkeys: Sequence[str], alg: int, what: str) -> list[NoteVerifier]:
    keys = [NoteVerifier.from_vkey(v) for v in vkeys]
    for key in keys:
        if key.alg != alg:
            raise FormatError(f"{what} {key.name} has key type 0x{key.alg:02x}, need 0x{alg:02x}")
    return keys


def _key_history(bundle: Bundle, pinned: list[NoteVerifier]) -> tuple[KeyHistory, str | None]:
    try:
        rotations = []
        for index, leaf in bundle.key_history:
            entry = Entry.from_leaf(leaf)
            if entry.seq != index:
                raise FormatError(f"key_history leaf says seq {entry.seq}, listed as {index}")
            rotations.append(entry)
        return KeyHistory.build(pinned, rotations, origin=bundle.origin), None
    except LedgerError as exc:
        return KeyHistory.build(pinned, [], origin=bundle.origin), f"key history: {exc}"


@dataclass
class _Facts:
    index: int
    leaf_hash: bytes
    kind: str | None = None
    timestamp_ms: int | None = None
    checkpoint_size: int | None = None
    leaf_decodes: bool = False
    inclusion: bool = False
    problems: list[str] = field(default_factory=list)


def _check_entry(item: BundleEntry, cp: _CheckpointResult, origin: str) -> _Facts:
    facts = _Facts(item.index, leaf_hash(item.leaf))
    try:
        entry = Entry.from_leaf(item.leaf)
    except FormatError as exc:
        facts.problems.append(f"leaf does not decode: {exc}")
    else:
        facts.kind, facts.timestamp_ms = entry.kind, entry.timestamp_ms
        if entry.seq != item.index:
            facts.problems.append(f"leaf says seq {entry.seq}, bundle says index {item.index}")
        elif entry.origin != origin:
            facts.problems.append(f"leaf belongs to log {entry.origin!r}")
        else:
            facts.leaf_decodes = True
    if cp.checkpoint is None:
        facts.problems.append(cp.problem or "no checkpoint")
        return facts
    facts.checkpoint_size = cp.checkpoint.size
    try:
        verify_inclusion(
            facts.leaf_hash, item.index, cp.checkpoint.size, item.proof.proof, cp.checkpoint.root
        )
    except VerificationError as exc:
        facts.problems.append(f"inclusion proof does not verify: {exc}")
    else:
        facts.inclusion = True
        if facts.leaf_decodes and facts.timestamp_ms is not None:
            cp.latest_entry_ms = max(cp.latest_entry_ms, facts.timestamp_ms)
    return facts


def verify_bundle(
    data: bytes | Bundle,
    *,
    vkeys: Sequence[str],
    witnesses: Sequence[str] = (),
    quorum: int = 0,
    origin: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> BundleReport:
    """Verify an evidence bundle offline against pinned keys.

    ``vkeys``: the log's pinned verifier key(s) (type 0x01); later keys are
    learnt from the bundle's key history. ``witnesses``: trusted cosigner keys
    (type 0x04), of which ``quorum`` must have cosigned each checkpoint.
    ``origin``, if given, pins the log's origin line.
    ``data`` is the bundle's bytes (or an already parsed :class:`Bundle`).
    Returns the report when everything verifies; raises FormatError for a
    malformed bundle or key, BundleVerificationError (with ``.report``) otherwise.
    """
    pinned = _parse_keys(vkeys, ALG_ED25519, "log key")
    if not pinned:
        raise FormatError("at least one pinned log key is needed")
    witness_keys = _parse_keys(witnesses, ALG_COSIGNATURE_V1, "witness key")
    if not 0 <= quorum <= len(witness_keys):
        raise FormatError(f"quorum {quorum} needs at least {quorum} witness keys")
    bundle = data if isinstance(data, Bundle) else Bundle.from_bytes(data)
    problems: list[str] = []
    if origin is not None and bundle.origin != origin:
        problems.append(f"bundle is for log {bundle.origin!r}, not {origin!r}")
    history, history_problem = _key_history(bundle, pinned)
    if history_problem:
        problems.append(history_problem)
    keys = [*history.verifiers(), *witness_keys]

    cache: dict[str, _CheckpointResult] = {}
    checked: list[tuple[_Facts, _CheckpointResult]] = []
    for item in bundle.entries:
        cp = cache.get(item.proof.checkpoint)
        if cp is None:
            cp = cache[item.proof.checkpoint] = _open(item.proof.checkpoint, keys, bundle.origin)
        checked.append((_check_entry(item, cp, bundle.origin), cp))
        if progress is not None:
            progress(1)

    for cp in cache.values():
        _check_windows(cp, history)
    reports = tuple(_report(facts, cp, quorum) for facts, cp in checked)
    consistency = _check_consistency(bundle, keys, problems)
    if not bundle.entries and not bundle.consistency:
        problems.append("bundle holds no entries and no consistency proofs")
    report = BundleReport(
        origin=bundle.origin,
        quorum=quorum,
        entries=reports,
        consistency=tuple(consistency),
        key_windows=tuple(
            _describe(w.verifier, w.not_before_ms, w.not_after_ms) for w in history.windows
        ),
        problems=tuple(problems),
    )
    if not report.ok:
        raise BundleVerificationError(report)
    return report


def _describe(key: NoteVerifier, start: int | None, end: int | None) -> str:
    since = "the start of the log" if start is None else f"{start}"
    until = "further notice" if end is None else f"{end}"
    return f"{key.vkey} valid from {since} until {until} (UTC ms)"


def _check_windows(cp: _CheckpointResult, history: KeyHistory) -> None:
    if cp.checkpoint is None or cp.problem:
        return
    latest = None
    if cp.cosignatures:
        latest = min(c.timestamp or 0 for c in cp.cosignatures) * 1000 + 999
    valid = [k for k in cp.log_keys if history.window(k).covers(cp.latest_entry_ms, latest)]
    if not valid:
        cp.problem = "checkpoint is signed only by log keys that were not valid at the time"
    cp.log_keys = valid


def _report(facts: _Facts, cp: _CheckpointResult, quorum: int) -> EntryReport:
    problems = list(facts.problems)
    signed = cp.checkpoint is not None and cp.problem is None
    if cp.checkpoint is not None and cp.problem and cp.problem not in problems:
        problems.append(cp.problem)
    quorum_met = signed and len(cp.cosignatures) >= quorum
    if signed and not quorum_met:
        problems.append(f"{len(cp.cosignatures)} witness cosignature(s), quorum is {quorum}")
    return EntryReport(
        index=facts.index,
        kind=facts.kind,
        timestamp_ms=facts.timestamp_ms,
        leaf_hash=facts.leaf_hash,
        checkpoint_size=facts.checkpoint_size,
        leaf_decodes=facts.leaf_decodes,
        inclusion=facts.inclusion,
        log_signature=signed,
        log_keys=tuple(f"{k.name}+{k.key_id.hex()}" for k in cp.log_keys) if signed else (),
        witnesses=tuple(c.verifier.name for c in cp.cosignatures) if signed else (),
        quorum_met=quorum_met,
        problems=tuple(problems),
    )


def _check_consistency(bundle: Bundle, keys: list[NoteVerifier], problems: list[str]) -> list[str]:
    done = []
    for n, item in enumerate(bundle.consistency):
        old = _open(item.old, keys, bundle.origin)
        new = _open(item.new, keys, bundle.origin)
        where = f"consistency[{n}]"
        if old.problem or old.checkpoint is None:
            problems.append(f"{where}: old checkpoint: {old.problem}")
            continue
        if new.problem or new.checkpoint is None:
            problems.append(f"{where}: new checkpoint: {new.problem}")
            continue
        a, b = old.checkpoint, new.checkpoint
        try:
            verify_consistency(a.size, b.size, item.proof, a.root, b.root)
        except VerificationError as exc:
            problems.append(f"{where}: size {a.size} -> {b.size} does not verify: {exc}")
            continue
        done.append(f"tree of size {b.size} extends tree of size {a.size}")
    return done
