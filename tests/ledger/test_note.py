"""C2SP signed notes, checkpoints and cosignatures: published examples, then tamperings."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    CosignatureSigner,
    FormatError,
    LedgerError,
    NoteSigner,
    NoteVerifier,
    SignatureError,
    SignedNote,
    add_cosignature,
    cosignature_message,
    key_id,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
)

# The signed-note example of golang.org/x/mod/sumdb/note (the implementation the
# C2SP signed-note spec was written from): key pair, text and the published
# signature line. Ed25519 is deterministic (RFC 8032), so signing must
# reproduce the line byte for byte.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_NOTE = (
    PETER_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# The worked example of c2sp.org/signed-note (C2SP/C2SP signed-note.md, commit
# d4c16da5, section "Example"): verifier key and signed note.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# The second signer of the sumdb/note example (EnochRoot) and its published line.
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_LINE = (
    "\u2014 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# A checkpoint of the public CT log arche2025h1.staging.ct.transparency.dev as
# served with witness cosignatures (C2SP tlog-checkpoint + tlog-cosignature
# cosignature/v1), with the log's Ed25519 note key (type 0x01) and the published
# cosigner keys (type 0x04) of four witnesses. The first signature line is an
# RFC 6962 tree-head signature (type 0x05) by a key we do not know: it must be
# ignored.
CT_SIGNATURES = (
    (
        "arche2025h1.staging.ct.transparency.dev",
        "zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzal"
        "ApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=",
    ),
    (
        "arche2025h1.staging.ct.transparency.dev",
        "ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bf"
        "TW9g8Ei59RA23oHP7Ry1k3ZFWwQ=",
    ),
    (
        "transparency.dev/DEV:witness-little-garden",
        "2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4"
        "AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==",
    ),
    (
        "witness1.smartit.nu/witness1",
        "pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75"
        "W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==",
    ),
    (
        "remora.n621.de",
        "2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI"
        "+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==",
    ),
    (
        "witness.stagemole.eu",
        "Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvV"
        "r+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==",
    ),
)
CT_NOTE = (
    "arche2025h1.staging.ct.transparency.dev\n1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n"
    + "".join(f"\u2014 {name} {sig}\n" for name, sig in CT_SIGNATURES)
)
CT_LOG_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
CT_WITNESS_VKEYS = (
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
)
# The cosignatures' timestamp (decode bytes 4..12 of any of them: 0x6a122120).
CT_COSIGNED_AT = 1779573024

# The example of c2sp.org/tlog-cosignature: the witness line's bytes are
# key id || uint64 timestamp || Ed25519 signature, and the spec shows the signed
# message for timestamp 1679315147 (the cosigner's public key is not published).
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_WITNESS_LINE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def test_go_example_signs_byte_for_byte() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    assert signer.vkey == PETER_VKEY
    assert signer.skey() == PETER_SKEY
    assert signer.key_id.hex() == "c74f20a3"
    assert sign_note(PETER_TEXT, [signer]) == PETER_NOTE
    text, verified = open_note(PETER_NOTE, [NoteVerifier.from_vkey(PETER_VKEY)])
    assert text == PETER_TEXT
    assert [v.verifier.vkey for v in verified] == [PETER_VKEY]


def test_signed_note_spec_example() -> None:
    verifier = NoteVerifier.from_vkey(SPEC_VKEY)
    assert verifier.vkey == SPEC_VKEY
    assert verifier.key_id.hex() == "530d903a"
    text, verified = open_note(SPEC_NOTE, [verifier])
    assert text == "This is an example message.\n"
    assert [v.verifier for v in verified] == [verifier]
    assert SignedNote.parse(SPEC_NOTE).render() == SPEC_NOTE
    with pytest.raises(SignatureError):
        open_note(SPEC_NOTE.replace("example message", "example massage"), [verifier])
    with pytest.raises(SignatureError):  # a flipped signature byte
        open_note(SPEC_NOTE.replace("Yu72Ine", "Yu72Jne"), [verifier])
    # A changed key id makes the line unknown: ignored, so nothing verifies.
    assert open_note(SPEC_NOTE.replace("foo Uw2Q", "foo Uw2R"), [verifier])[1] == []


def test_two_signers_of_the_go_example() -> None:
    both = PETER_NOTE + ENOCH_LINE
    keys = [NoteVerifier.from_vkey(PETER_VKEY), NoteVerifier.from_vkey(ENOCH_VKEY)]
    _, verified = open_note(both, keys)
    assert [v.verifier.name for v in verified] == ["PeterNeumann", "EnochRoot"]
    _, only_enoch = open_note(both, keys[1:])
    assert [v.verifier.name for v in only_enoch] == ["EnochRoot"]


def test_go_example_tampered() -> None:
    verifier = NoteVerifier.from_vkey(PETER_VKEY)
    with pytest.raises(SignatureError):
        open_note(PETER_NOTE.replace("cryptography", "cryptographY"), [verifier])
    sig = PETER_NOTE.rsplit(" ", 1)[1]
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    with pytest.raises(SignatureError):
        open_note(PETER_NOTE.replace(sig, flipped), [verifier])
    # Same name, other key: unknown, ignored, so nothing verified.
    other = NoteSigner("PeterNeumann", bytes(32)).verifier()
    assert open_note(PETER_NOTE, [other])[1] == []


def test_real_checkpoint_with_cosignatures() -> None:
    log = NoteVerifier.from_vkey(CT_LOG_VKEY)
    witnesses = [NoteVerifier.from_vkey(v) for v in CT_WITNESS_VKEYS]
    opened = verify_checkpoint(CT_NOTE, [log], witnesses=witnesses, quorum=4)
    assert opened.checkpoint.origin == "arche2025h1.staging.ct.transparency.dev"
    assert opened.checkpoint.size == 1432088532
    assert [k.vkey for k in opened.log_keys] == [CT_LOG_VKEY]
    assert sorted(opened.witness_names) == sorted(v.split("+")[0] for v in CT_WITNESS_VKEYS)
    assert {c.timestamp for c in opened.cosignatures} == {CT_COSIGNED_AT}
    tampered = CT_NOTE.replace("1432088532", "1432088533")
    with pytest.raises(SignatureError):
        verify_checkpoint(tampered, [log], witnesses=witnesses, quorum=1)
    with pytest.raises(SignatureError):  # the log key alone signs; no witness key known
        verify_checkpoint(
            CT_NOTE, [log], witnesses=[NoteVerifier("w", bytes(range(32)), 4)], quorum=1
        )


def test_spec_cosignature_example_layout() -> None:
    raw = base64.b64decode(SPEC_WITNESS_LINE.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    assert cosignature_message(SPEC_BODY, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    note = SignedNote.parse(SPEC_BODY + "\n" + SPEC_WITNESS_LINE)
    assert note.signatures[0].name == "witness.example.com/w1"
    assert note.signatures[0].key_id == raw[:4]


def test_key_id_definition() -> None:
    signer = NoteSigner("example.com/log", bytes(range(32)))
    expected = hashlib.sha256(b"example.com/log\n\x01" + signer.public_key).digest()[:4]
    assert signer.key_id == expected == key_id("example.com/log", 1, signer.public_key)
    cosigner = CosignatureSigner("example.com/w", bytes(range(32)))
    assert (
        cosigner.key_id == hashlib.sha256(b"example.com/w\n\x04" + cosigner.public_key).digest()[:4]
    )
    assert cosigner.verifier().alg == ALG_COSIGNATURE_V1
    assert cosigner.vkey.split("+")[2].startswith("B")  # base64 of 0x04 ...


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "name",
        "name+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW==",
        "PeterNeumann+c74f20a3+!!!!",
        "PeterNeumann+c74f20a3+Alpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_bad_vkeys(vkey: str) -> None:
    with pytest.raises(FormatError):
        NoteVerifier.from_vkey(vkey)


@pytest.mark.parametrize(
    "skey",
    [
        "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+BYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    ],
)
def test_bad_skeys_never_echo_the_secret(skey: str) -> None:
    with pytest.raises(FormatError) as info:
        NoteSigner.from_skey(skey)
    assert "AYEKFALVFGyNhPJEMzD1QIDr" not in str(info.value)
    assert "YEKFALVFGyNhPJEMzD1QIDr" not in repr(info.value)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\nb"])
def test_key_name_rules(name: str) -> None:
    with pytest.raises(FormatError):
        NoteSigner(name, bytes(32))


def _log() -> tuple[NoteSigner, Checkpoint]:
    signer = NoteSigner("example.com/log", bytes([7]) * 32)
    return signer, Checkpoint("example.com/log", 5, bytes(range(32)))


def test_checkpoint_body_roundtrip_and_strictness() -> None:
    _, cp = _log()
    assert cp.body() == "example.com/log\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert Checkpoint.from_body(cp.body()) == cp
    ext = Checkpoint("o", 0, bytes(32), ("ext one", "ext two"))
    assert Checkpoint.from_body(ext.body()) == ext
    body = cp.body()
    for bad in (
        body[:-1],
        body.replace("\n5\n", "\n05\n"),
        body.replace("\n5\n", "\n+5\n"),
        body.replace("\n5\n", "\n-1\n"),
        body.replace("=\n", "\n"),
        body.replace("AAEC", "AAE"),
        body + "\n",
        "example.com/log\n5\n",
        "\n5\n" + body.split("\n")[2] + "\n",
        body.replace(
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", base64.b64encode(bytes(31)).decode()
        ),
    ):
        with pytest.raises(FormatError):
            Checkpoint.from_body(bad)


def test_sign_and_open_checkpoint() -> None:
    signer, cp = _log()
    note = sign_checkpoint(cp, [signer])
    assert open_checkpoint(note, [signer.verifier()]) == cp
    assert open_checkpoint(note, [signer.verifier()], origin="example.com/log") == cp
    with pytest.raises(SignatureError):
        open_checkpoint(note, [signer.verifier()], origin="example.com/other")
    stranger = NoteSigner("example.com/log", bytes([8]) * 32)
    with pytest.raises(SignatureError):  # signed only by a key we do not trust
        open_checkpoint(note, [stranger.verifier()])
    forged = sign_checkpoint(Checkpoint("example.com/log", 6, cp.root), [stranger])
    line = forged.split("\n\n")[1]
    with pytest.raises(SignatureError):  # a trusted key's line over another body
        open_checkpoint(
            cp.body()
            + "\n"
            + sign_checkpoint(Checkpoint("example.com/log", 6, cp.root), [signer]).split("\n\n")[1],
            [signer.verifier()],
        )
    # Unknown signature lines are ignored next to a valid one.
    assert open_checkpoint(note + line, [signer.verifier()]) == cp


def test_duplicate_and_malformed_signatures() -> None:
    signer, cp = _log()
    note = sign_checkpoint(cp, [signer])
    line = note.split("\n\n")[1]
    with pytest.raises(FormatError):  # the same line twice
        SignedNote.parse(note + line)
    body_line = signer.sign_line(cp.body())
    assert body_line == line
    for bad in (
        note.replace("\u2014 ", "-- "),
        note.replace("\n\n", "\n"),
        note[:-1],
        note.replace("=\n\n", "=\n\x01\n"),
        note + "\u2014 example.com/log !!!\n",
        note + "\u2014 example.com/log\n",
        note + "\u2014 a b c\n",
        note + "\u2014 x AAAA\n",
    ):
        with pytest.raises(FormatError):
            SignedNote.parse(bad)
    with pytest.raises(FormatError):
        sign_note("no newline", [signer])
    with pytest.raises(FormatError):
        sign_note("text\n\n", [signer])
    with pytest.raises(FormatError):
        sign_note("text\n", [])


def test_two_signatures_by_same_key_rejected() -> None:
    signer, cp = _log()
    line = signer.sign_line(cp.body())
    raw = base64.b64decode(line.split(" ")[2])
    # Same key id, a different (invalid) signature: two lines by one known key.
    other = "\u2014 example.com/log " + base64.b64encode(raw[:4] + bytes(64)).decode() + "\n"
    with pytest.raises(SignatureError):
        open_note(cp.body() + "\n" + line + other, [signer.verifier()])


def test_cosignatures_and_quorum() -> None:
    signer, cp = _log()
    w1 = CosignatureSigner("w1.example", bytes([1]) * 32)
    w2 = CosignatureSigner("w2.example", bytes([2]) * 32)
    w3 = CosignatureSigner("w3.example", bytes([3]) * 32)
    witnesses = [w.verifier() for w in (w1, w2, w3)]
    note = sign_checkpoint(cp, [signer])
    note = add_cosignature(note, w1, 1_700_000_000)
    note = add_cosignature(note, w2, 1_700_000_001)
    opened = verify_checkpoint(note, [signer.verifier()], witnesses=witnesses, quorum=2)
    assert sorted(opened.witness_names) == ["w1.example", "w2.example"]
    assert sorted(c.timestamp or 0 for c in opened.cosignatures) == [1_700_000_000, 1_700_000_001]
    with pytest.raises(SignatureError):
        verify_checkpoint(note, [signer.verifier()], witnesses=witnesses, quorum=3)
    with pytest.raises(SignatureError):
        verify_checkpoint(note, [signer.verifier()], witnesses=witnesses[:1], quorum=2)
    # Re-cosigning replaces the witness's earlier line: still one per key.
    again = add_cosignature(note, w1, 1_700_000_005)
    assert again.count("w1.example") == 1
    # A cosignature does not count as the log's signature, even by a log key name.
    only_witnessed = add_cosignature(cp.body() + "\n" + "\u2014 x AAAAAAA=\n", w1, 5)
    with pytest.raises(SignatureError):
        verify_checkpoint(only_witnessed, [signer.verifier()], witnesses=witnesses)
    # A tampered timestamp breaks the cosignature and rejects the note.
    line = next(x for x in note.split("\n") if x.startswith("\u2014 w1.example"))
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1
    bad = note.replace(line, "\u2014 w1.example " + base64.b64encode(bytes(raw)).decode())
    with pytest.raises(SignatureError):
        verify_checkpoint(bad, [signer.verifier()], witnesses=witnesses, quorum=1)
    with pytest.raises(FormatError):
        w1.cosign_line(cp.body(), -1)


def test_generate_uses_given_randomness() -> None:
    seeds = iter([bytes([9]) * 32])
    signer = NoteSigner.generate("example.com/g", rng=lambda n: next(seeds)[:n])
    assert signer.vkey == NoteSigner("example.com/g", bytes([9]) * 32).vkey
    fresh = NoteSigner.generate("example.com/g")
    assert NoteSigner.from_skey(fresh.skey()).vkey == fresh.vkey
    assert NoteVerifier.from_vkey(fresh.vkey) == fresh.verifier()


@given(st.text(max_size=300))
def test_note_parser_fuzz(text: str) -> None:
    with contextlib.suppress(LedgerError):
        SignedNote.parse(text)


@given(st.text(max_size=120))
def test_vkey_parser_fuzz(text: str) -> None:
    with contextlib.suppress(FormatError):
        NoteVerifier.from_vkey(text)
