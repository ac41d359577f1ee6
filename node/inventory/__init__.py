"""Publishing inventory: partner exports or canonical positions → one ledger entry.

The path (see docs/publishing.md): :func:`read_upload` (CSV / JSON export mapped
with the approved profile, or canonical positions) → :func:`check_intake`
(governance rules; hard-rule failures refuse the snapshot) → commitments and the
safety-stock fact per position (zk) → ONE ``inventory.snapshot`` entry → the
owner's private tables, all in one transaction. Despatches and receipts recorded
since an item's previous snapshot become sum statements in the entry
(:mod:`node.inventory._movements`, verified by :func:`verify_sums`; a
counterparty checks its own document with :func:`check_document`).
:class:`Publisher` runs it; :func:`open_publisher` builds
one for a node's home folder; :mod:`node.inventory` read helpers serve the routes.
"""

from node.inventory._checks import Checked, Position, check_intake
from node.inventory._counterparty import DocumentCheck, check_document, document_openings
from node.inventory._entry import (
    AT_LEAST,
    BELOW,
    ENTRY_KIND,
    FACT_FORMAT,
    SNAPSHOT_FORMAT,
    SUBJECT_FORMAT,
    fact_context,
    subject_of,
)
from node.inventory._errors import (
    ConflictError,
    InputError,
    InventoryError,
    Issue,
    RefusedError,
    TooLargeError,
    UnmappedError,
)
from node.inventory._intake import MAX_POSITIONS, MAX_UPLOAD_BYTES, Intake, read_upload
from node.inventory._open import home_mapping, open_publisher
from node.inventory._prove import Committed
from node.inventory._read import PositionRow, iter_positions
from node.inventory._service import Published, Publisher
from node.inventory._sums import SUM_FORMAT, SumError, sum_context, verify_sum, verify_sums
from node.inventory._tables import (
    inventory_exceptions,
    inventory_findings,
    inventory_items,
    inventory_movements,
    inventory_positions,
    inventory_snapshots,
)

__all__ = [
    "AT_LEAST",
    "BELOW",
    "ENTRY_KIND",
    "FACT_FORMAT",
    "MAX_POSITIONS",
    "MAX_UPLOAD_BYTES",
    "SNAPSHOT_FORMAT",
    "SUBJECT_FORMAT",
    "SUM_FORMAT",
    "Checked",
    "Committed",
    "ConflictError",
    "DocumentCheck",
    "InputError",
    "Intake",
    "InventoryError",
    "Issue",
    "Position",
    "PositionRow",
    "Published",
    "Publisher",
    "RefusedError",
    "SumError",
    "TooLargeError",
    "UnmappedError",
    "check_document",
    "check_intake",
    "document_openings",
    "fact_context",
    "home_mapping",
    "inventory_exceptions",
    "inventory_findings",
    "inventory_items",
    "inventory_movements",
    "inventory_positions",
    "inventory_snapshots",
    "iter_positions",
    "open_publisher",
    "read_upload",
    "subject_of",
    "sum_context",
    "verify_sum",
    "verify_sums",
]
