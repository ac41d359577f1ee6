"""zk: zero-knowledge statements about committed stock quantities.

Pedersen commitments on secp256k1 and Bulletproofs range proofs, in pure Python
(py-ecc for the curve parameters and as the test reference, GMP integers for speed).
The public API is the statements: commit, at least, between, balance (sum and
conservation), coverage (pledges), plain aggregated ranges, opening verification
and batch verification.
Verifiers return None or raise :class:`ProofError`. See zk/README.md for what is
proven, the assumptions, the byte layout and what is not constant-time.

The code has not been audited.
"""

from zk._balance import BalanceProof, prove_balance, verify_balance
from zk._batch import AtLeastClaim, BetweenClaim, Claim, RangeClaim, verify_batch
from zk._coverage import prove_coverage, verify_coverage
from zk._errors import EncodingError, ProofError, StatementError, VerificationError
from zk._generators import DEFAULT_GENERATORS, GeneratorSet
from zk._pedersen import MAX_VALUE, Commitment, Opening, commit, verify_opening
from zk._proof_format import RangeProof, range_proof_size
from zk._rangeproof import BIT_SIZES, MAX_AGGREGATION
from zk._threshold import (
    prove_at_least,
    prove_between,
    prove_range,
    verify_at_least,
    verify_between,
    verify_range,
)
from zk._transcript import Rng

__all__ = [
    "BIT_SIZES",
    "DEFAULT_GENERATORS",
    "MAX_AGGREGATION",
    "MAX_VALUE",
    "AtLeastClaim",
    "BalanceProof",
    "BetweenClaim",
    "Claim",
    "Commitment",
    "EncodingError",
    "GeneratorSet",
    "Opening",
    "ProofError",
    "RangeClaim",
    "RangeProof",
    "Rng",
    "StatementError",
    "VerificationError",
    "commit",
    "prove_at_least",
    "prove_balance",
    "prove_between",
    "prove_coverage",
    "prove_range",
    "range_proof_size",
    "verify_at_least",
    "verify_balance",
    "verify_batch",
    "verify_between",
    "verify_coverage",
    "verify_opening",
    "verify_range",
]
