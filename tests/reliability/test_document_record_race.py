"""The double ledger record the crash-safety run found (now fixed), made deterministic.

``DocumentService.create`` stores the document row (one transaction), then appends
its ``document.sent`` entry and notes the entry's seq on the row (two more). A
delivery round (``DeliveryWorker.deliver``: the documents loop thread, or another
request's create) runs ``record_missing`` under the worker's lock only, not the
service's: landing between the row commit and the append, it sees the row without
a seq and no entry for it, appends one, and ``create`` then appends its own. No
crash is needed, only the loop thread and a request at the same moment.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine

from ledger.storage import LedgerStore
from node.peers.registry import Peer
from tests.node.documents_support import po
from tests.node.test_documents_service import _document_entries, _service, buyer

__all__ = ["buyer"]  # the fixture, shared with the documents service tests


class _RoundBeforeAppend:
    """The ledger provider; just before ``create`` appends, a delivery round runs."""

    def __init__(self, store: LedgerStore) -> None:
        self.store = store
        self.service: Any = None
        self.armed = False

    def __call__(self) -> LedgerStore:
        if self.armed:
            self.armed = False  # the round's own appends go straight through
            self.service.record_missing(2)
            self.service.record_missing(2, grace_ms=0)  # even past the grace period
        return self.store


def test_a_round_between_store_and_append_records_the_document_once(
    buyer: tuple[Engine, LedgerStore, Peer],
) -> None:
    engine, store, peer = buyer
    provider = _RoundBeforeAppend(store)
    service = _service(engine, provider)
    provider.service = service
    provider.armed = True
    created = service.create(po("PO-R", [(1, "SKU-A", 1)]), peer, 1)
    recorded = Counter(digest for _, digest in _document_entries(store))
    assert recorded[created.hash] == 1
