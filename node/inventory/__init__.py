"""Publishing inventory: partner exports or canonical positions → one ledger entry.

The path (see docs/publishing.md): :func:`read_upload` (CSV / JSON export mapped
with the approved profile, or canonical positions) → :func:`check_intake`
(governance rules; hard-rule failures refuse the snapshot) → commitments and the
safety-stock fact per position (zk) → ONE ``inventory.snapshot`` entry → the
owner's private tables. :class:`Publisher` runs it; :func:`open_publisher` builds
one for a node's home folder; :mod:`node.inventory` read helpers serve the routes.
"""

from node.inventory._checks import Checked, Position, check_intake
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
from node.inventory._tables import (
    inventory_exceptions,
    inventory_findings,
    inventory_items,
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
    "Checked",
    "Committed",
    "InputError",
    "Intake",
    "InventoryError",
    "Issue",
    "Position",
    "PositionRow",
    "Published",
    "Publisher",
    "RefusedError",
    "TooLargeError",
    "UnmappedError",
    "check_intake",
    "fact_context",
    "home_mapping",
    "inventory_exceptions",
    "inventory_findings",
    "inventory_items",
    "inventory_positions",
    "inventory_snapshots",
    "iter_positions",
    "open_publisher",
    "read_upload",
    "subject_of",
]
