"""Bulletproofs range proofs: completeness, soundness probes, zero-knowledge hygiene."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zk
from tests.zk.reference import N, reference_verify, to_ref
from zk._curve import BASE_POINT, affine_add, scalar_mul
from zk._generators import DEFAULT_GENERATORS
from zk._msm import msm
from zk._rangeproof import delta, derive_challenges
from zk._statement_base import shift as _shift
from zk._threshold import _at_least_transcript
from zk._verifier import check_terms, terms

CTX = b"node=supplier-a;period=2026-11;head=00ff"


def at_least(
    value: int, threshold: int, bits: int, seed: int = 1
) -> tuple[zk.Commitment, zk.Opening, zk.RangeProof]:
    rng = random.Random(seed)
    c, o = zk.commit(value, rng=rng)
    return c, o, zk.prove_at_least(o, threshold, bits=bits, context=CTX, rng=rng)


def verify(
    c: zk.Commitment, threshold: int, proof: zk.RangeProof, bits: int, context: bytes = CTX
) -> None:
    zk.verify_at_least(c, threshold, proof, bits=bits, context=context)


# --- completeness ------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [8, 16, 32, 64])
def test_extremes_prove_and_verify(bits: int) -> None:
    for value in (0, 2**bits - 1):
        c, _, proof = at_least(value, 0, bits)
        verify(c, 0, proof, bits)
        assert len(proof.to_bytes()) == zk.range_proof_size(proof.rounds)


def test_64_bit_proof_is_688_bytes() -> None:
    c, _, proof = at_least(123_456_789, 1000, 64)
    verify(c, 1000, proof, 64)
    assert len(proof.to_bytes()) == 688


@settings(max_examples=12, deadline=None)
@given(value=st.integers(min_value=0, max_value=2**16 - 1), data=st.data())
def test_every_value_at_or_above_threshold_verifies(value: int, data: st.DataObject) -> None:
    threshold = data.draw(st.integers(min_value=max(0, value - 255), max_value=value))
    c, _, proof = at_least(value, threshold, 8, seed=value)
    verify(c, threshold, proof, 8)


def test_prover_refuses_false_statements() -> None:
    rng = random.Random(3)
    _, o = zk.commit(99, rng=rng)
    with pytest.raises(zk.StatementError, match="false"):
        zk.prove_at_least(o, 100, bits=8, context=CTX, rng=rng)  # below the threshold
    _, big = zk.commit(256, rng=rng)
    with pytest.raises(zk.StatementError, match="8 bits"):
        zk.prove_at_least(big, 0, bits=8, context=CTX, rng=rng)  # 2^n
    with pytest.raises(zk.StatementError):
        zk.commit(-1, rng=rng)  # negative quantities do not exist
    negative = zk.Opening(N - 5, o.blinding)  # "-5" modulo n
    with pytest.raises(zk.StatementError):
        zk.prove_at_least(negative, 0, bits=64, context=CTX, rng=rng)
    with pytest.raises(zk.StatementError):
        zk.prove_at_least(o, 0, bits=12, context=CTX, rng=rng)
    with pytest.raises(zk.StatementError):
        zk.prove_at_least(o, -1, bits=8, context=CTX, rng=rng)


# --- the folded verifier agrees with the textbook one --------------------------------------


def test_single_msm_verifier_agrees_with_reference_verifier() -> None:
    c, _, proof = at_least(200, 50, 8)
    shifted = _shift(c.point, 50, DEFAULT_GENERATORS)

    def challenges(p: zk.RangeProof) -> object:
        t = _at_least_transcript(c, 50, CTX)
        return derive_challenges(t, [shifted], p, bits=8, generators=DEFAULT_GENERATORS)

    assert reference_verify(
        [to_ref(shifted)],
        proof,
        bits=8,
        challenges=challenges(proof),
        generators=DEFAULT_GENERATORS,
    )
    bad = dataclasses.replace(proof, b=(proof.b + 1) % N)
    assert not reference_verify(
        [to_ref(shifted)], bad, bits=8, challenges=challenges(bad), generators=DEFAULT_GENERATORS
    )
    with pytest.raises(zk.VerificationError):
        verify(c, 50, bad, 8)


# --- soundness probes ---------------------------------------------------------------------

POINT_FIELDS = ("A", "S", "T1", "T2")
SCALAR_FIELDS = ("tau_x", "mu", "t_hat", "a", "b")


def tampered_proofs(proof: zk.RangeProof) -> list[tuple[str, zk.RangeProof]]:
    """Each element of the proof changed in turn (points moved by G, scalars by 1)."""
    out: list[tuple[str, zk.RangeProof]] = []
    for name in POINT_FIELDS:
        moved: Any = affine_add(getattr(proof, name), BASE_POINT)
        out.append((name, dataclasses.replace(proof, **{name: moved})))
    for name in SCALAR_FIELDS:
        bumped: Any = (getattr(proof, name) + 1) % N
        out.append((name, dataclasses.replace(proof, **{name: bumped})))
    for side in ("L", "R"):
        for j in range(proof.rounds):
            items = list(getattr(proof, side))
            items[j] = affine_add(items[j], BASE_POINT)
            replaced: Any = tuple(items)
            out.append((f"{side}[{j}]", dataclasses.replace(proof, **{side: replaced})))
    return out


@pytest.mark.parametrize("bits", [8, 16])
def test_every_element_is_bound(bits: int) -> None:
    c, _, proof = at_least(300 % 2**bits, 7, bits)
    cases = tampered_proofs(proof)
    assert len(cases) == 9 + 2 * proof.rounds
    for name, bad in cases:
        with pytest.raises(zk.VerificationError):
            verify(c, 7, bad, bits)
        assert bad != proof, name


def test_every_byte_flip_is_rejected() -> None:
    c, _, proof = at_least(77, 7, 8)
    data = proof.to_bytes()
    rnd = random.Random(0)
    for pos in range(len(data)):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rnd.randrange(8)
        with pytest.raises(zk.ProofError):
            verify(c, 7, zk.RangeProof.from_bytes(bytes(flipped)), 8)


def test_truncated_and_extended_proofs_are_rejected() -> None:
    _, _, proof = at_least(77, 7, 8)
    data = proof.to_bytes()
    for bad in (data[:-1], data + b"\x00", data[:-66], data[33:], b""):
        with pytest.raises(zk.EncodingError):
            zk.RangeProof.from_bytes(bad)


def test_well_formed_proof_of_wrong_length_is_rejected() -> None:
    c, _, proof16 = at_least(77, 7, 16)
    with pytest.raises(zk.VerificationError, match="length"):
        verify(c, 7, proof16, 8)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=489), junk=st.binary(min_size=1, max_size=40))
def test_mutated_proof_bytes_parse_or_raise_proof_error(cut: int, junk: bytes) -> None:
    data = _FUZZ_PROOF.to_bytes()
    for candidate in (data[:cut] + junk + data[cut + len(junk) :], data[:cut] + junk):
        try:
            parsed = zk.RangeProof.from_bytes(candidate)
        except zk.ProofError:
            continue
        assert parsed.to_bytes() == candidate


_FUZZ_PROOF = at_least(5, 0, 8, seed=9)[2]


def test_rejected_under_other_public_inputs() -> None:
    c, _o, proof = at_least(500, 400, 16)
    verify(c, 400, proof, 16)
    other_c, _ = zk.commit(500, rng=random.Random(99))
    cases: list[Callable[[], None]] = [
        lambda: verify(other_c, 400, proof, 16),  # another commitment to the same value
        lambda: verify(c, 401, proof, 16),  # another threshold
        lambda: verify(c, 399, proof, 16),
        lambda: verify(c, 400, proof, 8),  # another bit size
        lambda: verify(c, 400, proof, 32),
        lambda: verify(c, 400, proof, 16, context=CTX + b"x"),  # another context
        lambda: verify(c, 400, proof, 16, context=b""),
        lambda: zk.verify_between(c, 400, 400 + 2**16 - 1, proof, bits=16, context=CTX),
        lambda: zk.verify_at_least(
            c,
            400,
            proof,
            bits=16,
            context=CTX,
            generators=zk.GeneratorSet(b"example/other", capacity=16),
        ),
    ]
    for case in cases:
        with pytest.raises(zk.ProofError):
            case()


def test_retargeting_by_solving_for_t2_is_rejected() -> None:
    """Move an honest proof onto a commitment to a value below the threshold by solving
    the t-polynomial equation for T2 under the honest challenges (the classic forgery
    against a transcript that does not bind V and T2)."""
    threshold = 100
    c, o, proof = at_least(150, threshold, 8)
    gens = DEFAULT_GENERATORS
    shifted = _shift(c.point, threshold, gens)
    ch = derive_challenges(
        _at_least_transcript(c, threshold, CTX), [shifted], proof, bits=8, generators=gens
    )
    low = zk.Opening(threshold - 1, o.blinding).commitment()  # value 99 < 100
    low_shifted = _shift(low.point, threshold, gens)
    g_tab, h_tab, _ = gens.base_tables()
    x2_inv = pow(int(ch.x) * int(ch.x), -1, N)
    rhs = msm(
        [((proof.t_hat - delta(ch.y, ch.z, 8, 1)) % N, g_tab), (proof.tau_x, h_tab)],
        [((-ch.z * ch.z) % N, low_shifted), ((-ch.x) % N, proof.T1)],
    )
    forged_t2 = scalar_mul(rhs, x2_inv)
    assert forged_t2 is not None
    forged = dataclasses.replace(proof, T2=forged_t2)
    # the forged T2 satisfies the t-polynomial check for `low` under the honest challenges
    lhs = msm([(proof.t_hat, g_tab), (proof.tau_x, h_tab)])
    assert lhs == msm(
        [(delta(ch.y, ch.z, 8, 1), g_tab)],
        [(ch.z * ch.z % N, low_shifted), (ch.x, proof.T1), (ch.x * ch.x % N, forged_t2)],
    )
    with pytest.raises(zk.VerificationError):
        verify(low, threshold, forged, 8)
    # and the same trick with tau_x (re-blinding) fails too
    shifted_tau = dataclasses.replace(proof, tau_x=(proof.tau_x + 1) % N)
    with pytest.raises(zk.VerificationError):
        verify(c, threshold, shifted_tau, 8)


def test_identity_points_are_rejected() -> None:
    _c, _, proof = at_least(9, 0, 8)
    data = bytearray(proof.to_bytes())
    for offset in (0, 33, 66, 99, 4 * 33 + 3 * 32):  # A, S, T1, T2, L[0]
        bad = bytes(data[:offset]) + bytes(33) + bytes(data[offset + 33 :])
        with pytest.raises(zk.EncodingError):
            zk.RangeProof.from_bytes(bad)
    with pytest.raises(zk.EncodingError):
        dataclasses.replace(proof, A=None)  # type: ignore[arg-type]
    with pytest.raises(zk.EncodingError):
        dataclasses.replace(proof, a=N)


def test_zero_challenges_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    c, _, proof = at_least(9, 0, 8)
    import zk._transcript as transcript_module

    monkeypatch.setattr(transcript_module, "_wide_scalar", lambda seed: 0)
    with pytest.raises(zk.VerificationError, match="zero challenge"):
        verify(c, 0, proof, 8)


def test_errors_that_cancel_in_an_unweighted_batch_are_caught() -> None:
    c, _, proof = at_least(42, 40, 8)
    delta_a = 12345
    up = dataclasses.replace(proof, a=(proof.a + delta_a) % N)
    down = dataclasses.replace(proof, a=(proof.a - delta_a) % N)
    for bad in (up, down):
        with pytest.raises(zk.VerificationError):
            verify(c, 40, bad, 8)
    gens = DEFAULT_GENERATORS
    shifted = _shift(c.point, 40, gens)
    honest_c = derive_challenges(
        _at_least_transcript(c, 40, CTX), [shifted], proof, bits=8, generators=gens
    ).c

    def eq(p: zk.RangeProof) -> object:
        return terms(
            _at_least_transcript(c, 40, CTX),
            [shifted],
            p,
            bits=8,
            generators=gens,
            c_override=honest_c,
        )

    # with equal weights the two errors cancel exactly: a naive batch would accept
    check_terms([eq(up), eq(down)], gens)  # type: ignore[list-item]
    claims = [zk.AtLeastClaim(c, 40, up, 8, CTX), zk.AtLeastClaim(c, 40, down, 8, CTX)]
    with pytest.raises(zk.VerificationError):
        zk.verify_batch(claims, rng=random.Random(5))


# --- zero-knowledge hygiene ---------------------------------------------------------------


def test_two_proofs_of_the_same_statement_differ() -> None:
    c, o = zk.commit(1000, rng=random.Random(1))
    p1 = zk.prove_at_least(o, 10, bits=16, context=CTX, rng=random.Random(2))
    p2 = zk.prove_at_least(o, 10, bits=16, context=CTX, rng=random.Random(3))
    verify(c, 10, p1, 16)
    verify(c, 10, p2, 16)
    for name in (*POINT_FIELDS, *SCALAR_FIELDS, "L", "R"):
        assert getattr(p1, name) != getattr(p2, name), name


def _recover_blinding(
    proofs: list[zk.RangeProof], c: zk.Commitment, threshold: int, contexts: list[bytes]
) -> int:
    """Assume the three proofs share tau1, tau2 and solve
    tau_x = tau2*x^2 + tau1*x + z^2*gamma for gamma (Cramer's rule modulo n)."""
    gens = DEFAULT_GENERATORS
    shifted = _shift(c.point, threshold, gens)
    rows = []
    for p, ctx in zip(proofs, contexts, strict=True):
        ch = derive_challenges(
            _at_least_transcript(c, threshold, ctx), [shifted], p, bits=8, generators=gens
        )
        x, z = int(ch.x), int(ch.z)
        rows.append((x * x % N, x, z * z % N, int(p.tau_x)))

    def det(m: list[list[int]]) -> int:
        return (
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        ) % N

    coeffs = [[r[0], r[1], r[2]] for r in rows]
    with_rhs = [[r[0], r[1], r[3]] for r in rows]
    return det(with_rhs) * pow(det(coeffs), -1, N) % N


def test_blinding_is_not_recoverable_from_proofs_with_repeated_rng_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression test for prover nonces that do not depend on the statement and witness:
    three proofs of one commitment under three contexts, each made with an rng that
    replays the same bytes. If tau1 and tau2 repeat, three tau_x reveal the blinding."""
    c, o = zk.commit(120, rng=random.Random(1))
    contexts = [b"period-1", b"period-2", b"period-3"]

    def prove_all() -> list[zk.RangeProof]:
        return [
            zk.prove_at_least(o, 20, bits=8, context=ctx, rng=random.Random(7)) for ctx in contexts
        ]

    assert _recover_blinding(prove_all(), c, 20, contexts) != o.blinding
    # the attack is real: with nonces taken from the rng alone it recovers the blinding
    import zk._transcript as transcript_module

    monkeypatch.setattr(
        transcript_module.Transcript,
        "nonces",
        lambda self, witness, rng: transcript_module.NonceSource(rng.randbytes(32)),
    )
    assert _recover_blinding(prove_all(), c, 20, contexts) == o.blinding
