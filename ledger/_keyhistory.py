"""Key rotation without a new log: key-history entries and validity windows.

A ``key.rotate`` entry introduces a new log key. Its body holds a rotation
statement signed by the old key (authorising the change) and by the new key
(proving possession)::

    {"rotation": {"new_not_after_ms": null | ms, "new_not_before_ms": ms,
                  "new_vkey": "<vkey>", "old_not_after_ms": ms, "old_vkey": "<vkey>",
                  "origin": "<log origin>", "type": "scnode.ledger.key-rotate/v1"},
     "old_signature": "<base64 Ed25519>", "new_signature": "<base64 Ed25519>"}

Both sign ``b"scnode key rotation v1\\n" || RFC 8785 JSON of "rotation"``. The
old key stays valid until ``old_not_after_ms``; the new key from
``new_not_before_ms`` (no later than that: no gap) until ``new_not_after_ms``
(or until a later rotation ends it). During the overlap checkpoints carry both
signatures. A verifier starts from the log's first (pinned) key and replays the
rotations in log order to learn which keys were valid when.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ledger._canonical import JSONValue, canonical_json
from ledger._entry import Entry
from ledger._keys import ALG_ED25519, NoteVerifier, decode_b64
from ledger._note import NoteSigner
from ledger.errors import FormatError, SignatureError

__all__ = [
    "KEY_ROTATE_KIND",
    "KEY_ROTATE_TYPE",
    "KeyHistory",
    "KeyRotation",
    "KeyWindow",
    "rotation_body",
]

KEY_ROTATE_KIND: Final = "key.rotate"
KEY_ROTATE_TYPE: Final = "scnode.ledger.key-rotate/v1"
_MESSAGE_PREFIX: Final = b"scnode key rotation v1\n"
_FIELDS: Final = frozenset(
    {
        "type",
        "origin",
        "old_vkey",
        "new_vkey",
        "new_not_before_ms",
        "new_not_after_ms",
        "old_not_after_ms",
    }
)


def _ms(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise FormatError(f"{what} must be UTC milliseconds (an integer in [0, 2**53))")
    return value


@dataclass(frozen=True)
class KeyRotation:
    """The statement of a key rotation (see the module docstring)."""

    origin: str
    old_vkey: str
    new_vkey: str
    new_not_before_ms: int
    old_not_after_ms: int
    new_not_after_ms: int | None = None

    def __post_init__(self) -> None:
        old = NoteVerifier.from_vkey(self.old_vkey)
        new = NoteVerifier.from_vkey(self.new_vkey)
        if old.alg != ALG_ED25519 or new.alg != ALG_ED25519:
            raise FormatError("rotated keys must be Ed25519 note keys (type 0x01)")
        if old == new:
            raise FormatError("a rotation must introduce a different key")
        _ms(self.new_not_before_ms, "new_not_before_ms")
        _ms(self.old_not_after_ms, "old_not_after_ms")
        if self.new_not_after_ms is not None:
            _ms(self.new_not_after_ms, "new_not_after_ms")
            if self.new_not_after_ms < self.new_not_before_ms:
                raise FormatError("new key window ends before it starts")
        if self.new_not_before_ms > self.old_not_after_ms:
            raise FormatError("the new key must be valid before the old key expires (no gap)")

    def statement(self) -> dict[str, JSONValue]:
        return {
            "type": KEY_ROTATE_TYPE,
            "origin": self.origin,
            "old_vkey": self.old_vkey,
            "new_vkey": self.new_vkey,
            "new_not_before_ms": self.new_not_before_ms,
            "new_not_after_ms": self.new_not_after_ms,
            "old_not_after_ms": self.old_not_after_ms,
        }

    def message(self) -> bytes:
        return _MESSAGE_PREFIX + canonical_json(self.statement())

    @classmethod
    def from_statement(cls, value: object) -> KeyRotation:
        if not isinstance(value, dict) or set(value) != _FIELDS:
            raise FormatError(f"rotation statement must have exactly the fields {sorted(_FIELDS)}")
        if value["type"] != KEY_ROTATE_TYPE:
            raise FormatError(f"rotation statement type must be {KEY_ROTATE_TYPE!r}")
        for name in ("origin", "old_vkey", "new_vkey"):
            if not isinstance(value[name], str):
                raise FormatError(f"rotation {name} must be a string")
        end = value["new_not_after_ms"]
        return cls(
            origin=value["origin"],
            old_vkey=value["old_vkey"],
            new_vkey=value["new_vkey"],
            new_not_before_ms=_ms(value["new_not_before_ms"], "new_not_before_ms"),
            old_not_after_ms=_ms(value["old_not_after_ms"], "old_not_after_ms"),
            new_not_after_ms=None if end is None else _ms(end, "new_not_after_ms"),
        )


def rotation_body(rotation: KeyRotation, old: NoteSigner, new: NoteSigner) -> dict[str, JSONValue]:
    """The body of a ``key.rotate`` entry, signed by the old and the new key."""
    if old.vkey != rotation.old_vkey or new.vkey != rotation.new_vkey:
        raise FormatError("signers do not match the rotation's old and new keys")
    message = rotation.message()
    return {
        "rotation": rotation.statement(),
        "old_signature": base64.b64encode(old._sign(message)).decode("ascii"),
        "new_signature": base64.b64encode(new._sign(message)).decode("ascii"),
    }


@dataclass(frozen=True)
class KeyWindow:
    """A log key and when it was valid (UTC ms, inclusive; None = unbounded)."""

    verifier: NoteVerifier
    not_before_ms: int | None
    not_after_ms: int | None

    def covers(self, earliest_ms: int, latest_ms: int | None) -> bool:
        """Whether the window meets the interval [earliest, latest] (latest None = open)."""
        if self.not_after_ms is not None and self.not_after_ms < earliest_ms:
            return False
        return not (
            self.not_before_ms is not None
            and latest_ms is not None
            and self.not_before_ms > latest_ms
        )


class KeyHistory:
    """Which log keys were valid when, from the pinned first key(s) and the rotations."""

    def __init__(self, windows: Sequence[KeyWindow]) -> None:
        self.windows = tuple(windows)

    @classmethod
    def build(
        cls, first: Sequence[NoteVerifier], rotations: Iterable[Entry], *, origin: str
    ) -> KeyHistory:
        """Replay ``key.rotate`` entries (any order; applied by seq) from the first keys.

        Raises FormatError for a malformed rotation and SignatureError for one
        not authorised by a key valid when it was logged.
        """
        windows: dict[str, KeyWindow] = {v.vkey: KeyWindow(v, None, None) for v in first}
        for entry in sorted(rotations, key=lambda e: e.seq):
            where = f"key.rotate entry {entry.seq}"
            if entry.kind != KEY_ROTATE_KIND:
                raise FormatError(f"entry {entry.seq} is a {entry.kind!r}, not a key rotation")
            if entry.origin != origin:
                raise FormatError(f"{where} belongs to log {entry.origin!r}")
            rotation, old_sig, new_sig = _parse_body(entry.body, where)
            if rotation.origin != origin:
                raise FormatError(f"{where} names log {rotation.origin!r}")
            old_window = windows.get(rotation.old_vkey)
            if old_window is None:
                raise SignatureError(f"{where} is signed by a key the log never had")
            if not old_window.covers(entry.timestamp_ms, entry.timestamp_ms):
                raise SignatureError(f"{where} was logged outside the old key's validity")
            if rotation.new_vkey in windows:
                raise FormatError(f"{where} re-introduces a known key")
            if rotation.new_not_before_ms < entry.timestamp_ms:
                raise FormatError(f"{where} back-dates the new key before the rotation")
            if rotation.old_not_after_ms < entry.timestamp_ms:
                raise FormatError(f"{where} ends the old key before the rotation")
            new = NoteVerifier.from_vkey(rotation.new_vkey)
            message = rotation.message()
            old_window.verifier.verify(message, old_sig)
            new.verify(message, new_sig)
            end = old_window.not_after_ms
            end = rotation.old_not_after_ms if end is None else min(end, rotation.old_not_after_ms)
            windows[rotation.old_vkey] = KeyWindow(
                old_window.verifier, old_window.not_before_ms, end
            )
            windows[rotation.new_vkey] = KeyWindow(
                new, rotation.new_not_before_ms, rotation.new_not_after_ms
            )
        return cls(list(windows.values()))

    def verifiers(self) -> list[NoteVerifier]:
        """Every key the log ever had."""
        return [w.verifier for w in self.windows]

    def valid_at(self, time_ms: int) -> list[NoteVerifier]:
        """The keys valid at ``time_ms``."""
        return [w.verifier for w in self.windows if w.covers(time_ms, time_ms)]

    def window(self, verifier: NoteVerifier) -> KeyWindow:
        for w in self.windows:
            if w.verifier == verifier:
                return w
        raise SignatureError(f"key {verifier.name} is not in the log's key history")


def _parse_body(body: dict[str, JSONValue], where: str) -> tuple[KeyRotation, bytes, bytes]:
    if set(body) != {"rotation", "old_signature", "new_signature"}:
        raise FormatError(f"{where}: body must hold rotation, old_signature, new_signature")
    old_sig, new_sig = body["old_signature"], body["new_signature"]
    if not isinstance(old_sig, str) or not isinstance(new_sig, str):
        raise FormatError(f"{where}: signatures must be base64 strings")
    return (
        KeyRotation.from_statement(body["rotation"]),
        decode_b64(old_sig, f"{where} old_signature"),
        decode_b64(new_sig, f"{where} new_signature"),
    )
