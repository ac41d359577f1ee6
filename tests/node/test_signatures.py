"""The request-signature profile: RFC 9421 vector, round trip, tamperings, parser fuzzing."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from node.auth._sfv import SfvError, parse_dictionary, serialize_inner_list
from node.auth.errors import SignatureVerificationError
from node.auth.signatures import (
    content_digest,
    parse_signature,
    sign_request,
    signature_base,
    verify_signature,
)
from node.auth.vkey import VkeyError, parse_vkey
from tests.node.helpers import vkey_of

# RFC 9421 Appendix B.1.4 test key (as the JWK "d" and "x" members) and the
# signature of Appendix B.2.6 ("Signing a Request Using ed25519").
RFC_D = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU="
RFC_X = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs="
RFC_SIGNATURE_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE = (
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
)
URI = "https://node-b.example:8470/v1/peers/hello?x=1"
NOW = 1_760_000_000


def test_rfc9421_b26_vector_signature_params_serialization() -> None:
    key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(RFC_D))
    assert base64.urlsafe_b64encode(key.public_key().public_bytes_raw()).decode() == RFC_X
    member = parse_dictionary(RFC_SIGNATURE_INPUT)["sig-b26"]
    assert isinstance(member.value, tuple)
    params = serialize_inner_list(member.value, member.params)
    assert "sig-b26=" + params == RFC_SIGNATURE_INPUT
    base = (
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n"@path": /foo\n'
        '"@authority": example.com\n"content-type": application/json\n'
        '"content-length": 18\n"@signature-params": ' + params
    )
    # Ed25519 is deterministic: the RFC's signature is reproduced byte for byte.
    assert base64.b64encode(key.sign(base.encode())).decode() == RFC_SIGNATURE
    sig = parse_dictionary(f"sig-b26=:{RFC_SIGNATURE}:")["sig-b26"].value
    key.public_key().verify(sig, base.encode())  # type: ignore[arg-type]


def test_rfc9530_content_digest_example() -> None:
    # RFC 9530 section 2: {"hello": "world"} followed by a newline.
    assert content_digest(b'{"hello": "world"}\n') == (
        "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
    )


def _signed(key: Ed25519PrivateKey, body: bytes = b"{}", **kw: object) -> dict[str, str]:
    args: dict[str, object] = {
        "method": "POST",
        "target_uri": URI,
        "body": body,
        "created": NOW,
        "nonce": "n" * 24,
    }
    args.update(kw)
    return sign_request(key, "alpha+01020304", **args)  # type: ignore[arg-type]


def _verify(headers: dict[str, str], key: Ed25519PrivateKey, **kw: object) -> None:
    parsed = parse_signature(headers.get("Signature-Input"), headers.get("Signature"))
    args: dict[str, object] = {
        "method": "POST",
        "target_uri": URI,
        "digest_header": headers.get("Content-Digest"),
        "body": b"{}",
        "now": NOW,
        "tolerance_s": 300,
    }
    args.update(kw)
    verify_signature(parsed, key.public_key(), **args)  # type: ignore[arg-type]


def test_round_trip_and_wire_form() -> None:
    key = Ed25519PrivateKey.generate()
    headers = _signed(key)
    assert headers["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "content-digest");created=1760000000;'
        'keyid="alpha+01020304";nonce="nnnnnnnnnnnnnnnnnnnnnnnn";alg="ed25519";tag="scnode-peer/v1"'
    )
    _verify(headers, key)
    parsed = parse_signature(headers["Signature-Input"], headers["Signature"])
    assert (parsed.keyid, parsed.created, parsed.nonce) == ("alpha+01020304", NOW, "n" * 24)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": b'{"a":1}'}, "Content-Digest does not match"),
        ({"method": "PUT"}, "does not verify"),
        ({"target_uri": URI.replace("x=1", "x=2")}, "does not verify"),
        ({"target_uri": URI.replace("hello", "hellO")}, "does not verify"),
        ({"now": NOW + 301}, "expired"),
        ({"now": NOW - 301}, "future"),
        ({"digest_header": None}, "Content-Digest header missing"),
        ({"digest_header": content_digest(b"other")}, "does not verify"),
    ],
)
def test_tampered_requests_are_refused(change: dict[str, object], message: str) -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(SignatureVerificationError, match=message):
        _verify(_signed(key), key, **change)


def test_tolerance_edges_are_accepted() -> None:
    key = Ed25519PrivateKey.generate()
    _verify(_signed(key), key, now=NOW + 300)
    _verify(_signed(key), key, now=NOW - 300)


def test_other_key_is_refused() -> None:
    with pytest.raises(SignatureVerificationError, match="does not verify"):
        _verify(_signed(Ed25519PrivateKey.generate()), Ed25519PrivateKey.generate())


def test_flipped_signature_bit_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    headers = _signed(key)
    raw = bytearray(base64.b64decode(headers["Signature"][len("sig1=:") : -1]))
    raw[10] ^= 1
    headers["Signature"] = f"sig1=:{base64.b64encode(bytes(raw)).decode()}:"
    with pytest.raises(SignatureVerificationError, match="does not verify"):
        _verify(headers, key)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"content-digest")', '"content-type")', "cover exactly"),
        ('("@method" ', "(", "cover exactly"),
        (';alg="ed25519"', ';alg="rsa-pss-sha512"', "alg="),
        (';tag="scnode-peer/v1"', ';tag="other"', "tag="),
        (";created=1760000000", ';created="1760000000"', "created must be an integer"),
        (';nonce="nnnnnnnnnnnnnnnnnnnnnnnn"', ';nonce="short"', "nonce"),
        (';nonce="nnnnnnnnnnnnnnnnnnnnnnnn"', "", "parameters must be"),
        ("sig1=", "sig2=", "no signature labelled"),
        ('alg="ed25519"', "alg=ed25519", "tokens are not accepted"),
        ('"@method"', '"@méthod"', "ASCII"),
    ],
)
def test_malformed_signature_input_is_refused(old: str, new: str, message: str) -> None:
    key = Ed25519PrivateKey.generate()
    headers = _signed(key)
    assert old in headers["Signature-Input"]
    headers["Signature-Input"] = headers["Signature-Input"].replace(old, new)
    with pytest.raises(SignatureVerificationError, match=message):
        _verify(headers, key)


@pytest.mark.parametrize(
    "signature",
    [None, "", "sig1=:AAAA:", 'sig1=("x")', "sig1=:not base64!:", "sig1=:" + "A" * 86 + "=="],
)
def test_malformed_signature_header_is_refused(signature: str | None) -> None:
    key = Ed25519PrivateKey.generate()
    headers = _signed(key)
    with pytest.raises(SignatureVerificationError):
        parse_signature(headers["Signature-Input"], signature)


@given(st.text(max_size=200))
def test_dictionary_parser_returns_or_raises_sfv_error(text: str) -> None:
    try:
        parsed = parse_dictionary(text)
    except SfvError:
        return
    assert isinstance(parsed, dict)


@given(st.text(max_size=200), st.text(max_size=120))
def test_signature_parser_raises_only_its_error(sig_input: str, sig: str) -> None:
    try:
        parse_signature(sig_input, sig)
    except SignatureVerificationError:
        return
    raise AssertionError("random headers parsed as a valid signature")


def test_vkey_parse_and_refusals() -> None:
    key = Ed25519PrivateKey.generate()
    vkey = vkey_of("example.com/node", key)
    parsed = parse_vkey(vkey)
    assert parsed.public_key == key.public_key().public_bytes_raw()
    assert parsed.keyid == "+".join(vkey.split("+", 2)[:2])
    name, kid, b64 = vkey.split("+", 2)
    bad_kid = f"{int(kid, 16) ^ 1:08x}"
    other = base64.b64encode(b"\x02" + base64.b64decode(b64)[1:]).decode()
    for bad in (
        f"{name}+{bad_kid}+{b64}",
        f"other+{kid}+{b64}",
        f"{name}+{kid}+{other}",
        f"{name}+{kid}",
        f"{name}+zz+{b64}",
        f"{name}+{kid}+***",
        f"+{kid}+{b64}",
        "",
    ):
        with pytest.raises(VkeyError):
            parse_vkey(bad)


def test_signature_base_refuses_cr() -> None:
    with pytest.raises(SignatureVerificationError):
        signature_base("GET", "https://x/\r\n", "sha-256=:x:", "()")
