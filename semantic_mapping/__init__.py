"""Semantic field mapping: partners' inventory exports → the canonical vocabulary.

* :func:`load_vocabulary` reads the SKOS vocabulary shipped as Turtle
  (``semantic_mapping/data/vocabulary.ttl``), merged with approved label extensions.
* :class:`Matcher` proposes a concept for each source field, with a confidence, ranked
  alternatives and an explanation; :class:`StatusMatcher` maps status values (partner
  codes, GS1 CBV dispositions) onto quantity buckets.
* :class:`MappingProfile` holds a source's approved mappings, value maps and units,
  stored as RDF (:func:`profile_to_turtle` / :func:`profile_from_turtle`).
* :class:`Transformer` turns partner records into :class:`CanonicalRecord` values with
  lineage; :func:`transform_epcis` does the same for GS1 EPCIS 2.0 events.

The package is pure: it reads no clock; approval times are passed in as ``now``.
"""

from semantic_mapping._epcis import EpcisResult, epcis_events, transform_epcis
from semantic_mapping._errors import (
    FieldInputError,
    MappingError,
    ProfileError,
    TransformError,
    VocabularyError,
)
from semantic_mapping._extension import add_label, extension_from_turtle, new_extension
from semantic_mapping._fields import Alternative, MatchResult, SourceField
from semantic_mapping._header import parse_csv_header, read_csv_records
from semantic_mapping._matcher import THRESHOLD, Matcher
from semantic_mapping._profile import (
    FieldMapping,
    MappingProfile,
    UnitConversion,
    ValueMapping,
    new_profile,
)
from semantic_mapping._profile_rdf import profile_from_turtle, profile_to_graph, profile_to_turtle
from semantic_mapping._records import CanonicalRecord, Lineage
from semantic_mapping._status import StatusMatch, StatusMatcher, cbv_disposition_name
from semantic_mapping._transform import Transformer
from semantic_mapping._vocabulary import (
    BUCKETS,
    NONE,
    REQUIRED_CONCEPTS,
    SCN,
    Concept,
    Label,
    Vocabulary,
    load_vocabulary,
    vocabulary_graph,
)

__all__ = [
    "BUCKETS",
    "NONE",
    "REQUIRED_CONCEPTS",
    "SCN",
    "THRESHOLD",
    "Alternative",
    "CanonicalRecord",
    "Concept",
    "EpcisResult",
    "FieldInputError",
    "FieldMapping",
    "Label",
    "Lineage",
    "MappingError",
    "MappingProfile",
    "MatchResult",
    "Matcher",
    "ProfileError",
    "SourceField",
    "StatusMatch",
    "StatusMatcher",
    "TransformError",
    "Transformer",
    "UnitConversion",
    "ValueMapping",
    "Vocabulary",
    "VocabularyError",
    "add_label",
    "cbv_disposition_name",
    "epcis_events",
    "extension_from_turtle",
    "load_vocabulary",
    "new_extension",
    "new_profile",
    "parse_csv_header",
    "profile_from_turtle",
    "profile_to_graph",
    "profile_to_turtle",
    "read_csv_records",
    "transform_epcis",
    "vocabulary_graph",
]
