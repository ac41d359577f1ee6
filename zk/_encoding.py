"""Canonical encodings of points and scalars.

* A scalar is 32 bytes, big-endian, strictly below the group order n.
* A point is 33 bytes, SEC 1 compressed: ``0x02 | x`` for even y, ``0x03 | x``
  for odd y, with x below p and on the curve. The identity is 33 zero bytes and
  is accepted only where a caller allows it explicitly.

Decoders raise :class:`~zk.EncodingError` and never a builtin exception.
"""

from __future__ import annotations

from zk._curve import Affine, is_on_curve
from zk._errors import EncodingError
from zk._field import CURVE_B, FIELD_P, GROUP_N, mpz, sqrt_mod_p

__all__ = [
    "IDENTITY_BYTES",
    "POINT_SIZE",
    "SCALAR_SIZE",
    "decode_point",
    "decode_scalar",
    "encode_point",
    "encode_scalar",
]

SCALAR_SIZE = 32
POINT_SIZE = 33
IDENTITY_BYTES = bytes(POINT_SIZE)
_EVEN = 0x02
_ODD = 0x03


def encode_scalar(value: int) -> bytes:
    if not 0 <= value < GROUP_N:
        raise EncodingError("scalar out of range")
    return int(value).to_bytes(SCALAR_SIZE, "big")


def decode_scalar(data: bytes) -> int:
    if not isinstance(data, bytes | bytearray) or len(data) != SCALAR_SIZE:
        raise EncodingError(f"a scalar is {SCALAR_SIZE} bytes")
    value = int.from_bytes(data, "big")
    if value >= GROUP_N:
        raise EncodingError("non-canonical scalar: not below the group order")
    return mpz(value)  # type: ignore[no-any-return]


def encode_point(point: Affine) -> bytes:
    if point is None:
        return IDENTITY_BYTES
    x, y = point
    return bytes([_ODD if y & 1 else _EVEN]) + int(x).to_bytes(32, "big")


def decode_point(data: bytes, *, allow_identity: bool = False) -> Affine:
    """Decode a compressed point; the identity only with ``allow_identity``."""
    if not isinstance(data, bytes | bytearray) or len(data) != POINT_SIZE:
        raise EncodingError(f"a point is {POINT_SIZE} bytes")
    data = bytes(data)
    if data == IDENTITY_BYTES:
        if allow_identity:
            return None
        raise EncodingError("identity point not allowed here")
    prefix = data[0]
    if prefix not in (_EVEN, _ODD):
        raise EncodingError(f"bad point prefix 0x{prefix:02x}")
    x = mpz(int.from_bytes(data[1:], "big"))
    if x >= FIELD_P:
        raise EncodingError("non-canonical point: x not below the field prime")
    y = sqrt_mod_p((x * x * x + CURVE_B) % FIELD_P)
    if y is None:
        raise EncodingError("point not on the curve")
    if (y & 1) != (prefix & 1):
        y = FIELD_P - y
    if not is_on_curve(x, y):  # pragma: no cover - sqrt_mod_p already checked
        raise EncodingError("point not on the curve")
    return x, y
