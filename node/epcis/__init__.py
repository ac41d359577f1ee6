"""GS1 EPCIS 2.0 interoperability: export of shipping, receiving and stock events as
EPCIS 2.0 JSON-LD, and import of partners' EPCIS documents, both checked against
the official EPCIS 2.0 JSON schema with format checks."""

from node.epcis._config import SCHEMA_ENV, configured_schema
from node.epcis._dl import check_digit, to_digital_link
from node.epcis._errors import EpcisError
from node.epcis._export import (
    BUCKET_DISPOSITION,
    EPCIS_CONTEXT,
    Position,
    biz_transaction,
    despatch_event,
    document_events,
    epcis_document,
    inventory_event,
    receipt_events,
)
from node.epcis._hash import HASH_VERSION, event_hash, prehash
from node.epcis._import import EpcisImport, ImportedEvent, import_epcis, parse_epcis_bytes
from node.epcis._schema import EpcisSchema, load_schema

__all__ = [
    "BUCKET_DISPOSITION",
    "EPCIS_CONTEXT",
    "HASH_VERSION",
    "SCHEMA_ENV",
    "EpcisError",
    "EpcisImport",
    "EpcisSchema",
    "ImportedEvent",
    "Position",
    "biz_transaction",
    "check_digit",
    "configured_schema",
    "despatch_event",
    "document_events",
    "epcis_document",
    "event_hash",
    "import_epcis",
    "inventory_event",
    "load_schema",
    "parse_epcis_bytes",
    "prehash",
    "receipt_events",
    "to_digital_link",
]
