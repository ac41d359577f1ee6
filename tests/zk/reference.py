"""Slow reference arithmetic on py-ecc, to cross-check the fast code in zk/."""

from __future__ import annotations

from collections.abc import Sequence

from py_ecc.secp256k1 import secp256k1 as ref

N = ref.N
P = ref.P

RefPoint = tuple[int, int] | None


def to_ref(point: tuple[int, int] | None) -> RefPoint:
    if point is None:
        return None
    return int(point[0]), int(point[1])


def ref_add(a: RefPoint, b: RefPoint) -> RefPoint:
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    out = ref.add(a, b)
    return (int(out[0]), int(out[1]))


def ref_mul(point: RefPoint, k: int) -> RefPoint:
    k %= N
    if point is None or k == 0:
        return None
    out = ref.multiply(point, k)
    return (int(out[0]), int(out[1]))


def naive_msm(scalars: Sequence[int], points: Sequence[RefPoint]) -> RefPoint:
    """sum k_i * P_i, one py-ecc multiplication at a time."""
    acc: RefPoint = None
    for k, pt in zip(scalars, points, strict=True):
        acc = ref_add(acc, ref_mul(pt, int(k)))
    return acc


def reference_verify(
    commitments: Sequence[RefPoint],
    proof: object,
    *,
    bits: int,
    challenges: object,
    generators: object,
) -> bool:
    """The textbook Bulletproofs verifier, unfolded: the t-polynomial check, then the
    inner-product argument with generators folded point by point (py-ecc only)."""
    from zk._generators import GeneratorSet
    from zk._proof_format import RangeProof
    from zk._rangeproof import Challenges, delta

    assert isinstance(proof, RangeProof)
    assert isinstance(challenges, Challenges)
    assert isinstance(generators, GeneratorSet)
    y, z, x, w = (int(v) for v in (challenges.y, challenges.z, challenges.x, challenges.w))
    m = len(commitments)
    size = bits * m
    big_g, big_h, big_u = (to_ref(p) for p in (generators.G, generators.H, generators.U))
    g_vec, h_vec = (list(map(to_ref, v)) for v in generators.vectors(size))
    t_hat, tau_x, mu = int(proof.t_hat), int(proof.tau_x), int(proof.mu)
    # t(x) check: t_hat*G + tau_x*H == sum z^(2+j) V_j + delta*G + x*T1 + x^2*T2
    lhs = ref_add(ref_mul(big_g, t_hat), ref_mul(big_h, tau_x))
    rhs = ref_mul(big_g, int(delta(y, z, bits, m)))
    for j, v in enumerate(commitments):
        rhs = ref_add(rhs, ref_mul(v, pow(z, 2 + j, N)))
    rhs = ref_add(rhs, ref_mul(to_ref(proof.T1), x))
    rhs = ref_add(rhs, ref_mul(to_ref(proof.T2), x * x))
    if lhs != rhs:
        return False
    # P = A + xS - z<1,g> + <z*y^i + z^(2+j) 2^e, h'> - mu*H, with h'_i = y^-i h_i
    y_inv = pow(y, -1, N)
    h_prime = [ref_mul(h_vec[i], pow(y_inv, i, N)) for i in range(size)]
    p_acc = ref_add(to_ref(proof.A), ref_mul(to_ref(proof.S), x))
    for i in range(size):
        j, e = divmod(i, bits)
        p_acc = ref_add(p_acc, ref_mul(g_vec[i], -z))
        coef = (z * pow(y, i, N) + pow(z, 2 + j, N) * (1 << e)) % N
        p_acc = ref_add(p_acc, ref_mul(h_prime[i], coef))
    p_acc = ref_add(p_acc, ref_mul(big_h, -mu))
    u_point = ref_mul(big_u, w)
    p_acc = ref_add(p_acc, ref_mul(u_point, t_hat))
    gs, hs = g_vec, h_prime
    for left, right, u_raw in zip(proof.L, proof.R, challenges.u, strict=True):
        u = int(u_raw)
        u_inv = pow(u, -1, N)
        p_acc = ref_add(
            ref_add(ref_mul(to_ref(left), u * u), p_acc), ref_mul(to_ref(right), u_inv * u_inv)
        )
        half = len(gs) // 2
        gs = [ref_add(ref_mul(gs[k], u_inv), ref_mul(gs[half + k], u)) for k in range(half)]
        hs = [ref_add(ref_mul(hs[k], u), ref_mul(hs[half + k], u_inv)) for k in range(half)]
    a, b = int(proof.a), int(proof.b)
    expected = ref_add(ref_add(ref_mul(gs[0], a), ref_mul(hs[0], b)), ref_mul(u_point, a * b))
    return p_acc == expected
