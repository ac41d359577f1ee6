"""ledger.storage: the ledger in an SQL database (SQLAlchemy 2; SQLite or PostgreSQL).

:class:`LedgerStore` keeps one log (entries, every complete tree node, signed
checkpoints, and the head row that serialises writers); :class:`GroupCommitter`
batches appends from many threads into one durable transaction;
:meth:`LedgerStore.transaction` gives a :class:`LedgerWriter` that appends and
signs inside one transaction together with the caller's own rows. The schema is in
:data:`metadata`; the node's migrations create it. See ``docs/storage.md``.
"""

from ledger.storage._engine import WRITE_OPTION, configure_engine
from ledger.storage._group import GroupCommitter
from ledger.storage._reads import LogReads
from ledger.storage._records import (
    Appended,
    NewEntry,
    StoredCheckpoint,
    StoredEntry,
    VerifyReport,
)
from ledger.storage._schema import metadata
from ledger.storage._store import LedgerStore, LedgerWriter

__all__ = [
    "WRITE_OPTION",
    "Appended",
    "GroupCommitter",
    "LedgerStore",
    "LedgerWriter",
    "LogReads",
    "NewEntry",
    "StoredCheckpoint",
    "StoredEntry",
    "VerifyReport",
    "configure_engine",
    "metadata",
]
