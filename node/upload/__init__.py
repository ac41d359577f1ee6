"""The supplier upload page (static HTML, JS, CSS served by the node) and its preview.

:func:`preview_export` tells, without storing anything, what an export would become:
each column's proposed canonical concept (the source's approved mapping first, the
matcher's proposal otherwise) and the governance findings of every row under the
rule set in force. ``node/api/routes/upload.py`` serves the page and the API.
"""

from node.upload._preview import (
    ColumnProposal,
    Preview,
    approve_columns,
    export_columns,
    preview_export,
)

__all__ = [
    "ColumnProposal",
    "Preview",
    "approve_columns",
    "export_columns",
    "preview_export",
]
