"""Group laws and multi-scalar multiplication, against py-ecc as the reference."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.zk.reference import N, naive_msm, ref_add, ref_mul, to_ref
from zk._curve import (
    BASE_POINT,
    INFINITY,
    affine_add,
    affine_neg,
    batch_to_affine,
    is_on_curve,
    jac_add,
    jac_add_affine,
    jac_double,
    scalar_mul,
    to_affine,
)
from zk._field import batch_invert, mpz
from zk._msm import _normalise, _pippenger, _straus, msm, sum_point_lists
from zk._tables import build_combs, build_tables, comb_msm

G_REF = to_ref(BASE_POINT)
scalars = st.integers(min_value=0, max_value=N - 1)
nonzero = st.integers(min_value=1, max_value=N - 1)


def point(k: int) -> tuple[int, int]:
    out = scalar_mul(BASE_POINT, k)
    assert out is not None
    return out


def test_base_point_is_py_ecc_generator() -> None:
    assert is_on_curve(*BASE_POINT)
    assert to_ref(BASE_POINT) == (
        0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
        0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
    )


def test_group_order_annihilates() -> None:
    assert scalar_mul(BASE_POINT, N) is None
    assert scalar_mul(BASE_POINT, N - 1) == affine_neg(BASE_POINT)


@settings(max_examples=25, deadline=None)
@given(a=nonzero, b=nonzero)
def test_addition_matches_reference(a: int, b: int) -> None:
    pa, pb = point(a), point(b)
    assert to_ref(affine_add(pa, pb)) == ref_add(to_ref(pa), to_ref(pb))
    assert to_ref(affine_add(pa, pb)) == ref_mul(G_REF, a + b)


@settings(max_examples=25, deadline=None)
@given(k=scalars)
def test_scalar_mul_matches_reference(k: int) -> None:
    assert to_ref(scalar_mul(BASE_POINT, k)) == ref_mul(G_REF, k)


@settings(max_examples=20, deadline=None)
@given(a=nonzero, b=nonzero, c=nonzero)
def test_group_laws(a: int, b: int, c: int) -> None:
    pa, pb, pc = point(a), point(b), point(c)
    assert affine_add(pa, pb) == affine_add(pb, pa)
    assert affine_add(affine_add(pa, pb), pc) == affine_add(pa, affine_add(pb, pc))
    assert affine_add(pa, None) == pa
    assert affine_add(pa, affine_neg(pa)) is None
    # distributivity: (a + b) * P == a * P + b * P
    assert scalar_mul(pc, a + b) == affine_add(scalar_mul(pc, a), scalar_mul(pc, b))


def test_jacobian_special_cases() -> None:
    p = point(7)
    jp = (p[0], p[1], mpz(1))
    assert to_affine(jac_add_affine(jp, p)) == point(14)  # doubling through addition
    assert to_affine(jac_add_affine(jp, affine_neg(p))) is None  # type: ignore[arg-type]
    assert to_affine(jac_add(jp, jp)) == point(14)
    assert to_affine(jac_add(INFINITY, jp)) == p
    assert to_affine(jac_double(INFINITY)) is None
    # the same point in another Jacobian representation (Z = 5)
    z = mpz(5)
    other = (p[0] * z * z % (2**256 - 2**32 - 977), p[1] * z**3 % (2**256 - 2**32 - 977), z)
    assert to_affine(jac_add(other, jp)) == point(14)
    assert batch_to_affine([INFINITY, jp, other]) == [None, p, p]


def test_batch_invert() -> None:
    values = [mpz(v) for v in (1, 2, 3, N - 1)]
    assert [v * i % N for v, i in zip(values, batch_invert(values, N), strict=True)] == [1] * 4
    assert batch_invert([], N) == []


@pytest.mark.parametrize("count", [1, 3, 17, 30, 70])
def test_msm_matches_naive(count: int) -> None:
    rnd = random.Random(count)
    points = [point(rnd.randrange(1, N)) for _ in range(count)]
    ks = [rnd.randrange(N) for _ in range(count)]
    ks[0] = N - 1  # exercise the negation of scalars above n/2
    if count > 2:
        ks[1] = 0
        ks[2] = 1
    expected = naive_msm(ks, [to_ref(p) for p in points])
    tables = build_tables(points)
    assert to_ref(msm(list(zip(ks, tables, strict=True)))) == expected
    assert to_ref(msm([], list(zip(ks, points, strict=True)))) == expected
    terms = _normalise(list(zip(ks, points, strict=True)))
    assert to_ref(to_affine(_straus(terms))) == expected
    assert to_ref(to_affine(_pippenger(terms))) == expected
    half = count // 2
    mixed = msm(
        list(zip(ks[:half], tables[:half], strict=True)),
        list(zip(ks[half:], points[half:], strict=True)),
    )
    assert to_ref(mixed) == expected


@settings(max_examples=10, deadline=None)
@given(ks=st.lists(scalars, min_size=1, max_size=6))
def test_msm_property(ks: list[int]) -> None:
    points = [point(i + 2) for i in range(len(ks))]
    expected = naive_msm(ks, [to_ref(p) for p in points])
    assert to_ref(msm(list(zip(ks, build_tables(points), strict=True)))) == expected
    assert to_ref(msm([], list(zip(ks, points, strict=True)))) == expected


def test_msm_cancellation_gives_identity() -> None:
    p = point(99)
    assert msm([], [(5, p), (N - 5, p)]) is None
    assert msm([], [(3, p), (4, None)]) == scalar_mul(p, 3)


def test_comb_tables_match_reference() -> None:
    comb = zk_combs()
    rnd = random.Random(4)
    for k in (1, 2, 127, 128, 129, 255, 256, N // 2, N // 2 + 1, N - 1, rnd.randrange(N)):
        assert to_ref(to_affine(comb_msm([(k, comb)]))) == ref_mul(G_REF, k)
    assert to_affine(comb_msm([(0, comb)])) is None


def zk_combs() -> list[list[tuple[int, int]]]:
    return build_combs([BASE_POINT])[0]


def test_sum_point_lists_handles_doublings_and_cancellations() -> None:
    p, q = point(5), point(6)
    minus_p = affine_neg(p)
    assert minus_p is not None
    lists = [[p, p], [p, minus_p], [q], [], [p, q, p]]
    sums = sum_point_lists(lists)
    assert sums == [point(10), None, q, None, point(16)]
