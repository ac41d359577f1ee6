"""The node's key files in its home folder.

::

    HOME/keys/            (mode 0700)
      log.skey            the active checkpoint signing key, C2SP skey text (0600)
      log.vkey            its verifier key, C2SP vkey text
      overlap/<id>-<until ms>.skey
                          previous keys that still co-sign checkpoints during a
                          rotation's overlap, until the time in their name (0600)
      history.txt         every verifier key this node ever used, oldest first
                          (the first one is the key partners pin)

Private key files are created with mode 0600 (never readable by others, not even
for a moment: created with that mode, written, then renamed into place). Key
material never appears in messages.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ledger import FormatError, NoteSigner, NoteVerifier

__all__ = [
    "KeyFileError",
    "NodeKeys",
    "install_keys",
    "keys_exist",
    "load_keys",
    "retire_overlap",
    "rotate_keys",
]

KEYS_DIR = "keys"
ACTIVE_SKEY = "log.skey"
ACTIVE_VKEY = "log.vkey"
OVERLAP_DIR = "overlap"
HISTORY = "history.txt"
PRIVATE_MODE = 0o600
DIR_MODE = 0o700


class KeyFileError(Exception):
    """A key file is missing, malformed or too widely readable; the message says which."""


@dataclass(frozen=True)
class NodeKeys:
    """The keys of a node: the active signer, overlapping signers, and every vkey ever."""

    active: NoteSigner
    overlap: tuple[tuple[NoteSigner, int], ...]  # (signer, valid until ms)
    history: tuple[str, ...]

    def signers(self, now_ms: int) -> list[NoteSigner]:
        """Who signs a checkpoint at ``now_ms``: the active key, then overlapping ones."""
        return [self.active, *(s for s, until in self.overlap if now_ms <= until)]

    @property
    def verifiers(self) -> list[NoteVerifier]:
        """Every key that ever signed this node's checkpoints."""
        return [NoteVerifier.from_vkey(vkey) for vkey in self.history]


def _keys_dir(home: Path) -> Path:
    return home / KEYS_DIR


def keys_exist(home: Path) -> bool:
    return (_keys_dir(home) / ACTIVE_SKEY).exists()


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte, atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def _write_public(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _read_signer(path: Path) -> NoteSigner:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.__class__.__name__}") from None
    if mode & 0o077:
        raise KeyFileError(
            f"key file {path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
        )
    try:
        return NoteSigner.from_skey(text.strip())
    except FormatError as exc:
        raise KeyFileError(f"key file {path} is not a valid signer key: {exc}") from None


def _read_history(path: Path) -> tuple[str, ...]:
    try:
        lines = path.read_text(encoding="utf-8").split()
    except FileNotFoundError:
        raise KeyFileError(f"key history {path} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read key history {path}: {exc.__class__.__name__}") from None
    for number, vkey in enumerate(lines, 1):
        try:
            NoteVerifier.from_vkey(vkey)
        except FormatError:
            raise KeyFileError(f"key history {path} entry {number} is malformed") from None
    if not lines:
        raise KeyFileError(f"key history {path} is empty")
    return tuple(lines)


def _read_overlap(folder: Path) -> tuple[tuple[NoteSigner, int], ...]:
    if not folder.is_dir():
        return ()
    out = []
    for path in sorted(folder.glob("*.skey")):
        _, _, until = path.stem.partition("-")
        if not until.isdigit():
            raise KeyFileError(f"overlap key file name {path.name} has no end time")
        out.append((_read_signer(path), int(until)))
    return tuple(out)


def load_keys(home: Path) -> NodeKeys:
    """Read the key files; KeyFileError if anything is missing, malformed or exposed."""
    folder = _keys_dir(home)
    if not (folder / ACTIVE_SKEY).exists():
        raise KeyFileError(f"no node keys in {home} (run: scnode init --name NAME)")
    active = _read_signer(folder / ACTIVE_SKEY)
    overlap = _read_overlap(folder / OVERLAP_DIR)
    history = _read_history(folder / HISTORY)
    if history[-1] != active.vkey:
        raise KeyFileError(f"the active key is not the last one in {folder / HISTORY}")
    return NodeKeys(active, overlap, history)


def install_keys(home: Path, signer: NoteSigner) -> NodeKeys:
    """Write the key files of a new node; KeyFileError if keys already exist."""
    folder = _keys_dir(home)
    if (folder / ACTIVE_SKEY).exists():
        raise KeyFileError(f"node keys already exist in {folder}; refusing to overwrite them")
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(folder, DIR_MODE)
    _write_private(folder / ACTIVE_SKEY, signer.skey() + "\n")
    _write_public(folder / ACTIVE_VKEY, signer.vkey + "\n")
    _write_public(folder / HISTORY, signer.vkey + "\n")
    return NodeKeys(signer, (), (signer.vkey,))


def rotate_keys(home: Path, new: NoteSigner, old_until_ms: int) -> NodeKeys:
    """Make ``new`` the active key; the old one co-signs until ``old_until_ms``.

    Call it once the ``key.rotate`` entry introducing ``new`` is in the log.
    """
    keys = load_keys(home)
    if new.name != keys.active.name or new.vkey in keys.history:
        raise KeyFileError("the new key must be a fresh key with the node's key name")
    folder = _keys_dir(home)
    overlap_dir = folder / OVERLAP_DIR
    overlap_dir.mkdir(mode=DIR_MODE, exist_ok=True)
    old = keys.active
    _write_private(overlap_dir / f"{old.key_id.hex()}-{old_until_ms}.skey", old.skey() + "\n")
    history = (*keys.history, new.vkey)
    _write_public(folder / HISTORY, "".join(f"{vkey}\n" for vkey in history))
    _write_private(folder / ACTIVE_SKEY, new.skey() + "\n")
    _write_public(folder / ACTIVE_VKEY, new.vkey + "\n")
    return NodeKeys(new, (*keys.overlap, (old, old_until_ms)), history)


def retire_overlap(home: Path, now_ms: int, *, all_keys: bool = False) -> list[str]:
    """Delete the private files of overlap keys whose time is over (or all of them)."""
    retired = []
    for path in sorted((_keys_dir(home) / OVERLAP_DIR).glob("*.skey")):
        _, _, until = path.stem.partition("-")
        if all_keys or (until.isdigit() and int(until) < now_ms):
            signer = _read_signer(path)
            path.unlink()
            retired.append(signer.vkey)
    return retired
