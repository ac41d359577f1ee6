"""Bulletproofs range proofs (Bünz et al., 2018): parameters and transcript schedule.

For m commitments V_j = v_j*G + gamma_j*H, one proof shows 0 <= v_j < 2^n for all
j. Prover (:mod:`zk._prover`) and verifier (:mod:`zk._verifier`) share the
transcript schedule defined here: after the statement layer has absorbed its
statement, n, m, the generator digest and every V_j are absorbed, then A, S -> y,
z; T1, T2 -> x; tau_x, mu, t_hat -> w; each (L_j, R_j) -> u_j; a, b -> c.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zk._curve import Affine
from zk._errors import StatementError, VerificationError
from zk._field import GROUP_N, mpz
from zk._generators import GeneratorSet
from zk._proof_format import RangeProof
from zk._transcript import Transcript

__all__ = [
    "BIT_SIZES",
    "MAX_AGGREGATION",
    "Challenges",
    "absorb_statement",
    "check_shape",
    "delta",
    "derive_challenges",
    "powers",
]

BIT_SIZES = (8, 16, 32, 64)
MAX_AGGREGATION = 16
N = GROUP_N


def check_shape(bits: int, count: int) -> None:
    if bits not in BIT_SIZES:
        raise StatementError(f"bit size must be one of {BIT_SIZES}")
    if count < 1 or count > MAX_AGGREGATION or count & (count - 1):
        raise StatementError(f"aggregate a power of two up to {MAX_AGGREGATION} values")


def powers(base: int, count: int) -> list[int]:
    out = [mpz(1)] * count
    for i in range(1, count):
        out[i] = out[i - 1] * base % N
    return out


def delta(y: int, z: int, bits: int, count: int) -> int:
    """delta(y, z) = (z - z^2) * <1, y^(nm)> - sum_j z^(3+j) * <1, 2^n>."""
    size = bits * count
    sum_y = sum(powers(y, size)) % N
    two_n = (1 << bits) - 1
    zz = z * z % N
    out = (z - zz) * sum_y
    zj = zz * z % N
    for _ in range(count):
        out -= zj * two_n
        zj = zj * z % N
    return out % N


def absorb_statement(
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
    absorb_statement(transcript, commitments, bits, generators)
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
