"""Multi-scalar multiplication: fixed-base buckets, Straus and Pippenger.

* Fixed bases (G, H, U and the vector generators) carry a table of
  ``2^(8k) * B`` for k = 0..31 (:mod:`zk._tables`), so a product ``s * B`` is a
  sum of 32 signed 8-bit digits times table points. All fixed-base terms of one
  MSM share 128 buckets (a bucket per digit value), and no doubling is needed.
* Bucket contents are summed pairwise in affine coordinates, one field inversion
  per level for all buckets (Montgomery's trick).
* Variable bases (commitments, proof points) use Straus' interleaved w-NAF method
  for small counts and Pippenger's bucket method for large ones; the crossover
  was measured on the benchmark machine (see ``scnode bench zk``).

Scalars above n/2 are negated together with their point, so every scalar has at
most 255 bits. Nothing here is constant-time.
"""

from __future__ import annotations

from collections.abc import Sequence

import gmpy2

from zk._curve import (
    INFINITY,
    Affine,
    Jacobian,
    batch_to_affine,
    jac_add,
    jac_add_affine,
    jac_double,
    to_affine,
)
from zk._field import FIELD_P, GROUP_N, HALF_N, mpz
from zk._tables import FIXED_HALF, FixedTable, signed_byte_digits

__all__ = ["msm", "msm_jacobian", "sum_point_lists"]

P = FIELD_P
STRAUS_MAX = 40  # variable-base count up to which Straus beats Pippenger (measured)
STRAUS_WIDTH = 5


def _signed_digits(scalar: int, width: int, count: int) -> list[int]:
    """Digits d_k in (-2^(w-1), 2^(w-1)] with scalar = sum d_k 2^(wk)."""
    mask = (1 << width) - 1
    half = 1 << (width - 1)
    full = 1 << width
    digits = [0] * count
    s = int(scalar)
    for k in range(count):
        d = s & mask
        s >>= width
        if d > half:
            d -= full
            s += 1
        digits[k] = d
    return digits


def _fixed_part(terms: Sequence[tuple[int, FixedTable]]) -> Jacobian:
    buckets: list[list[tuple[int, int]]] = [[] for _ in range(FIXED_HALF + 1)]
    for scalar, table in terms:
        neg, digits = signed_byte_digits(scalar)
        for k, d in digits:
            pt = table[k]
            if d < 0:
                buckets[-d].append(pt if neg else (pt[0], P - pt[1]))
            else:
                buckets[d].append((pt[0], P - pt[1]) if neg else pt)
    return _sum_buckets(sum_point_lists(buckets))


def sum_point_lists(lists: list[list[tuple[int, int]]]) -> list[Affine]:
    """The sum of each list of affine points, all lists at once.

    Points are added pairwise in affine coordinates, level by level; each level
    shares one field inversion (Montgomery's trick), so an addition costs about six
    multiplications instead of eleven for a mixed Jacobian addition.
    """
    one = mpz(1)
    while True:
        prefix: list[int] = []
        acc = one
        for pts in lists:
            for k in range(0, len(pts) - 1, 2):
                prefix.append(acc)
                d = pts[k + 1][0] - pts[k][0]
                if d:
                    acc = acc * d % P
        if not prefix:
            break
        inv = gmpy2.invert(acc, P)
        i = len(prefix)
        for idx in range(len(lists) - 1, -1, -1):
            pts = lists[idx]
            count = len(pts)
            if count < 2:
                continue
            out: list[tuple[int, int]] = [pts[-1]] if count & 1 else []
            for k in range(count - 2 - (count & 1), -1, -2):
                i -= 1
                x1, y1 = pts[k]
                x2, y2 = pts[k + 1]
                d = x2 - x1
                if d == 0:  # rare: a doubling, or a pair that cancels
                    if y1 == y2:
                        doubled = to_affine(jac_double((x1, y1, one)))
                        if doubled is not None:
                            out.append(doubled)
                    continue
                d_inv = inv * prefix[i] % P
                inv = inv * d % P
                lam = (y2 - y1) * d_inv % P
                x3 = (lam * lam - x1 - x2) % P
                out.append((x3, (lam * (x1 - x3) - y1) % P))
            lists[idx] = out
    return [pts[0] if pts else None for pts in lists]


def _sum_buckets(buckets: Sequence[Affine]) -> Jacobian:
    """sum_d d * bucket[d] by running sums."""
    running = INFINITY
    total = INFINITY
    for d in range(len(buckets) - 1, 0, -1):
        b = buckets[d]
        if b is not None:
            running = jac_add_affine(running, b)
        total = jac_add(total, running)
    return total


def _normalise(terms: Sequence[tuple[int, Affine]]) -> list[tuple[int, tuple[int, int]]]:
    """Drop identities and zero scalars; make every scalar at most n/2."""
    out: list[tuple[int, tuple[int, int]]] = []
    for scalar, pt in terms:
        s = int(scalar) % GROUP_N
        if s == 0 or pt is None:
            continue
        if s > HALF_N:
            out.append((GROUP_N - s, (pt[0], P - pt[1])))
        else:
            out.append((s, pt))
    return out


def _wnaf(k: int, width: int) -> list[int]:
    digits: list[int] = []
    full = 1 << width
    half = full >> 1
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


def _straus(terms: list[tuple[int, tuple[int, int]]]) -> Jacobian:
    width = STRAUS_WIDTH
    odd = 1 << (width - 2)  # odd multiples 1, 3, ..., 2^(w-1) - 1
    jac: list[Jacobian] = []
    for _, (x, y) in terms:
        base: Jacobian = (x, y, mpz(1))
        twice = jac_double(base)
        cur = base
        for i in range(odd):
            jac.append(cur)
            if i + 1 < odd:
                cur = jac_add(cur, twice)
    flat = batch_to_affine(jac)
    nafs = [_wnaf(s, width) for s, _ in terms]
    length = max((len(w) for w in nafs), default=0)
    acc = INFINITY
    for pos in range(length - 1, -1, -1):
        acc = jac_double(acc)
        for t, naf in enumerate(nafs):
            if pos < len(naf):
                d = naf[pos]
                if d:
                    pt = flat[t * odd + (abs(d) >> 1)]
                    if pt is None:
                        continue
                    acc = jac_add_affine(acc, pt if d > 0 else (pt[0], P - pt[1]))
    return acc


def _pippenger_window(count: int) -> int:
    if count < 48:
        return 4
    if count < 200:
        return 5
    if count < 600:
        return 6
    return 7


def _pippenger(terms: list[tuple[int, tuple[int, int]]]) -> Jacobian:
    width = _pippenger_window(len(terms))
    windows = (255 + width) // width + 1
    digits = [_signed_digits(s, width, windows) for s, _ in terms]
    half = 1 << (width - 1)
    acc = INFINITY
    for k in range(windows - 1, -1, -1):
        for _ in range(width):
            acc = jac_double(acc)
        buckets: list[list[tuple[int, int]]] = [[] for _ in range(half + 1)]
        for t, (_, pt) in enumerate(terms):
            d = digits[t][k]
            if d > 0:
                buckets[d].append(pt)
            elif d < 0:
                buckets[-d].append((pt[0], P - pt[1]))
        acc = jac_add(acc, _sum_buckets(sum_point_lists(buckets)))
    return acc


def msm_jacobian(
    fixed: Sequence[tuple[int, FixedTable]],
    variable: Sequence[tuple[int, Affine]] = (),
) -> Jacobian:
    """``sum s_i * B_i + sum t_j * Q_j`` as a Jacobian point."""
    acc = _fixed_part(fixed) if fixed else INFINITY
    terms = _normalise(variable)
    if terms:
        part = _straus(terms) if len(terms) <= STRAUS_MAX else _pippenger(terms)
        acc = jac_add(acc, part)
    return acc


def msm(
    fixed: Sequence[tuple[int, FixedTable]],
    variable: Sequence[tuple[int, Affine]] = (),
) -> Affine:
    """``sum s_i * B_i + sum t_j * Q_j`` as an affine point (None for the identity)."""
    return to_affine(msm_jacobian(fixed, variable))
