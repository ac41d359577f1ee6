"""The witness: C2SP tlog-witness ``add-checkpoint`` over this node's views.

For a checkpoint of a peer's log, the witness checks (in the spec's order) that
the origin is known (404), that a trusted key signed it (403), that the old size
is the size it holds (409, answering with that size), that an equal size has an
equal root (409, and both checkpoints are kept as split-view evidence), and that
the consistency proof from its own stored root verifies (422). Then it stores the
checkpoint with a compare-and-store (a concurrent request that stored first turns
this one into a 409) and only then returns its cosignature line.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from ledger import (
    Checkpoint,
    CosignatureSigner,
    FormatError,
    LedgerError,
    NoteVerifier,
    VerificationError,
    verify_checkpoint,
    verify_consistency,
)
from node.peers.tables import peers
from node.witness._errors import (
    BadConsistencyProof,
    RootConflict,
    SizeConflict,
    UnknownLog,
    UntrustedCheckpoint,
)
from node.witness._group import GroupStore
from node.witness._protocol import parse_add_checkpoint
from node.witness._views import LogView, driver_rows, get_view, mark, record_evidence

__all__ = ["INCONSISTENT", "SAME_SIZE", "Witness", "check_extends", "trusted_log_keys"]

SAME_SIZE = "same-size-different-root"
INCONSISTENT = "inconsistent"


@functools.lru_cache(maxsize=1024)
def _verifier(vkey: str) -> NoteVerifier | None:
    try:
        return NoteVerifier.from_vkey(vkey)
    except FormatError:
        return None


def _like_prefix(text: str) -> str:
    """A LIKE pattern (escape character ``/``) matching strings that start with ``text``."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def trusted_log_keys(conn: Connection, origin: str) -> list[NoteVerifier]:
    """The log keys of active peers whose key name is ``origin``."""
    m = mark(conn)
    sql = (
        f"SELECT vkey FROM {peers.name} WHERE status = {m} "  # noqa: S608  (schema name only)
        f"AND keyid LIKE {m} ESCAPE '/'"
    )
    rows = driver_rows(conn, sql, ("active", _like_prefix(f"{origin}+")))
    found = (_verifier(str(vkey)) for (vkey,) in rows)
    return [v for v in found if v is not None and v.name == origin]


def check_extends(old: Checkpoint | LogView, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise unless ``new`` extends the stored ``old`` (same root at equal size,
    else a verifying RFC 9162 consistency proof). RootConflict / BadConsistencyProof."""
    if new.size == old.size:
        if new.root != old.root:
            raise RootConflict(f"size {new.size} was seen with another root")
        return
    if new.size < old.size:
        raise SizeConflict(old.size)
    try:
        verify_consistency(old.size, new.size, list(proof), old.root, new.root)
    except VerificationError as exc:
        raise BadConsistencyProof(f"consistency proof does not verify: {exc}") from None


class Witness:
    """Cosigns peers' checkpoints with ``signer``, keeping its state in ``engine``."""

    def __init__(self, engine: Engine, signer: CosignatureSigner) -> None:
        self.engine = engine
        self.signer = signer
        self._store = GroupStore(engine)

    def add_checkpoint(self, body: bytes, *, now_ms: int) -> str:
        """Handle one request body; the cosignature line(s), or a WitnessError."""
        request = parse_add_checkpoint(body)
        checkpoint = request.checkpoint
        with self.engine.connect() as conn:
            keys = trusted_log_keys(conn, checkpoint.origin)
            if not keys:
                raise UnknownLog(f"no trusted key for origin {checkpoint.origin!r}")
            try:
                verify_checkpoint(request.note, keys, origin=checkpoint.origin)
            except LedgerError as exc:
                raise UntrustedCheckpoint(f"checkpoint signature: {exc}") from None
            view = get_view(conn, checkpoint.origin)
        held = 0 if view is None else view.size
        if request.old_size != held:
            raise SizeConflict(held)
        if view is not None:
            try:
                check_extends(view, checkpoint, request.proof)
            except RootConflict:
                record_evidence(
                    self.engine,
                    origin=checkpoint.origin,
                    kind=SAME_SIZE,
                    note_a=view.note,
                    note_b=request.note,
                    proof=None,
                    source="witness",
                    now_ms=now_ms,
                )
                raise
        if view is None or view.size != checkpoint.size:
            winner = self._store.compare_and_store(
                view, checkpoint, request.note, source="witness", now_ms=now_ms
            )
            if winner is not None:
                raise SizeConflict(winner.size)
        return self.signer.cosign_line(checkpoint.body(), now_ms // 1000)
