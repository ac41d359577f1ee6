"""Point arithmetic on secp256k1 over GMP integers.

Affine points are ``(x, y)`` tuples with ``None`` as the identity; Jacobian points
are ``(X, Y, Z)`` with ``Z == 0`` as the identity. The formulas are the a = 0
short-Weierstrass ones (doubling ``dbl-2009-l``, mixed addition ``madd``,
addition ``add-1998-cmo-2`` from the Explicit-Formulas Database). None of this is
constant-time.
"""

from __future__ import annotations

from collections.abc import Sequence

from zk._field import CURVE_B, FIELD_P, batch_invert, is_integer, mpz
from zk._py_ecc import secp256k1 as _ref

__all__ = [
    "BASE_POINT",
    "INFINITY",
    "Affine",
    "Jacobian",
    "affine_add",
    "affine_neg",
    "batch_to_affine",
    "is_on_curve",
    "is_point",
    "jac_add",
    "jac_add_affine",
    "jac_double",
    "scalar_mul",
    "to_affine",
]

Affine = tuple[int, int] | None
Jacobian = tuple[int, int, int]

P = FIELD_P
INFINITY: Jacobian = (mpz(1), mpz(1), mpz(0))
BASE_POINT: tuple[int, int] = (mpz(_ref.Gx), mpz(_ref.Gy))


def is_on_curve(x: int, y: int) -> bool:
    """True when ``0 <= x, y < p`` and ``y^2 = x^3 + 7``."""
    if not (0 <= x < P and 0 <= y < P):
        return False
    return (y * y - x * x * x - CURVE_B) % P == 0


def is_point(value: object) -> bool:
    """True for an affine ``(x, y)`` tuple of integers on the curve (not the identity)."""
    if not (isinstance(value, tuple) and len(value) == 2):
        return False
    x, y = value
    return is_integer(x) and is_integer(y) and is_on_curve(x, y)


def jac_double(pt: Jacobian) -> Jacobian:
    x, y, z = pt
    if z == 0:
        return pt
    yy = y * y % P
    s = 4 * x * yy % P
    m = 3 * x * x % P
    x3 = (m * m - 2 * s) % P
    return x3, (m * (s - x3) - 8 * yy * yy) % P, 2 * y * z % P


def jac_add_affine(pt: Jacobian, q: tuple[int, int]) -> Jacobian:
    """``pt + q`` for a Jacobian ``pt`` and an affine, non-identity ``q``."""
    x1, y1, z1 = pt
    if z1 == 0:
        return q[0], q[1], mpz(1)
    zz = z1 * z1 % P
    h = q[0] * zz % P - x1
    r = q[1] * z1 * zz % P - y1
    if h == 0:
        if r == 0:
            return jac_double(pt)
        return INFINITY
    hh = h * h % P
    hhh = h * hh % P
    v = x1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return x3, (r * (v - x3) - y1 * hhh) % P, z1 * h % P


def jac_add(p1: Jacobian, p2: Jacobian) -> Jacobian:
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if z1 == 0:
        return p2
    if z2 == 0:
        return p1
    z1z1 = z1 * z1 % P
    z2z2 = z2 * z2 % P
    u1 = x1 * z2z2 % P
    s1 = y1 * z2 * z2z2 % P
    h = x2 * z1z1 % P - u1
    r = y2 * z1 * z1z1 % P - s1
    if h == 0:
        if r == 0:
            return jac_double(p1)
        return INFINITY
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return x3, (r * (v - x3) - s1 * hhh) % P, z1 * z2 % P * h % P


def to_affine(pt: Jacobian) -> Affine:
    return batch_to_affine([pt])[0]


def batch_to_affine(points: Sequence[Jacobian]) -> list[Affine]:
    """Normalise many Jacobian points with a single field inversion."""
    finite = [i for i, pt in enumerate(points) if pt[2] != 0]
    out: list[Affine] = [None] * len(points)
    inverses = batch_invert([points[i][2] for i in finite], P)
    for i, zi in zip(finite, inverses, strict=True):
        x, y, _ = points[i]
        zi2 = zi * zi % P
        out[i] = (x * zi2 % P, y * zi2 % P * zi % P)
    return out


def affine_neg(q: Affine) -> Affine:
    if q is None:
        return None
    return q[0], (P - q[1]) % P


def affine_add(a: Affine, b: Affine) -> Affine:
    if a is None:
        return b
    if b is None:
        return a
    return to_affine(jac_add_affine((a[0], a[1], mpz(1)), b))


def scalar_mul(q: Affine, k: int) -> Affine:
    """``k * q`` by plain double-and-add (for one-off products; MSMs are faster)."""
    if q is None or k == 0:
        return None
    if k < 0:
        return scalar_mul(affine_neg(q), -k)
    acc = INFINITY
    for bit in bin(k)[2:]:
        acc = jac_double(acc)
        if bit == "1":
            acc = jac_add_affine(acc, q)
    return to_affine(acc)
