"""RFC 9380 hash-to-curve, suite ``secp256k1_XMD:SHA-256_SSWU_RO_``.

expand_message_xmd with SHA-256 (section 5.3.1), hash_to_field with L = 48 and
count = 2 (section 5.2), the simplified SWU map onto the 3-isogenous curve
E': y^2 = x^3 + A'x + B' with Z = -11 (section 6.6.2), the 3-isogeny map to
secp256k1 (appendix E.1), point addition, and no cofactor clearing (h = 1).
The RFC's test vectors for this suite are in tests/zk/test_hash_to_curve.py.
This implementation is not constant-time; it only ever hashes public labels.
"""

from __future__ import annotations

import hashlib

import gmpy2

from zk._curve import Affine, affine_add
from zk._errors import StatementError
from zk._field import FIELD_P, mpz, sqrt_mod_p

__all__ = ["SUITE_ID", "expand_message_xmd", "hash_to_curve", "hash_to_field", "map_to_curve"]

SUITE_ID = b"secp256k1_XMD:SHA-256_SSWU_RO_"
P = FIELD_P
_L = 48  # ceil((ceil(log2(p)) + k) / 8) with k = 128
_B_IN_BYTES = 32
_S_IN_BYTES = 64

# E': y^2 = x^3 + A'x + B', 3-isogenous to secp256k1 (RFC 9380, section 8.7).
_A_PRIME = mpz(0x3F8731ABDD661ADCA08A5558F0F5D272E953D363CB6F0E5D405447C01A444533)
_B_PRIME = mpz(1771)
_Z = mpz(P - 11)

# The 3-isogeny map (RFC 9380, appendix E.1): k_(i,j), lowest degree first.
_X_NUM = tuple(
    mpz(k)
    for k in (
        0x8E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38DAAAAA8C7,
        0x07D3D4C80BC321D5B9F315CEA7FD44C5D595D2FC0BF63B92DFFF1044F17C6581,
        0x534C328D23F234E6E2A413DECA25CAECE4506144037C40314ECBD0B53D9DD262,
        0x8E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38DAAAAA88C,
    )
)
_X_DEN = tuple(
    mpz(k)
    for k in (
        0xD35771193D94918A9CA34CCBB7B640DD86CD409542F8487D9FE6B745781EB49B,
        0xEDADC6F64383DC1DF7C4B2D51B54225406D36B641F5E41BBC52A56612A8C6D14,
        1,
    )
)
_Y_NUM = tuple(
    mpz(k)
    for k in (
        0x4BDA12F684BDA12F684BDA12F684BDA12F684BDA12F684BDA12F684B8E38E23C,
        0xC75E0C32D5CB7C0FA9D0A54B12A0A6D5647AB046D686DA6FDFFC90FC201D71A3,
        0x29A6194691F91A73715209EF6512E576722830A201BE2018A765E85A9ECEE931,
        0x2F684BDA12F684BDA12F684BDA12F684BDA12F684BDA12F684BDA12F38E38D84,
    )
)
_Y_DEN = tuple(
    mpz(k)
    for k in (
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFF93B,
        0x7A06534BB8BDB49FD5E9E6632722C2989467C1BFC8E8D978DFB425D2685C2573,
        0x6484AA716545CA2CF3A70C3FA8FE337E0A3D21162F0D6299A7BF8192BFD2A76F,
        1,
    )
)


def _inv(value: int) -> int:
    return gmpy2.invert(value, P)  # type: ignore[no-any-return]


def expand_message_xmd(msg: bytes, dst: bytes, length: int) -> bytes:
    """RFC 9380, section 5.3.1, with SHA-256."""
    ell = -(-length // _B_IN_BYTES)
    if ell > 255 or length > 65535 or len(dst) > 255:
        raise StatementError("expand_message_xmd: output or DST too long")
    dst_prime = dst + bytes([len(dst)])
    msg_prime = bytes(_S_IN_BYTES) + msg + length.to_bytes(2, "big") + b"\x00" + dst_prime
    b0 = hashlib.sha256(msg_prime).digest()
    blocks = [hashlib.sha256(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, blocks[-1], strict=True))
        blocks.append(hashlib.sha256(mixed + bytes([i]) + dst_prime).digest())
    return b"".join(blocks)[:length]


def hash_to_field(msg: bytes, dst: bytes, count: int) -> list[int]:
    """RFC 9380, section 5.2 (m = 1, L = 48)."""
    uniform = expand_message_xmd(msg, dst, count * _L)
    return [mpz(int.from_bytes(uniform[i * _L : (i + 1) * _L], "big")) % P for i in range(count)]


def _poly(coefficients: tuple[int, ...], x: int) -> int:
    acc: int = mpz(0)
    for k in reversed(coefficients):
        acc = (acc * x + k) % P
    return acc


def _simple_swu(u: int) -> tuple[int, int]:
    """Simplified SWU onto E' (RFC 9380, section 6.6.2, the straightforward form)."""
    zu2 = _Z * u * u % P
    denominator = (zu2 * zu2 + zu2) % P
    if denominator == 0:
        x1 = _B_PRIME * _inv(_Z * _A_PRIME % P) % P
    else:
        x1 = (-_B_PRIME) * _inv(_A_PRIME) % P * (1 + _inv(denominator)) % P
    gx1 = (x1 * x1 * x1 + _A_PRIME * x1 + _B_PRIME) % P
    y = sqrt_mod_p(gx1)
    if y is not None:
        x = x1
    else:
        x = zu2 * x1 % P
        y = sqrt_mod_p((x * x * x + _A_PRIME * x + _B_PRIME) % P)
        if y is None:  # pragma: no cover - impossible for a valid Z
            raise StatementError("simplified SWU: no square root")
    if (u & 1) != (y & 1):
        y = (-y) % P
    return x, y


def _iso_map(x: int, y: int) -> Affine:
    x_den = _poly(_X_DEN, x)
    y_den = _poly(_Y_DEN, x)
    if x_den == 0 or y_den == 0:  # pragma: no cover - exceptional case of the map
        return None
    x_out = _poly(_X_NUM, x) * _inv(x_den) % P
    y_out = y * _poly(_Y_NUM, x) % P * _inv(y_den) % P
    return x_out, y_out


def map_to_curve(u: int) -> Affine:
    return _iso_map(*_simple_swu(u))


def hash_to_curve(msg: bytes, dst: bytes) -> Affine:
    """hash_to_curve(msg) for secp256k1_XMD:SHA-256_SSWU_RO_ (cofactor 1)."""
    u0, u1 = hash_to_field(msg, dst, 2)
    return affine_add(map_to_curve(u0), map_to_curve(u1))
