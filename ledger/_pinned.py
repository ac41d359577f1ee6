"""Does an evidence bundle extend a checkpoint the verifier kept from before?

A verifier that once saw a signed checkpoint (from an earlier bundle, or fetched
while online) pins it. A later bundle from the same log must then be consistent
with it: every checkpoint the bundle's entries are proven into is the pinned one,
or is joined to it by a consistency proof carried in the bundle (from the pinned
checkpoint when larger, to it when smaller). Without this, a log operator who
restored a backup and rewrote history under the same key could show a verifier
that demands no witness cosignatures a bundle that verifies on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger._bundle import Bundle
from ledger._checkpoint import Checkpoint, open_checkpoint
from ledger._keys import NoteVerifier
from ledger._note import SignedNote
from ledger._proof import verify_consistency
from ledger.errors import VerificationError

__all__ = ["verify_extends_checkpoint"]


def _body(note: str) -> str:
    return SignedNote.parse(note).text


def verify_extends_checkpoint(
    bundle: Bundle, pinned_note: str, verifiers: Sequence[NoteVerifier]
) -> Checkpoint:
    """Raise unless every checkpoint ``bundle`` uses is consistent with ``pinned_note``.

    The pinned note must carry a valid signature by one of ``verifiers`` (the log's
    keys). Returns the pinned checkpoint. Raises :class:`VerificationError` naming
    the first entry whose checkpoint is not joined to the pinned one, or whose
    joining consistency proof does not verify; :class:`SignatureError` /
    :class:`FormatError` for a pinned note that is not a checkpoint of this log.
    """
    pinned = open_checkpoint(pinned_note, verifiers)
    pinned_body = _body(pinned_note)
    joined: dict[str, tuple[Checkpoint, Checkpoint, tuple[bytes, ...]]] = {}
    for item in bundle.consistency:
        old_body, new_body = _body(item.old), _body(item.new)
        old, new = Checkpoint.from_body(old_body), Checkpoint.from_body(new_body)
        if old_body == pinned_body:
            joined[new_body] = (old, new, item.proof)
        elif new_body == pinned_body:
            joined[old_body] = (old, new, item.proof)
    for entry in bundle.entries:
        used_body = _body(entry.proof.checkpoint)
        if used_body == pinned_body:
            continue
        used = Checkpoint.from_body(used_body)
        if used_body not in joined:
            if used.size == pinned.size:
                raise VerificationError(
                    f"entry {entry.index}: its checkpoint of size {used.size} has another root "
                    "than the pinned checkpoint of the same size (a fork or a rewritten log)"
                )
            raise VerificationError(
                f"entry {entry.index}: no consistency proof in the bundle joins its checkpoint "
                f"(size {used.size}) to the pinned checkpoint (size {pinned.size})"
            )
        old, new, proof = joined[used_body]
        try:
            verify_consistency(old.size, new.size, proof, old.root, new.root)
        except VerificationError as exc:
            raise VerificationError(
                f"entry {entry.index}: the consistency proof {old.size} -> {new.size} joining "
                f"its checkpoint to the pinned one does not verify: {exc}"
            ) from exc
    return pinned
