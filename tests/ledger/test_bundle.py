"""Evidence bundles: build, verify offline, and reject every tampering."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ledger import (
    BUNDLE_FORMAT,
    Bundle,
    BundleVerificationError,
    FormatError,
    TlogProof,
    canonical_json,
    parse_json,
    verify_bundle,
)
from tests.ledger.logfactory import ORIGIN, MemoryLog, log_signer, witness


@pytest.fixture(scope="module")
def log() -> MemoryLog:
    log = MemoryLog()
    log.fill(37)
    return log


def _doc(data: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data)
    return doc


def _bytes(doc: dict[str, Any]) -> bytes:
    return canonical_json(doc)


def test_happy_path_with_witnesses(log: MemoryLog) -> None:
    signer = log_signer()
    ws = [witness(1), witness(2), witness(3)]
    note = log.signed([signer], witnesses=ws[:2])
    data = log.bundle([0, 5, 36], note, vkeys=[signer.vkey])
    assert parse_json(data) is not None
    assert canonical_json(parse_json(data)) == data
    doc = _doc(data)
    assert doc["format"] == BUNDLE_FORMAT == "scnode-evidence/v1"
    assert doc["log"] == {"origin": ORIGIN, "vkeys": [signer.vkey]}
    assert [e["index"] for e in doc["entries"]] == [0, 5, 36]
    assert base64.b64decode(doc["entries"][1]["leaf"]) == log.leaves[5]
    proof = doc["entries"][1]["proof"]
    assert proof.startswith("c2sp.org/tlog-proof@v1\nindex 5\n")
    assert proof.endswith(note)
    report = verify_bundle(data, vkeys=[signer.vkey], witnesses=[w.vkey for w in ws], quorum=2)
    assert report.ok
    assert [e.index for e in report.entries] == [0, 5, 36]
    first = report.entries[0]
    assert first.kind == "inventory.snapshot"
    assert first.leaf_hash == log.entries[0].leaf_hash()
    assert first.checkpoint_size == 37
    assert first.log_keys == (f"{ORIGIN}+{signer.key_id.hex()}",)
    assert sorted(first.witnesses) == ["witness1.example", "witness2.example"]
    assert report.to_json()["ok"] is True
    with pytest.raises(BundleVerificationError) as info:
        verify_bundle(data, vkeys=[signer.vkey], witnesses=[w.vkey for w in ws], quorum=3)
    assert all(not e.quorum_met for e in info.value.report.entries)
    assert all(e.inclusion and e.log_signature for e in info.value.report.entries)


def test_tlog_proof_text_roundtrip_and_strictness(log: MemoryLog) -> None:
    note = log.signed([log_signer()])
    proof = TlogProof(7, tuple(log.inclusion(7, 37)), note, extra=b"ctx")
    text = proof.to_text()
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra Y3R4\nindex 7\n")
    assert TlogProof.from_text(text) == proof
    plain = TlogProof(7, tuple(log.inclusion(7, 37)), note).to_text()
    lines = plain.split("\n")
    for bad in (
        plain.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        plain.replace("index 7", "index 07"),
        plain.replace("index 7", "index -7"),
        plain.replace("index 7", "idx 7"),
        plain.replace(lines[2], lines[2][:-4]),
        plain.replace(lines[2], "%%%%"),
        plain.replace(lines[2], base64.b64encode(b"short").decode()),
        plain.split("\n\n")[0],
        plain.split("\n\n")[0] + "\n\n",
        "c2sp.org/tlog-proof@v1\n\n" + note,
    ):
        with pytest.raises(FormatError):
            TlogProof.from_text(bad)


def _verify(data: bytes, **kwargs: Any) -> None:
    kwargs.setdefault("vkeys", [log_signer().vkey])
    verify_bundle(data, **kwargs)


def _entry_problem(data: bytes) -> str:
    with pytest.raises(BundleVerificationError) as info:
        _verify(data)
    report = info.value.report
    bad = [e for e in report.entries if not e.ok]
    assert bad, report
    return " ".join(p for e in bad for p in e.problems) + " ".join(report.problems)


def test_tampered_entries_are_named(log: MemoryLog) -> None:
    note = log.signed([log_signer()])
    good = log.bundle([3, 4, 9], note)
    _verify(good)
    doc = _doc(good)

    # A changed leaf (still canonical JSON): the inclusion proof fails for that entry.
    other = json.loads(base64.b64decode(doc["entries"][1]["leaf"]))
    other["body"]["sku"] = "SKU-X"
    doc1 = _doc(good)
    doc1["entries"][1]["leaf"] = base64.b64encode(canonical_json(other)).decode()
    with pytest.raises(BundleVerificationError) as info:
        _verify(_bytes(doc1))
    oks = [e.ok for e in info.value.report.entries]
    assert oks == [True, False, True]
    assert info.value.report.entries[1].leaf_decodes
    assert not info.value.report.entries[1].inclusion

    # A non-canonical leaf does not decode (and no longer matches its hash).
    doc2 = _doc(good)
    doc2["entries"][0]["leaf"] = base64.b64encode(log.leaves[3] + b" ").decode()
    assert "does not decode" in _entry_problem(_bytes(doc2))

    # The leaf of another index, with its own proof text relabelled.
    doc3 = _doc(good)
    doc3["entries"][0]["leaf"] = base64.b64encode(log.leaves[4]).decode()
    assert "seq 4" in _entry_problem(_bytes(doc3))


def test_forged_checkpoint_and_wrong_keys(log: MemoryLog) -> None:
    signer = log_signer()
    note = log.signed([signer])
    good = log.bundle([1, 2], note)
    # Another root under the real signature line.
    body, sigs = note.split("\n\n")
    lines = body.split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    forged = "\n".join(lines) + "\n\n" + sigs
    doc = _doc(good)
    for item in doc["entries"]:
        assert item["proof"].endswith(note)
        item["proof"] = item["proof"].replace(note, forged)
    assert "does not verify" in _entry_problem(_bytes(doc))
    # A bundle signed by a key the bank did not pin.
    stranger = log_signer(bytes([12]) * 32)
    data = log.bundle([1, 2], log.signed([stranger]))
    assert "not signed by any trusted log key" in _entry_problem(data)
    # The right key, the wrong log.
    other = MemoryLog(origin="example.com/other")
    other.fill(3)
    data = other.bundle([0], other.signed([log_signer()]))
    _verify(data)  # the pinned key speaks for that log too
    with pytest.raises(BundleVerificationError) as info:
        _verify(data, origin=ORIGIN)
    assert "example.com/other" in str(info.value)


def test_older_checkpoint_and_size_mismatch(log: MemoryLog) -> None:
    signer = log_signer()
    note20 = log.signed([signer], size=20)
    data = log.bundle([3, 19], note20, size=20)
    _verify(data)
    # Proofs against size 37 carried with the checkpoint of size 20.
    doc = _doc(log.bundle([3], log.signed([signer])))
    doc["entries"][0]["proof"] = doc["entries"][0]["proof"].split("\n\n")[0] + "\n\n" + note20
    assert "inclusion" in _entry_problem(_bytes(doc))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="scnode-evidence/v2"), "format"),
        (lambda d: d.pop("log"), "log"),
        (lambda d: d["log"].update(origin=""), "origin"),
        (lambda d: d["log"].update(vkeys="k"), "vkeys"),
        (lambda d: d.pop("entries"), "entries"),
        (lambda d: d["entries"][0].update(index=-1), "index"),
        (lambda d: d["entries"][0].update(index=True), "index"),
        (lambda d: d["entries"][0].update(index=6), "index"),
        (lambda d: d["entries"][0].update(leaf="@@garbage@@"), "base64"),
        (lambda d: d["entries"][0].update(leaf=7), "leaf"),
        (lambda d: d["entries"][0].update(proof=d["entries"][0]["proof"][:40]), "blank line"),
        (lambda d: d["entries"].append(d["entries"][0]), "twice"),
        (lambda d: d.update(key_history=[{"index": 0}]), "leaf"),
        (lambda d: d.update(consistency=[{"old": 1}]), "consistency"),
    ],
)
def test_malformed_bundles(log: MemoryLog, mutate: Any, message: str) -> None:
    doc = _doc(log.bundle([5, 6], log.signed([log_signer()])))
    mutate(doc)
    with pytest.raises(FormatError) as info:
        _verify(_bytes(doc))
    assert message in str(info.value)


@pytest.mark.parametrize(
    "raw", [b"", b"not json", b"[]", b"\xff", b'{"format": "scnode-evidence/v1"']
)
def test_garbage_bundles(raw: bytes) -> None:
    with pytest.raises(FormatError):
        _verify(raw)


def test_truncated_proof_is_detected(log: MemoryLog) -> None:
    doc = _doc(log.bundle([5], log.signed([log_signer()])))
    head, cp = doc["entries"][0]["proof"].split("\n\n", 1)
    doc["entries"][0]["proof"] = "\n".join(head.split("\n")[:-1]) + "\n\n" + cp
    assert "too few" in _entry_problem(_bytes(doc))


def test_bad_verifier_inputs(log: MemoryLog) -> None:
    data = log.bundle([1], log.signed([log_signer()]))
    with pytest.raises(FormatError):
        verify_bundle(data, vkeys=["garbage"])
    with pytest.raises(FormatError):
        verify_bundle(data, vkeys=[])
    with pytest.raises(FormatError):  # a witness key given as the log key
        verify_bundle(data, vkeys=[witness(1).vkey])
    with pytest.raises(FormatError):  # a log key given as a witness key
        verify_bundle(data, vkeys=[log_signer().vkey], witnesses=[log_signer().vkey], quorum=1)
    with pytest.raises(FormatError):
        verify_bundle(data, vkeys=[log_signer().vkey], witnesses=[witness(1).vkey], quorum=2)


def test_consistency_members(log: MemoryLog) -> None:
    signer = log_signer()
    old, new = log.signed([signer], size=10), log.signed([signer])
    data = log.bundle([12], new, consistency=[(old, new, log.consistency(10, 37))])
    report = verify_bundle(data, vkeys=[signer.vkey])
    assert report.consistency == ("tree of size 37 extends tree of size 10",)
    bad = log.bundle([12], new, consistency=[(old, new, log.consistency(11, 37))])
    with pytest.raises(BundleVerificationError) as info:
        verify_bundle(bad, vkeys=[signer.vkey])
    assert "consistency[0]" in info.value.report.problems[0]


def test_thousand_entry_bundle_and_progress() -> None:
    log = MemoryLog()
    log.fill(1000)
    signer = log_signer()
    data = log.bundle(range(1000), log.signed([signer], witnesses=[witness(1)]))
    ticks: list[int] = []
    report = verify_bundle(
        data, vkeys=[signer.vkey], witnesses=[witness(1).vkey], quorum=1, progress=ticks.append
    )
    assert len(report.entries) == 1000
    assert sum(ticks) == 1000
    parsed = Bundle.from_bytes(data)
    assert len({e.proof.checkpoint for e in parsed.entries}) == 1
