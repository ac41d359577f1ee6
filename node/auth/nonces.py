"""Single-use nonces of signed requests, remembered in the database until they expire."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from node.auth.errors import ReplayError
from node.auth.tables import seen_nonces

__all__ = ["remember_nonce"]


def remember_nonce(engine: Engine, keyid: str, nonce: str, *, expires_at: int, now: int) -> None:
    """Record ``nonce`` for ``keyid`` in one atomic INSERT; :class:`ReplayError` if seen.

    Runs in its own transaction, so a replay cannot be hidden by a later rollback
    of the request's work. Expired nonces are purged on the way (a replay of one
    is refused by the signature's time window instead).
    """
    try:
        with engine.begin() as conn:
            conn.execute(delete(seen_nonces).where(seen_nonces.c.expires_at < now))
            conn.execute(
                insert(seen_nonces).values(keyid=keyid, nonce=nonce, expires_at=expires_at)
            )
    except IntegrityError:
        raise ReplayError("nonce already used (replayed request)") from None
