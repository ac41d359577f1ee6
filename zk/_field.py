"""secp256k1 parameters (from py-ecc) and scalar arithmetic modulo the group order.

Field elements and scalars are :class:`gmpy2.mpz` values (typed as ``int``):
GMP multiplication and inversion are several times faster than Python integers
at 256 bits.
"""

from __future__ import annotations

from collections.abc import Sequence

import gmpy2

from zk._py_ecc import secp256k1 as _ref

__all__ = [
    "CURVE_B",
    "FIELD_P",
    "GROUP_N",
    "HALF_N",
    "batch_invert",
    "inv_mod_n",
    "is_integer",
    "mpz",
    "sqrt_mod_p",
]

mpz = gmpy2.mpz

FIELD_P: int = mpz(_ref.P)
"""The base field prime p = 2^256 - 2^32 - 977."""
GROUP_N: int = mpz(_ref.N)
"""The prime order of the group (cofactor 1)."""
HALF_N: int = GROUP_N // 2
CURVE_B: int = mpz(_ref.B)
"""y^2 = x^3 + 7 (a = 0)."""

_MPZ_TYPE = type(mpz(0))
_SQRT_EXP = (FIELD_P + 1) // 4  # p = 3 mod 4


def is_integer(value: object) -> bool:
    """A Python or GMP integer (not a bool)."""
    return isinstance(value, int | _MPZ_TYPE) and not isinstance(value, bool)


def inv_mod_n(x: int) -> int:
    """Inverse modulo the group order; ``x`` must be non-zero modulo n."""
    return gmpy2.invert(x, GROUP_N)  # type: ignore[no-any-return]


def sqrt_mod_p(a: int) -> int | None:
    """A square root of ``a`` modulo p, or None when ``a`` is not a square."""
    r = gmpy2.powmod(a, _SQRT_EXP, FIELD_P)
    if r * r % FIELD_P != a % FIELD_P:
        return None
    return r  # type: ignore[no-any-return]


def batch_invert(values: Sequence[int], modulus: int) -> list[int]:
    """Montgomery's trick: the inverses of non-zero ``values`` with one inversion."""
    count = len(values)
    if count == 0:
        return []
    prefix = [mpz(0)] * count
    acc = mpz(1)
    for i, v in enumerate(values):
        prefix[i] = acc
        acc = acc * v % modulus
    inv = gmpy2.invert(acc, modulus)
    out = [mpz(0)] * count
    for i in range(count - 1, -1, -1):
        out[i] = inv * prefix[i] % modulus
        inv = inv * values[i] % modulus
    return out
