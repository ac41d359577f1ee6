"""Precomputed tables for fixed bases.

* :func:`build_tables`: ``2^(8k) * B`` for k = 0..31, for every generator (the
  bucket method of :mod:`zk._msm` then needs no doublings).
* :func:`build_combs`: full digit tables ``d * 2^(8k) * B`` for d = 1..128, for the
  two bases used alone all the time (G and H): a product costs 32 additions.

Tables are built once per process, lazily, by :class:`zk.GeneratorSet`.
"""

from __future__ import annotations

from collections.abc import Sequence

from zk._curve import (
    INFINITY,
    Jacobian,
    batch_to_affine,
    jac_add_affine,
    jac_double,
    to_affine,
)
from zk._field import FIELD_P, GROUP_N, HALF_N, mpz

__all__ = [
    "FIXED_HALF",
    "FIXED_WINDOW",
    "FIXED_WINDOWS",
    "CombTable",
    "FixedTable",
    "build_combs",
    "build_tables",
    "comb_msm",
    "signed_byte_digits",
]

P = FIELD_P
FIXED_WINDOW = 8
FIXED_WINDOWS = 32  # 32 signed 8-bit digits cover scalars below 2^255
FIXED_HALF = 1 << (FIXED_WINDOW - 1)

FixedTable = list[tuple[int, int]]
CombTable = list[list[tuple[int, int]]]
"""Rows k = 0..31 of d * 2^(8k) * B for d = 1..128: a product is 32 additions."""


def build_tables(points: Sequence[tuple[int, int]]) -> list[FixedTable]:
    """For each point B, the affine points ``2^(8k) * B`` for k = 0..31."""
    jac: list[Jacobian] = []
    for x, y in points:
        cur: Jacobian = (x, y, mpz(1))
        for k in range(FIXED_WINDOWS):
            jac.append(cur)
            if k + 1 < FIXED_WINDOWS:
                for _ in range(FIXED_WINDOW):
                    cur = jac_double(cur)
    flat = batch_to_affine(jac)
    tables: list[FixedTable] = []
    for i in range(len(points)):
        row = flat[i * FIXED_WINDOWS : (i + 1) * FIXED_WINDOWS]
        tables.append([pt for pt in row if pt is not None])
    return tables


def build_combs(points: Sequence[tuple[int, int]]) -> list[CombTable]:
    """Full digit tables for a few heavily used bases (G and H)."""
    jac: list[Jacobian] = []
    for x, y in points:
        base: Jacobian = (x, y, mpz(1))
        for _ in range(FIXED_WINDOWS):
            row_base = to_affine(base)
            if row_base is None:  # pragma: no cover - B has prime order > 2^255
                raise ValueError("degenerate base")
            cur = base
            for d in range(FIXED_HALF):
                jac.append(cur)
                if d + 1 < FIXED_HALF:
                    cur = jac_add_affine(cur, row_base)
            base = jac_double(jac[-1])  # 2 * 128 * 2^(8k) * B = 2^(8(k+1)) * B
    flat = batch_to_affine(jac)
    combs: list[CombTable] = []
    per_point = FIXED_WINDOWS * FIXED_HALF
    for i in range(len(points)):
        rows: CombTable = []
        for k in range(FIXED_WINDOWS):
            start = i * per_point + k * FIXED_HALF
            rows.append([pt for pt in flat[start : start + FIXED_HALF] if pt is not None])
        combs.append(rows)
    return combs


def signed_byte_digits(scalar: int) -> tuple[bool, list[tuple[int, int]]]:
    """Recode ``scalar`` mod n for the fixed-base tables: ``(neg, [(k, d), ...])`` with
    ``scalar = ±sum d * 256**k``, each digit ``d`` non-zero in ``[-127, 128]``, ``neg``
    when the scalar was folded to ``n - scalar`` (at most half the order)."""
    s = int(scalar) % GROUP_N
    if s == 0:
        return False, []
    neg = s > HALF_N
    if neg:
        s = GROUP_N - s
    raw = s.to_bytes(FIXED_WINDOWS, "little")
    digits: list[tuple[int, int]] = []
    carry = 0
    for k in range(FIXED_WINDOWS):
        d = raw[k] + carry
        if d > FIXED_HALF:
            d -= 256
            carry = 1
        else:
            carry = 0
        if d:
            digits.append((k, d))
    return neg, digits


def comb_msm(terms: Sequence[tuple[int, CombTable]]) -> Jacobian:
    """``sum s_i * B_i`` with full digit tables: 32 mixed additions per term."""
    acc = INFINITY
    for scalar, comb in terms:
        neg, digits = signed_byte_digits(scalar)
        for k, d in digits:
            pt = comb[k][abs(d) - 1]
            acc = jac_add_affine(acc, pt if (d < 0) == neg else (pt[0], P - pt[1]))
    return acc
