"""EPC identifiers → GS1 Digital Link URIs, as the CBV 2.0 event hash needs them.

EPC pure-identity URNs (``urn:epc:id:sgtin:0614141.107346.2017``) and class URNs
(``urn:epc:class:lgtin:…``, ``urn:epc:idpat:sgtin:…``) are rewritten to their
canonical GS1 Digital Link form on ``https://id.gs1.org`` (GS1 Tag Data Standard:
the indicator or extension digit moves in front of the company prefix and a GS1
check digit is appended). Digital Link URIs on other hosts are moved to
``id.gs1.org`` without a query string. Anything else is returned unchanged.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

__all__ = ["check_digit", "to_digital_link"]

DL_BASE: Final = "https://id.gs1.org"
_URN: Final = re.compile(r"^urn:epc:(id|class|idpat):([a-z0-9]+):(.+)$")
#: GS1 application identifiers that start a Digital Link path (primary keys).
_PRIMARY: Final = ("01", "00", "414", "417", "8003", "8004", "8018", "253", "255", "8006")


def check_digit(digits: str) -> str:
    """GS1 mod-10 check digit of a numeric string (weights 3, 1, … from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _gtin(prefix: str, item: str) -> str:
    body = item[:1] + prefix + item[1:]
    return body + check_digit(body)


def _with_check(prefix: str, ref: str) -> str:
    return prefix + ref + check_digit(prefix + ref)


def _urn(scheme: str, kind: str, rest: str) -> str | None:  # noqa: PLR0911  one branch per scheme
    parts = rest.split(".")
    if kind == "sgtin" and len(parts) == 3 and scheme == "id":
        return f"{DL_BASE}/01/{_gtin(parts[0], parts[1])}/21/{parts[2]}"
    if kind == "lgtin" and len(parts) == 3 and scheme == "class":
        return f"{DL_BASE}/01/{_gtin(parts[0], parts[1])}/10/{parts[2]}"
    if kind == "sgtin" and len(parts) == 3 and scheme == "idpat" and parts[2] == "*":
        return f"{DL_BASE}/01/{_gtin(parts[0], parts[1])}"
    if kind == "sscc" and len(parts) == 2:
        body = parts[1][:1] + parts[0] + parts[1][1:]
        return f"{DL_BASE}/00/{body}{check_digit(body)}"
    if kind == "sgln" and len(parts) == 3:
        gln = _with_check(parts[0], parts[1])
        return f"{DL_BASE}/414/{gln}" + ("" if parts[2] == "0" else f"/254/{parts[2]}")
    if kind == "pgln" and len(parts) == 2:
        return f"{DL_BASE}/417/{_with_check(parts[0], parts[1])}"
    if kind == "grai" and len(parts) == 3:
        return f"{DL_BASE}/8003/0{_with_check(parts[0], parts[1])}{parts[2]}"
    if kind == "giai" and len(parts) == 2:
        return f"{DL_BASE}/8004/{parts[0]}{parts[1]}"
    if kind == "gsrn" and len(parts) == 2:
        return f"{DL_BASE}/8018/{_with_check(parts[0], parts[1])}"
    if kind == "gdti" and len(parts) == 3:
        return f"{DL_BASE}/253/{_with_check(parts[0], parts[1])}{parts[2]}"
    return None


def to_digital_link(value: str) -> str:
    """The canonical Digital Link form of an EPC or class identifier, else ``value``."""
    match = _URN.match(value)
    if match is not None:
        scheme, kind, rest = match.groups()
        if all(p.isdigit() for p in rest.split(".")[:2]):
            converted = _urn(scheme, kind, rest)
            if converted is not None:
                return converted
        return value
    if value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        segments = parts.path.split("/")
        for i, segment in enumerate(segments):
            if segment in _PRIMARY and i + 1 < len(segments):
                return DL_BASE + "/" + "/".join(segments[i:])
    return value
