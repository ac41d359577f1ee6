"""The Bulletproofs verifier as one multi-scalar multiplication, and batching.

Both checks of the protocol — the t-polynomial check and the inner-product check
on g and h'_i = y^-i * h_i — are added with the transcript weight c into one
equation ``sum scalar * point == identity``; the exponents s_i of the folded
generators come from the product trick. Batch verification adds many such
equations with fresh random weights from the caller's ``rng`` and evaluates the
sum as a single MSM, sharing the generator terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zk._curve import Affine
from zk._errors import VerificationError
from zk._field import GROUP_N, batch_invert, inv_mod_n, mpz
from zk._generators import GeneratorSet
from zk._msm import msm
from zk._proof_format import RangeProof
from zk._rangeproof import delta, derive_challenges
from zk._transcript import Rng, Transcript, random_scalar

__all__ = ["Terms", "batch_weights", "check_terms", "terms"]

N = GROUP_N


@dataclass
class Terms:
    """Scalars of one verification equation ``sum scalar * point == identity``."""

    g: list[int]
    h: list[int]
    G: int
    H: int
    U: int
    variable: list[tuple[int, Affine]]


def _s_vector(us: Sequence[int], us_inv: Sequence[int]) -> list[int]:
    """s_i = prod_j u_j^(+1 if bit (k-1-j) of i is set else -1)."""
    k = len(us)
    size = 1 << k
    s = [mpz(0)] * size
    acc = mpz(1)
    for ui in us_inv:
        acc = acc * ui % N
    s[0] = acc
    squares = [u * u % N for u in us]
    for i in range(1, size):
        top = i.bit_length() - 1
        s[i] = s[i - (1 << top)] * squares[k - 1 - top] % N
    return s


def terms(
    transcript: Transcript,
    commitments: Sequence[Affine],
    proof: RangeProof,
    *,
    bits: int,
    generators: GeneratorSet,
    weight: int = 1,
    c_override: int | None = None,
) -> Terms:
    """The weighted verification equation of one proof (identity when it is valid)."""
    ch = derive_challenges(transcript, commitments, proof, bits=bits, generators=generators)
    c = ch.c if c_override is None else c_override
    count = len(commitments)
    size = bits * count
    y, z, x, w = ch.y, ch.z, ch.x, ch.w
    us_inv = batch_invert(list(ch.u), N)
    s = _s_vector(ch.u, us_inv)
    s_inv = _s_vector(us_inv, ch.u)
    y_inv = inv_mod_n(y)
    a, b = proof.a, proof.b
    r = weight
    g_sc = [(-z - a * si) * r % N for si in s]
    h_sc = [mpz(0)] * size
    yi = mpz(1)
    zj = z * z % N
    i = 0
    for _ in range(count):
        two = mpz(1)
        for _ in range(bits):
            h_sc[i] = (z + yi * (zj * two - b * s_inv[i])) * r % N
            yi = yi * y_inv % N
            two += two
            i += 1
        zj = zj * z % N
    variable: list[tuple[int, Affine]] = [(r, proof.A), (x * r % N, proof.S)]
    zj = z * z % N
    rc = r * c % N
    for v in commitments:
        variable.append((rc * zj % N, v))
        zj = zj * z % N
    variable.append((rc * x % N, proof.T1))
    variable.append((rc * x % N * x % N, proof.T2))
    for u, ui, left, right in zip(ch.u, us_inv, proof.L, proof.R, strict=True):
        variable.append((u * u % N * r % N, left))
        variable.append((ui * ui % N * r % N, right))
    g_coef = rc * (delta(y, z, bits, count) - proof.t_hat) % N
    h_coef = (-proof.mu * r - rc * proof.tau_x) % N
    u_coef = w * (proof.t_hat - a * b) % N * r % N
    return Terms(g_sc, h_sc, g_coef, h_coef, u_coef, variable)


def check_terms(all_terms: Sequence[Terms], generators: GeneratorSet) -> None:
    """Evaluate the sum of the equations as one MSM; raise unless it is the identity."""
    size = max(len(t.g) for t in all_terms)
    g_sum = [mpz(0)] * size
    h_sum = [mpz(0)] * size
    big_g = big_h = big_u = mpz(0)
    variable: list[tuple[int, Affine]] = []
    for t in all_terms:
        for i, (gs, hs) in enumerate(zip(t.g, t.h, strict=True)):
            g_sum[i] += gs
            h_sum[i] += hs
        big_g += t.G
        big_h += t.H
        big_u += t.U
        variable.extend(t.variable)
    g_tab, h_tab, u_tab = generators.base_tables()
    vg, vh = generators.vector_tables(size)
    fixed = [(big_g, g_tab), (big_h, h_tab), (big_u, u_tab)]
    fixed += list(zip(g_sum, vg, strict=True))
    fixed += list(zip(h_sum, vh, strict=True))
    if msm(fixed, variable) is not None:
        raise VerificationError("range proof does not verify")


def batch_weights(count: int, rng: Rng) -> list[int]:
    return [random_scalar(rng) for _ in range(count)]
