"""Node-to-node request signatures: a profile of RFC 9421 with Ed25519.

Profile (``tag="scnode-peer/v1"``, label ``sig1``):

* covered components ``"@method" "@target-uri" "content-digest"``, in that order;
* parameters ``created`` (unix seconds), ``keyid`` (the signer's C2SP key,
  ``name+keyidhex``), ``nonce`` (16-128 URL-safe characters, single use),
  ``alg="ed25519"`` and ``tag``; all required;
* ``Content-Digest`` is RFC 9530 ``sha-256`` of the exact body (also of an
  empty body).

The pure functions here take the time as an argument; the nonce store and the
peer lookup live at the edge (:mod:`node.auth.nonces`, :mod:`node.api.deps`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from node.auth._sfv import SfvError, parse_dictionary, serialize_inner_list
from node.auth.errors import SignatureVerificationError

__all__ = [
    "ALG",
    "COVERED_COMPONENTS",
    "LABEL",
    "TAG",
    "ParsedSignature",
    "content_digest",
    "parse_signature",
    "sign_request",
    "signature_base",
    "verify_signature",
]

LABEL = "sig1"
TAG = "scnode-peer/v1"
ALG = "ed25519"
COVERED_COMPONENTS = ("@method", "@target-uri", "content-digest")
_NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_REQUIRED_PARAMS = ("created", "keyid", "nonce", "alg", "tag")
ED25519_SIGNATURE_SIZE = 64


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value for ``body`` (sha-256)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _params_line(keyid: str, created: int, nonce: str) -> str:
    params = (("created", created), ("keyid", keyid), ("nonce", nonce), ("alg", ALG), ("tag", TAG))
    return serialize_inner_list(COVERED_COMPONENTS, params)


def signature_base(method: str, target_uri: str, digest: str, params_line: str) -> bytes:
    """The RFC 9421 signature base for this profile's covered components."""
    lines = [
        f'"@method": {method.upper()}',
        f'"@target-uri": {target_uri}',
        f'"content-digest": {digest}',
        f'"@signature-params": {params_line}',
    ]
    text = "\n".join(lines)
    if "\r" in text or not text.isascii():
        raise SignatureVerificationError("signature components must be ASCII without CR")
    return text.encode("ascii")


def sign_request(
    key: Ed25519PrivateKey,
    keyid: str,
    *,
    method: str,
    target_uri: str,
    body: bytes,
    created: int,
    nonce: str,
) -> dict[str, str]:
    """The headers (``Content-Digest``, ``Signature-Input``, ``Signature``) to add."""
    if _NONCE_RE.fullmatch(nonce) is None:
        raise ValueError("nonce must be 16-128 URL-safe characters")
    digest = content_digest(body)
    params = _params_line(keyid, created, nonce)
    sig = key.sign(signature_base(method, target_uri, digest, params))
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{base64.b64encode(sig).decode()}:",
    }


@dataclass(frozen=True)
class ParsedSignature:
    keyid: str
    created: int
    nonce: str
    params_line: str  # the canonical @signature-params value
    signature: bytes


def parse_signature(signature_input: str | None, signature: str | None) -> ParsedSignature:
    """Parse the two headers; :class:`SignatureVerificationError` if absent or malformed."""
    if not signature_input or not signature:
        raise SignatureVerificationError("request is not signed (Signature-Input/Signature)")
    try:
        inputs = parse_dictionary(signature_input)
        sigs = parse_dictionary(signature)
    except SfvError as exc:
        raise SignatureVerificationError(f"malformed signature header: {exc}") from None
    member, sig_member = inputs.get(LABEL), sigs.get(LABEL)
    if member is None or sig_member is None:
        raise SignatureVerificationError(f"no signature labelled {LABEL!r}")
    if member.value != COVERED_COMPONENTS:
        raise SignatureVerificationError(
            "signature must cover exactly @method, @target-uri, content-digest"
        )
    if not isinstance(sig_member.value, bytes) or len(sig_member.value) != ED25519_SIGNATURE_SIZE:
        raise SignatureVerificationError("signature must be a 64-byte Ed25519 signature")
    params = dict(member.params)
    if tuple(name for name, _ in member.params) != _REQUIRED_PARAMS:
        raise SignatureVerificationError(
            "signature parameters must be created, keyid, nonce, alg, tag (in this order)"
        )
    created, keyid, nonce = params["created"], params["keyid"], params["nonce"]
    if not isinstance(created, int) or isinstance(created, bool):
        raise SignatureVerificationError("created must be an integer")
    if not isinstance(keyid, str) or not isinstance(nonce, str):
        raise SignatureVerificationError("keyid and nonce must be strings")
    if params["alg"] != ALG or params["tag"] != TAG:
        raise SignatureVerificationError(f'signature must use alg="{ALG}" and tag="{TAG}"')
    if _NONCE_RE.fullmatch(nonce) is None:
        raise SignatureVerificationError("nonce must be 16-128 URL-safe characters")
    return ParsedSignature(
        keyid=keyid,
        created=created,
        nonce=nonce,
        params_line=serialize_inner_list(member.value, member.params),
        signature=sig_member.value,
    )


def verify_signature(
    parsed: ParsedSignature,
    public_key: Ed25519PublicKey,
    *,
    method: str,
    target_uri: str,
    digest_header: str | None,
    body: bytes,
    now: int,
    tolerance_s: int,
) -> None:
    """Check time window, body digest and signature; raise if anything is off."""
    if parsed.created > now + tolerance_s:
        raise SignatureVerificationError("signature created in the future (check clocks)")
    if parsed.created < now - tolerance_s:
        raise SignatureVerificationError("signature expired")
    if not digest_header:
        raise SignatureVerificationError("Content-Digest header missing")
    try:
        public_key.verify(
            parsed.signature, signature_base(method, target_uri, digest_header, parsed.params_line)
        )
    except InvalidSignature:
        raise SignatureVerificationError("signature does not verify") from None
    if not hmac.compare_digest(digest_header.encode(), content_digest(body).encode()):
        raise SignatureVerificationError("Content-Digest does not match the body")
