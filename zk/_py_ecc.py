"""py-ecc's secp256k1 module, imported without its side effect on the interpreter.

Importing ``py_ecc`` raises the interpreter's recursion limit to 100,000 for the
whole process. With that limit, a deeply nested JSON document from any partner
overflows the C stack inside :func:`json.loads` and kills the process instead of
raising :class:`RecursionError`. The limit is restored here, once, before anything
else in scnode can import py-ecc.
"""

from __future__ import annotations

import sys

_limit = sys.getrecursionlimit()
try:
    from py_ecc.secp256k1 import secp256k1
finally:
    sys.setrecursionlimit(_limit)

__all__ = ["secp256k1"]
