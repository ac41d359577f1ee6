"""This node's witness (cosigner) key and its endorsement by the node's log key.

The witness key is a C2SP cosignature/v1 key (type 0x04) kept in
``HOME/keys/witness.skey`` (mode 0600), created on first use. Peers learn it from
an *endorsement*: a signed note by the node's log key (which they pinned when
they added the node as a peer)::

    scnode-witness-key/v1
    <origin>
    <witness vkey>

so a cosignature can be attributed to the node without any new trust decision.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from ledger import (
    ALG_COSIGNATURE_V1,
    CosignatureSigner,
    FormatError,
    LedgerError,
    NoteSigner,
    NoteVerifier,
    open_note,
    sign_note,
)

__all__ = [
    "ENDORSEMENT_HEADER",
    "WITNESS_SKEY",
    "WitnessKeyError",
    "endorse_witness_key",
    "load_or_create_witness_key",
    "open_endorsement",
]

ENDORSEMENT_HEADER: Final = "scnode-witness-key/v1"
WITNESS_SKEY: Final = "witness.skey"
KEYS_DIR: Final = "keys"
PRIVATE_MODE: Final = 0o600


class WitnessKeyError(Exception):
    """The witness key file or an endorsement is missing, malformed or exposed."""


def _read(path: Path) -> CosignatureSigner:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WitnessKeyError(f"cannot read the witness key ({exc.__class__.__name__})") from None
    if mode & 0o077:
        raise WitnessKeyError(f"the witness key file is readable by others (mode {mode:o})")
    try:
        return CosignatureSigner.from_skey(text.strip())
    except FormatError as exc:
        raise WitnessKeyError(f"the witness key file is not a cosigner key: {exc}") from None


def load_or_create_witness_key(home: Path, name: str) -> CosignatureSigner:
    """The witness key of the node in ``home``, created (atomically, 0600) if absent.

    Two processes creating it at once agree on one key: each writes a private
    temporary file and hard-links it into place; the loser reads the winner's.
    """
    folder = home / KEYS_DIR
    path = folder / WITNESS_SKEY
    if path.exists():
        return _read(path)
    if not folder.is_dir():
        raise WitnessKeyError("the node has no keys folder (run: scnode init --name NAME)")
    signer = CosignatureSigner.generate(name)
    tmp = folder / f".{WITNESS_SKEY}.{os.getpid()}.{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(signer.skey() + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read(path)
    finally:
        tmp.unlink(missing_ok=True)
    return signer


def _endorsement_text(origin: str, witness_vkey: str) -> str:
    return f"{ENDORSEMENT_HEADER}\n{origin}\n{witness_vkey}\n"


def endorse_witness_key(log_signer: NoteSigner, witness: CosignatureSigner) -> str:
    """The endorsement note of ``witness`` by the log key ``log_signer``."""
    return sign_note(_endorsement_text(log_signer.name, witness.vkey), [log_signer])


def open_endorsement(note: str, log_key: NoteVerifier) -> NoteVerifier:
    """The witness key endorsed by ``log_key`` in ``note``; WitnessKeyError otherwise."""
    try:
        text, verified = open_note(note, [log_key])
    except LedgerError as exc:
        raise WitnessKeyError(f"witness key endorsement does not verify: {exc}") from None
    if not verified:
        raise WitnessKeyError("witness key endorsement is not signed by the peer's key")
    lines = text.split("\n")
    if len(lines) != 4 or lines[0] != ENDORSEMENT_HEADER or lines[3] != "":
        raise WitnessKeyError("witness key endorsement is malformed")
    if lines[1] != log_key.name:
        raise WitnessKeyError("witness key endorsement names another origin")
    try:
        witness = NoteVerifier.from_vkey(lines[2])
    except FormatError as exc:
        raise WitnessKeyError(f"endorsed witness key is malformed: {exc}") from None
    if witness.alg != ALG_COSIGNATURE_V1:
        raise WitnessKeyError("endorsed key is not a cosignature/v1 witness key")
    return witness
