"""The Bulletproofs prover.

The inner-product argument never materialises folded generators: after r rounds
the folded g'_j is sum_t cg[t] * g_(j + t*len), so every L and R is one fixed-base
MSM over the original generators with the folding coefficients kept as scalars.
Nonces come from :meth:`zk._transcript.Transcript.nonces` (transcript, witness
and the caller's rng). Not constant-time: see zk/README.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from zk._curve import batch_to_affine, jac_add_affine
from zk._encoding import encode_scalar
from zk._errors import StatementError
from zk._field import FIELD_P, GROUP_N, inv_mod_n, mpz
from zk._generators import GeneratorSet
from zk._msm import msm_jacobian
from zk._proof_format import RangeProof
from zk._rangeproof import absorb_statement, check_shape, powers
from zk._tables import comb_msm
from zk._transcript import Rng, Transcript

__all__ = ["prove"]

N = GROUP_N


def _bits_of(values: Sequence[int], bits: int) -> list[int]:
    out: list[int] = []
    for v in values:
        out.extend((int(v) >> i) & 1 for i in range(bits))
    return out


def _inner(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(x * y for x, y in zip(a, b, strict=True)) % N


def prove(
    transcript: Transcript,
    values: Sequence[int],
    blindings: Sequence[int],
    *,
    bits: int,
    generators: GeneratorSet,
    rng: Rng,
) -> RangeProof:
    """Prove ``0 <= v_j < 2^bits`` for commitments ``v_j*G + gamma_j*H``."""
    count = len(values)
    check_shape(bits, count)
    if len(blindings) != count:
        raise StatementError("one blinding per value")
    for v in values:
        if not 0 <= v < (1 << bits):
            raise StatementError(f"value out of range for a {bits}-bit proof")
    g_comb, h_comb = generators.combs()
    commitments = batch_to_affine(
        [comb_msm([(v, g_comb), (g, h_comb)]) for v, g in zip(values, blindings, strict=True)]
    )
    absorb_statement(transcript, commitments, bits, generators)
    witness = [encode_scalar(v) + encode_scalar(g) for v, g in zip(values, blindings, strict=True)]
    nonces = transcript.nonces(witness, rng)
    a_l = _bits_of(values, bits)
    alpha, rho = nonces.scalar(), nonces.scalar()
    s_l, s_r = nonces.scalars(len(a_l)), nonces.scalars(len(a_l))
    a_pt, s_pt = _bit_commitments(
        a_l, s_l=s_l, s_r=s_r, alpha=alpha, rho=rho, generators=generators
    )
    transcript.append_point(b"A", a_pt)
    transcript.append_point(b"S", s_pt)
    y = transcript.challenge_scalar(b"y")
    z = transcript.challenge_scalar(b"z")
    poly = _Polynomials(a_l, s_l=s_l, s_r=s_r, y=y, z=z, bits=bits)
    tau1, tau2 = nonces.scalar(), nonces.scalar()
    t1_pt, t2_pt = batch_to_affine(
        [
            comb_msm([(poly.t1, g_comb), (tau1, h_comb)]),
            comb_msm([(poly.t2, g_comb), (tau2, h_comb)]),
        ]
    )
    if t1_pt is None or t2_pt is None:  # pragma: no cover - probability 2^-256
        raise StatementError("degenerate nonce")
    transcript.append_point(b"T1", t1_pt)
    transcript.append_point(b"T2", t2_pt)
    x = transcript.challenge_scalar(b"x")
    l_vec, r_vec = poly.evaluate(x)
    t_hat = _inner(l_vec, r_vec)
    tau_x = (tau2 * x % N * x + tau1 * x) % N
    for j, gamma in enumerate(blindings):
        tau_x = (tau_x + poly.z_pows[2 + j] * gamma) % N
    mu = (alpha + rho * x) % N
    transcript.append_scalar(b"tau_x", tau_x)
    transcript.append_scalar(b"mu", mu)
    transcript.append_scalar(b"t_hat", t_hat)
    w = transcript.challenge_scalar(b"w")
    lefts, rights, a_fin, b_fin = _inner_product(
        transcript, a_vec=l_vec, b_vec=r_vec, y=y, w=w, generators=generators
    )
    return RangeProof(
        a_pt, s_pt, t1_pt, t2_pt, tau_x, mu, t_hat, tuple(lefts), tuple(rights), a_fin, b_fin
    )


def _bit_commitments(
    a_l: Sequence[int],
    *,
    s_l: Sequence[int],
    s_r: Sequence[int],
    alpha: int,
    rho: int,
    generators: GeneratorSet,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """A = alpha*H + <a_L, g> + <a_R, h> (a_R = a_L - 1) and S = rho*H + <s_L, g> + <s_R, h>."""
    size = len(a_l)
    _, h_tab, _ = generators.base_tables()
    vg, vh = generators.vector_tables(size)
    gens_g, gens_h = generators.vectors(size)
    acc = comb_msm([(alpha, generators.combs()[1])])
    for bit, gi, hi in zip(a_l, gens_g, gens_h, strict=True):
        acc = jac_add_affine(acc, gi if bit else (hi[0], FIELD_P - hi[1]))
    s_jac = msm_jacobian([(rho, h_tab), *zip(s_l, vg, strict=True), *zip(s_r, vh, strict=True)])
    a_pt, s_pt = batch_to_affine([acc, s_jac])
    if a_pt is None or s_pt is None:  # pragma: no cover - probability 2^-256
        raise StatementError("degenerate nonce")
    return a_pt, s_pt


class _Polynomials:
    """l(X) = l0 + s_L X and r(X) = r0 + r1 X; t1 and t2 of t(X) = <l(X), r(X)>."""

    def __init__(
        self,
        a_l: Sequence[int],
        *,
        s_l: Sequence[int],
        s_r: Sequence[int],
        y: int,
        z: int,
        bits: int,
    ) -> None:
        size = len(a_l)
        y_pows = powers(y, size)
        self.z_pows = powers(z, size // bits + 2)  # z^0 .. z^(m+1)
        self.l0 = [(bit - z) % N for bit in a_l]
        self.l1 = list(s_l)
        self.r0 = [mpz(0)] * size
        self.r1 = [mpz(0)] * size
        for i in range(size):
            j, e = divmod(i, bits)
            self.r0[i] = (y_pows[i] * (a_l[i] - 1 + z) + self.z_pows[2 + j] * (1 << e)) % N
            self.r1[i] = y_pows[i] * s_r[i] % N
        self.t1 = (_inner(self.l0, self.r1) + _inner(self.l1, self.r0)) % N
        self.t2 = _inner(self.l1, self.r1)

    def evaluate(self, x: int) -> tuple[list[int], list[int]]:
        l_vec = [(a + b * x) % N for a, b in zip(self.l0, self.l1, strict=True)]
        r_vec = [(a + b * x) % N for a, b in zip(self.r0, self.r1, strict=True)]
        return l_vec, r_vec


def _inner_product(
    transcript: Transcript,
    *,
    a_vec: list[int],
    b_vec: list[int],
    y: int,
    w: int,
    generators: GeneratorSet,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int, int]:
    """The inner-product argument on g and h'_i = y^-i h_i, with u' = w*U.

    Folded generators are never computed: after r rounds, folded g'_j is
    sum_t cg[t] * g_(j + t*len), so every L and R is one fixed-base MSM over the
    original generators.
    """
    size = len(a_vec)
    vg, vh = generators.vector_tables(size)
    _, _, u_tab = generators.base_tables()
    y_inv_pows = powers(inv_mod_n(y), size)
    cg = [mpz(1)]
    ch = [mpz(1)]
    lefts: list[tuple[int, int]] = []
    rights: list[tuple[int, int]] = []
    length = size
    while length > 1:
        half = length // 2
        a_lo, a_hi = a_vec[:half], a_vec[half:]
        b_lo, b_hi = b_vec[:half], b_vec[half:]
        c_l = _inner(a_lo, b_hi)
        c_r = _inner(a_hi, b_lo)
        left_terms = [(c_l * w % N, u_tab)]
        right_terms = [(c_r * w % N, u_tab)]
        for t, (cgt, cht) in enumerate(zip(cg, ch, strict=True)):
            base = t * length
            for k in range(half):
                lo = base + k
                hi = lo + half
                left_terms.append((a_lo[k] * cgt % N, vg[hi]))
                left_terms.append((b_hi[k] * cht % N * y_inv_pows[lo] % N, vh[lo]))
                right_terms.append((a_hi[k] * cgt % N, vg[lo]))
                right_terms.append((b_lo[k] * cht % N * y_inv_pows[hi] % N, vh[hi]))
        left_pt, right_pt = batch_to_affine([msm_jacobian(left_terms), msm_jacobian(right_terms)])
        if left_pt is None or right_pt is None:
            raise StatementError("degenerate inner-product round")
        transcript.append_point(b"L", left_pt)
        transcript.append_point(b"R", right_pt)
        u = transcript.challenge_scalar(b"u")
        u_inv = inv_mod_n(u)
        lefts.append(left_pt)
        rights.append(right_pt)
        a_vec = [(a_lo[k] * u + a_hi[k] * u_inv) % N for k in range(half)]
        b_vec = [(b_lo[k] * u_inv + b_hi[k] * u) % N for k in range(half)]
        cg = [c for cgt in cg for c in (cgt * u_inv % N, cgt * u % N)]
        ch = [c for cht in ch for c in (cht * u % N, cht * u_inv % N)]
        length = half
    return lefts, rights, a_vec[0], b_vec[0]
