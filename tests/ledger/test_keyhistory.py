"""Key rotation without a new log: rotation entries, validity windows, bundles."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger import (
    KEY_ROTATE_KIND,
    BundleVerificationError,
    FormatError,
    KeyHistory,
    KeyRotation,
    NoteSigner,
    SignatureError,
    canonical_json,
    rotation_body,
    verify_bundle,
)
from tests.ledger.logfactory import ORIGIN, T0, MemoryLog, witness

OLD = NoteSigner(ORIGIN, bytes([21]) * 32)
NEW = NoteSigner(ORIGIN, bytes([22]) * 32)
NEWER = NoteSigner(ORIGIN, bytes([23]) * 32)


def _rotation(old: NoteSigner, new: NoteSigner, start: int, old_end: int, **kw: Any) -> KeyRotation:
    return KeyRotation(
        origin=ORIGIN,
        old_vkey=old.vkey,
        new_vkey=new.vkey,
        new_not_before_ms=start,
        old_not_after_ms=old_end,
        **kw,
    )


def _rotated_log() -> tuple[MemoryLog, int]:
    """Entries 0..9 under OLD; entry 10 rotates to NEW (overlap until entry 14); 11..29."""
    log = MemoryLog()
    log.fill(10)
    ts = T0 + 10 * 1000
    rot = _rotation(OLD, NEW, start=ts, old_end=ts + 4 * 1000)
    log.append(KEY_ROTATE_KIND, rotation_body(rot, OLD, NEW), timestamp_ms=ts)
    for i in range(11, 30):
        log.append("inventory.snapshot", {"sku": f"SKU-{i}"})
    return log, 10


def test_rotation_statement_signed_by_both_keys() -> None:
    rot = _rotation(OLD, NEW, T0, T0 + 10)
    body = rotation_body(rot, OLD, NEW)
    assert set(body) == {"rotation", "old_signature", "new_signature"}
    assert body["rotation"] == rot.statement()
    assert rot.message().startswith(b"scnode key rotation v1\n{")
    assert rot.message().endswith(canonical_json(rot.statement()))
    assert KeyRotation.from_statement(json.loads(canonical_json(rot.statement()))) == rot
    with pytest.raises(FormatError):
        rotation_body(rot, NEW, OLD)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"new_not_before_ms": 100, "old_not_after_ms": 99},  # a gap
        {"new_not_before_ms": 100, "old_not_after_ms": 200, "new_not_after_ms": 50},
        {"new_not_before_ms": -1, "old_not_after_ms": 200},
        {"new_not_before_ms": True, "old_not_after_ms": 200},
    ],
)
def test_rotation_invariants(kwargs: dict[str, Any]) -> None:
    with pytest.raises(FormatError):
        KeyRotation(origin=ORIGIN, old_vkey=OLD.vkey, new_vkey=NEW.vkey, **kwargs)
    with pytest.raises(FormatError):
        KeyRotation(ORIGIN, OLD.vkey, OLD.vkey, 1, 2)


def test_windows_from_history() -> None:
    log, k = _rotated_log()
    history = KeyHistory.build([OLD.verifier()], [log.entries[k]], origin=ORIGIN)
    ts = log.entries[k].timestamp_ms
    assert history.valid_at(ts - 1) == [OLD.verifier()]
    assert history.valid_at(ts + 2000) == [OLD.verifier(), NEW.verifier()]
    assert history.valid_at(ts + 4000) == [OLD.verifier(), NEW.verifier()]
    assert history.valid_at(ts + 4001) == [NEW.verifier()]
    assert history.window(NEW.verifier()).not_before_ms == ts
    assert history.window(OLD.verifier()).not_after_ms == ts + 4000


def test_chained_rotations_and_bad_histories() -> None:
    log, k = _rotated_log()
    ts = T0 + 40_000
    second = _rotation(NEW, NEWER, ts, ts + 1000, new_not_after_ms=ts + 10**9)
    log.append(KEY_ROTATE_KIND, rotation_body(second, NEW, NEWER), timestamp_ms=ts)
    rotations = [log.entries[-1], log.entries[k]]  # any order: applied by seq
    history = KeyHistory.build([OLD.verifier()], rotations, origin=ORIGIN)
    assert history.valid_at(ts + 2000) == [NEWER.verifier()]
    assert history.valid_at(ts + 10**9 + 1) == []
    # The second rotation alone: signed by a key the log never had.
    with pytest.raises(SignatureError):
        KeyHistory.build([OLD.verifier()], [log.entries[-1]], origin=ORIGIN)
    # Not a rotation entry; another log's history.
    with pytest.raises(FormatError):
        KeyHistory.build([OLD.verifier()], [log.entries[0]], origin=ORIGIN)
    with pytest.raises(FormatError):
        KeyHistory.build([OLD.verifier()], [log.entries[k]], origin="example.com/else")


def test_forged_rotation_signature() -> None:
    log = MemoryLog()
    rot = _rotation(OLD, NEW, T0, T0 + 5)
    body = rotation_body(rot, OLD, NEW)
    body["old_signature"] = body["new_signature"]
    log.append(KEY_ROTATE_KIND, body, timestamp_ms=T0)
    with pytest.raises(SignatureError):
        KeyHistory.build([OLD.verifier()], log.entries, origin=ORIGIN)
    log = MemoryLog()
    late = _rotation(OLD, NEW, T0, T0 + 5)
    log.append(KEY_ROTATE_KIND, rotation_body(late, OLD, NEW), timestamp_ms=T0 + 100)
    with pytest.raises(FormatError):  # back-dated new key / old key ended before the rotation
        KeyHistory.build([OLD.verifier()], log.entries, origin=ORIGIN)


def test_bundle_across_rotation() -> None:
    log, k = _rotated_log()
    # During the overlap the log signs with both keys; afterwards with NEW only.
    overlap_note = log.signed([OLD, NEW], size=13)
    late_note = log.signed([NEW])
    early = log.bundle([2, 12], overlap_note, size=13, key_history=[k])
    overlap = verify_bundle(early, vkeys=[OLD.vkey])  # pinned old key suffices
    assert set(overlap.entries[0].log_keys) == {
        f"{ORIGIN}+{OLD.key_id.hex()}",
        f"{ORIGIN}+{NEW.key_id.hex()}",
    }
    late = log.bundle([2, 25], late_note, key_history=[k])
    report = verify_bundle(late, vkeys=[OLD.vkey])
    assert report.entries[1].log_keys == (f"{ORIGIN}+{NEW.key_id.hex()}",)
    assert any("valid from" in w for w in report.key_windows)
    # Without the key history the new key is unknown to a verifier pinning the old one.
    with pytest.raises(BundleVerificationError):
        verify_bundle(log.bundle([2, 25], late_note), vkeys=[OLD.vkey])
    # The old key signing after its window closed (entry 25 is past the overlap).
    stale = log.bundle([2, 25], log.signed([OLD]), key_history=[k])
    with pytest.raises(BundleVerificationError) as info:
        verify_bundle(stale, vkeys=[OLD.vkey])
    assert "not valid at the time" in str(info.value)
    # A witness cosignature dated before the new key's window rules the new key out.
    ws = witness(1)
    early_cosig = log.signed([NEW], size=13, witnesses=[ws], cosigned_at=(T0 + 5_000) // 1000)
    data = log.bundle([2], early_cosig, size=13, key_history=[k])
    with pytest.raises(BundleVerificationError):
        verify_bundle(data, vkeys=[OLD.vkey], witnesses=[ws.vkey], quorum=1)


def test_bad_history_in_bundle_is_reported() -> None:
    log, k = _rotated_log()
    data = log.bundle([2], log.signed([OLD], size=5), size=5, key_history=[k - 1])
    with pytest.raises(BundleVerificationError) as info:
        verify_bundle(data, vkeys=[OLD.vkey])
    assert info.value.report.problems[0].startswith("key history")
    doc = json.loads(log.bundle([2], log.signed([OLD], size=5), size=5, key_history=[k]))
    doc["key_history"][0]["index"] = k + 1
    with pytest.raises(BundleVerificationError):
        verify_bundle(canonical_json(doc), vkeys=[OLD.vkey])
