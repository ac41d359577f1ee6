"""Bulletproofs range proofs (Bünz et al., 2018): prover, verifier terms, batching.

For m commitments V_j = v_j*G + gamma_j*H, one proof shows 0 <= v_j < 2^n for all
j. The inner-product argument runs on g and h'_i = y^-i * h_i. The verifier folds
both checks of the protocol (the t-polynomial check and the inner-product check,
weighted by a final challenge c) into ONE multi-scalar multiplication, with the
folded-generator exponents s_i computed by the product trick. Batch verification
adds many such equations with random weights from the caller's ``rng``.

The caller (the statement layer) seeds the transcript with the statement; this
module then absorbs n, m, the generator digest and every V_j before any proof
element.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zk._curve import Affine, batch_to_affine, jac_add_affine
from zk._encoding import encode_scalar
from zk._errors import StatementError, VerificationError
from zk._field import FIELD_P, GROUP_N, batch_invert, inv_mod_n, mpz
from zk._generators import GeneratorSet
from zk._msm import comb_msm, msm, msm_jacobian
from zk._proof_format import RangeProof
from zk._transcript import Rng, Transcript, random_scalar

__all__ = [
    "BIT_SIZES",
    "MAX_AGGREGATION",
    "Challenges",
    "Terms",
    "check_terms",
    "delta",
    "derive_challenges",
    "prove",
    "terms",
]

BIT_SIZES = (8, 16, 32, 64)
MAX_AGGREGATION = 16
N = GROUP_N


def check_shape(bits: int, count: int) -> None:
    if bits not in BIT_SIZES:
        raise StatementError(f"bit size must be one of {BIT_SIZES}")
    if count < 1 or count > MAX_AGGREGATION or count & (count - 1):
        raise StatementError(f"aggregate a power of two up to {MAX_AGGREGATION} values")


def _powers(base: int, count: int) -> list[int]:
    out = [mpz(1)] * count
    for i in range(1, count):
        out[i] = out[i - 1] * base % N
    return out


def delta(y: int, z: int, bits: int, count: int) -> int:
    """delta(y, z) = (z - z^2) * <1, y^(nm)> - sum_j z^(3+j) * <1, 2^n>."""
    size = bits * count
    sum_y = sum(_powers(y, size)) % N
    two_n = (1 << bits) - 1
    zz = z * z % N
    out = (z - zz) * sum_y
    zj = zz * z % N
    for _ in range(count):
        out -= zj * two_n
        zj = zj * z % N
    return out % N


def _absorb_statement(
    transcript: Transcript, commitments: Sequence[Affine], bits: int, generators: GeneratorSet
) -> None:
    transcript.append_u64(b"bits", bits)
    transcript.append_u64(b"m", len(commitments))
    transcript.append(b"generators", generators.digest)
    for v in commitments:
        transcript.append_point(b"V", v)


@dataclass(frozen=True)
class Challenges:
    y: int
    z: int
    x: int
    w: int
    u: tuple[int, ...]
    c: int


def derive_challenges(
    transcript: Transcript,
    commitments: Sequence[Affine],
    proof: RangeProof,
    *,
    bits: int,
    generators: GeneratorSet,
) -> Challenges:
    """Replay the verifier's transcript; raises on a shape mismatch or a zero challenge."""
    check_shape(bits, len(commitments))
    if 1 << proof.rounds != bits * len(commitments):
        raise VerificationError("proof length does not match the bit size and value count")
    _absorb_statement(transcript, commitments, bits, generators)
    transcript.append_point(b"A", proof.A)
    transcript.append_point(b"S", proof.S)
    y = transcript.challenge_scalar(b"y")
    z = transcript.challenge_scalar(b"z")
    transcript.append_point(b"T1", proof.T1)
    transcript.append_point(b"T2", proof.T2)
    x = transcript.challenge_scalar(b"x")
    transcript.append_scalar(b"tau_x", proof.tau_x)
    transcript.append_scalar(b"mu", proof.mu)
    transcript.append_scalar(b"t_hat", proof.t_hat)
    w = transcript.challenge_scalar(b"w")
    us: list[int] = []
    for left, right in zip(proof.L, proof.R, strict=True):
        transcript.append_point(b"L", left)
        transcript.append_point(b"R", right)
        us.append(transcript.challenge_scalar(b"u"))
    transcript.append_scalar(b"a", proof.a)
    transcript.append_scalar(b"b", proof.b)
    c = transcript.challenge_scalar(b"c")
    return Challenges(y, z, x, w, tuple(us), c)


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
    _absorb_statement(transcript, commitments, bits, generators)
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
        y_pows = _powers(y, size)
        self.z_pows = _powers(z, size // bits + 2)  # z^0 .. z^(m+1)
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
    y_inv_pows = _powers(inv_mod_n(y), size)
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
