"""Errors of witnessing, each with the HTTP status the tlog-witness protocol prescribes."""

from __future__ import annotations

__all__ = [
    "BadConsistencyProof",
    "RootConflict",
    "SizeConflict",
    "UnknownLog",
    "UntrustedCheckpoint",
    "WitnessError",
    "WitnessFormatError",
]


class WitnessError(Exception):
    """Base of witnessing errors; ``status`` is the HTTP status to answer with."""

    status = 400
    slug = "witness"


class WitnessFormatError(WitnessError):
    """The request is malformed (400)."""

    status = 400
    slug = "witness-format"


class UnknownLog(WitnessError):
    """No trusted key for the checkpoint's origin (404)."""

    status = 404
    slug = "witness-unknown-log"


class UntrustedCheckpoint(WitnessError):
    """No signature on the checkpoint verifies with a trusted key (403)."""

    status = 403
    slug = "witness-untrusted"


class SizeConflict(WitnessError):
    """The old size is not the witness's latest size for that log (409)."""

    status = 409
    slug = "witness-size-conflict"

    def __init__(self, latest_size: int) -> None:
        super().__init__(f"the witness's latest size for this log is {latest_size}")
        self.latest_size = latest_size


class RootConflict(WitnessError):
    """Same size as the witness's latest checkpoint, another root: a split view (409)."""

    status = 409
    slug = "witness-root-conflict"


class BadConsistencyProof(WitnessError):
    """The consistency proof does not verify (422)."""

    status = 422
    slug = "witness-consistency-proof"
