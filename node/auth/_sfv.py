"""The part of RFC 8941 structured fields that HTTP message signatures use.

Parses a dictionary whose members are inner lists of strings or byte sequences,
each with parameters (integers, strings, tokens, byte sequences, booleans), and
serializes parameters back in canonical form (RFC 9421 signs that form).
Anything else raises :class:`SfvError`.
"""

from __future__ import annotations

import base64
import binascii
import string
from dataclasses import dataclass

__all__ = ["Member", "SfvError", "parse_dictionary", "serialize_inner_list", "serialize_string"]

BareItem = int | str | bytes | bool
_KEY_FIRST = set(string.ascii_lowercase + "*")
_KEY_REST = _KEY_FIRST | set(string.digits + "_-.")
_TOKEN_FIRST = set(string.ascii_letters + "*")
_B64 = set(string.ascii_letters + string.digits + "+/=")
MAX_INTEGER_DIGITS = 15


class SfvError(ValueError):
    """The header is not a structured field of the expected shape."""


@dataclass(frozen=True)
class Member:
    value: tuple[str, ...] | bytes  # inner list of strings, or a byte sequence
    params: tuple[tuple[str, BareItem], ...]


class _Parser:
    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise SfvError("structured field must be ASCII")
        self.s = text.strip(" ")
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise SfvError(f"expected {char!r} at position {self.i}")
        self.i += 1

    def key(self) -> str:
        start = self.i
        if self.peek() not in _KEY_FIRST or not self.peek():
            raise SfvError(f"expected a key at position {self.i}")
        while self.peek() and self.peek() in _KEY_REST:
            self.i += 1
        return self.s[start : self.i]

    def bare_item(self) -> BareItem:
        c = self.peek()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            self.i += 1
            flag = self.peek()
            if flag not in ("0", "1"):
                raise SfvError("bad boolean")
            self.i += 1
            return flag == "1"
        if c.isdigit() or c == "-":
            return self.integer()
        if c and c in _TOKEN_FIRST:
            raise SfvError("tokens are not accepted in signature parameters; quote the string")
        raise SfvError(f"unexpected character at position {self.i}")

    def integer(self) -> int:
        start = self.i
        if self.peek() == "-":
            self.i += 1
        digits = self.i
        while self.peek().isdigit():
            self.i += 1
        if self.i == digits or self.i - digits > MAX_INTEGER_DIGITS:
            raise SfvError("bad integer")
        if self.peek() == ".":
            raise SfvError("decimals are not accepted here")
        return int(self.s[start : self.i])

    def string(self) -> str:
        self.take('"')
        out: list[str] = []
        while True:
            c = self.peek()
            if not c:
                raise SfvError("unterminated string")
            self.i += 1
            if c == '"':
                return "".join(out)
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\"):
                    raise SfvError("bad escape in string")
                self.i += 1
                out.append(nxt)
            elif ord(c) < 0x20 or ord(c) > 0x7E:
                raise SfvError("control character in string")
            else:
                out.append(c)

    def byte_sequence(self) -> bytes:
        self.take(":")
        end = self.s.find(":", self.i)
        if end < 0:
            raise SfvError("unterminated byte sequence")
        chunk = self.s[self.i : end]
        self.i = end + 1
        if not set(chunk) <= _B64:
            raise SfvError("bad byte sequence")
        try:
            return base64.b64decode(chunk, validate=True)
        except (binascii.Error, ValueError):
            raise SfvError("bad base64 in byte sequence") from None

    def params(self) -> tuple[tuple[str, BareItem], ...]:
        out: list[tuple[str, BareItem]] = []
        seen: set[str] = set()
        while self.peek() == ";":
            self.i += 1
            while self.peek() == " ":
                self.i += 1
            name = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            if name in seen:
                raise SfvError(f"duplicate parameter {name!r}")
            seen.add(name)
            out.append((name, value))
        return tuple(out)

    def member_value(self) -> tuple[str, ...] | bytes:
        if self.peek() == ":":
            return self.byte_sequence()
        self.take("(")
        items: list[str] = []
        while True:
            while self.peek() == " ":
                self.i += 1
            if self.peek() == ")":
                self.i += 1
                return tuple(items)
            items.append(self.string())
            if self.peek() not in (" ", ")"):
                raise SfvError("inner list items must be separated by spaces")


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse a dictionary of inner lists / byte sequences with parameters."""
    p = _Parser(text)
    out: dict[str, Member] = {}
    while True:
        name = p.key()
        p.take("=")
        value = p.member_value()
        if name in out:
            raise SfvError(f"duplicate member {name!r}")
        out[name] = Member(value, p.params())
        while p.peek() in (" ", "\t") and p.peek():
            p.i += 1
        if not p.peek():
            return out
        p.take(",")
        while p.peek() in (" ", "\t") and p.peek():
            p.i += 1
        if not p.peek():
            raise SfvError("trailing comma")


def serialize_string(value: str) -> str:
    if not value.isascii() or any(ord(c) < 0x20 or ord(c) > 0x7E for c in value):
        raise SfvError("strings must be printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _serialize_bare(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode() + ":"
    return serialize_string(value)


def serialize_inner_list(items: tuple[str, ...], params: tuple[tuple[str, BareItem], ...]) -> str:
    inner = "(" + " ".join(serialize_string(i) for i in items) + ")"
    for name, value in params:
        inner += f";{name}" if value is True else f";{name}={_serialize_bare(value)}"
    return inner
