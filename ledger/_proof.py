"""RFC 9162 proof verification: inclusion (section 2.1.3.2), consistency (2.1.4.2).

Both verifiers return None or raise; they never return a boolean.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from ledger._hashing import HASH_SIZE, NODE_PREFIX
from ledger.errors import ConsistencyProofError, InclusionProofError, RootMismatchError

__all__ = ["root_from_inclusion_proof", "verify_consistency", "verify_inclusion"]

_sha256 = hashlib.sha256


def _check_hashes(proof: Sequence[bytes], error: type[Exception]) -> None:
    for i, element in enumerate(proof):
        if not isinstance(element, bytes) or len(element) != HASH_SIZE:
            raise error(f"proof element {i} is not a {HASH_SIZE}-byte hash")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof; InclusionProofError if it is malformed."""
    if not 0 <= index < size:
        raise InclusionProofError(f"leaf index {index} is outside a tree of size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise InclusionProofError(f"leaf hash is not {HASH_SIZE} bytes")
    _check_hashes(proof, InclusionProofError)
    fn = index
    sn = size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise InclusionProofError(f"inclusion proof has too many elements ({len(proof)})")
        if fn & 1 or fn == sn:
            r = _sha256(NODE_PREFIX + p + r).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InclusionProofError(f"inclusion proof has too few elements ({len(proof)})")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not hmac.compare_digest(calculated, root):
        raise RootMismatchError(root, calculated)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the one of ``size1``.

    A proof from size 0 is rejected: it proves nothing.
    """
    if size1 < 0 or size2 < size1:
        raise ConsistencyProofError(f"no consistency from size {size1} to size {size2}")
    if size1 == size2:
        if proof:
            raise ConsistencyProofError("sizes are equal but the proof is not empty")
        if size1 == 0:
            raise ConsistencyProofError("consistency with an empty tree proves nothing")
        if not hmac.compare_digest(root1, root2):
            raise RootMismatchError(root1, root2, "sizes are equal but the roots differ")
        return
    if size1 == 0:
        raise ConsistencyProofError("consistency with an empty tree proves nothing")
    if not proof:
        raise ConsistencyProofError("consistency proof is empty")
    _check_hashes(proof, ConsistencyProofError)
    fr, sr = _consistency_roots(size1, size2, proof, root1)
    if not hmac.compare_digest(fr, root1):
        raise RootMismatchError(root1, fr, "consistency proof does not lead to the old root")
    if not hmac.compare_digest(sr, root2):
        raise RootMismatchError(root2, sr, "consistency proof does not lead to the new root")


def _consistency_roots(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> tuple[bytes, bytes]:
    """The (old, new) roots a consistency proof implies, 0 < size1 < size2."""
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn = size1 - 1
    sn = size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ConsistencyProofError(f"consistency proof has too many elements ({len(proof)})")
        if fn & 1 or fn == sn:
            fr = _sha256(NODE_PREFIX + c + fr).digest()
            sr = _sha256(NODE_PREFIX + c + sr).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ConsistencyProofError(f"consistency proof has too few elements ({len(proof)})")
    return fr, sr
