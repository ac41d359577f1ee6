"""The canonical inventory vocabulary: a SKOS graph shipped as Turtle, read into values.

The graph is the source of truth; :class:`Vocabulary` is an immutable, typed view of it
that the matcher and the transformer use. Extension graphs (labels added by approvals)
are merged in at load time, never written into the shipped file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, SKOS

from semantic_mapping._errors import VocabularyError

__all__ = [
    "BUCKETS",
    "CBV_DISPOSITION_BASE",
    "MOVEMENT_DISPOSITIONS",
    "NONE",
    "REQUIRED_CONCEPTS",
    "SCN",
    "Concept",
    "Label",
    "Vocabulary",
    "load_vocabulary",
    "vocabulary_graph",
]

SCN: Final = Namespace("https://scnode.dev/vocab#")
CBV_DISPOSITION_BASE: Final = "https://ref.gs1.org/cbv/Disp-"
NONE: Final = "none"

#: Quantity buckets at a location (plus on_order), see docs/semantic-mapping.md.
BUCKETS: Final = (
    "on_hand",
    "available",
    "in_transit",
    "in_inspection",
    "reserved",
    "blocked",
    "damaged",
    "on_order",
)
#: CBV dispositions of stock that has left: movements, not buckets.
MOVEMENT_DISPOSITIONS: Final = frozenset({"destroyed", "dispensed", "retail_sold", "stolen"})

#: The contract of the vocabulary: these ids must exist, spelled exactly so.
REQUIRED_CONCEPTS: Final = (
    *BUCKETS,
    "safety_stock",
    "reorder_point",
    "max_stock",
    "forecast_qty",
    "sales_qty",
    "sku",
    "item_name",
    "location",
    "lot",
    "serial",
    "expiry_date",
    "production_date",
    "uom",
    "unit_cost",
    "inventory_value",
    "timestamp",
    "supplier",
    "customer",
    "po_number",
    "receipt_number",
    "quantity_ordered",
    "quantity_received",
    NONE,
)

LABEL_KINDS: Final = ("pref", "alt", "hidden", "status")
_LABEL_PREDICATES: Final = (
    ("pref", SKOS.prefLabel),
    ("alt", SKOS.altLabel),
    ("hidden", SKOS.hiddenLabel),
    ("status", SCN.statusCode),
)


@dataclass(frozen=True)
class Label:
    """One label of a concept: its text, language tag ('' for codes) and kind."""

    text: str
    lang: str
    kind: str  # one of LABEL_KINDS

    def describe(self) -> str:
        tag = f"@{self.lang}" if self.lang else ""
        name = {"pref": "prefLabel", "alt": "altLabel", "hidden": "hiddenLabel"}.get(
            self.kind, "statusCode"
        )
        return f"{name} '{self.text}'{tag}"


@dataclass(frozen=True)
class Concept:
    id: str
    labels: tuple[Label, ...]
    value_type: str
    definition_en: str
    definition_zh: str
    broader: tuple[str, ...]
    narrower: tuple[str, ...]
    cbv_dispositions: tuple[str, ...]

    @property
    def label_en(self) -> str:
        return next((x.text for x in self.labels if x.kind == "pref" and x.lang == "en"), self.id)

    @property
    def label_zh(self) -> str:
        return next((x.text for x in self.labels if x.kind == "pref" and x.lang == "zh"), self.id)


@dataclass(frozen=True)
class Vocabulary:
    concepts: Mapping[str, Concept]
    version: str

    def __getitem__(self, concept_id: str) -> Concept:
        try:
            return self.concepts[concept_id]
        except KeyError:
            raise VocabularyError(f"unknown concept {concept_id!r}") from None

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self.concepts

    def descendants(self, concept_id: str) -> frozenset[str]:
        """Concepts narrower than `concept_id`, transitively."""
        out: set[str] = set()
        todo = [concept_id]
        while todo:
            current = self.concepts.get(todo.pop())
            if current is None:
                continue
            for child in current.narrower:
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return frozenset(out)

    def disposition_bucket(self, disposition: str) -> str | None:
        """Bucket a bare CBV disposition name lands in (None if no concept aligns it)."""
        for concept in self.concepts.values():
            if disposition in concept.cbv_dispositions:
                return concept.id
        return None


def vocabulary_graph() -> Graph:
    """The shipped vocabulary as an rdflib graph (parsed from the package's Turtle)."""
    text = resources.files("semantic_mapping").joinpath("data/vocabulary.ttl").read_text("utf-8")
    graph = Graph()
    graph.parse(data=text, format="turtle")
    graph.bind("scn", SCN)
    graph.bind("skos", SKOS)
    return graph


def load_vocabulary(extensions: Iterable[Graph] = ()) -> Vocabulary:
    """Load the shipped vocabulary, merged with extension graphs (e.g. approved labels)."""
    graph = vocabulary_graph()
    for extension in extensions:
        for triple in extension:
            graph.add(triple)
    return parse_vocabulary(graph)


def parse_vocabulary(graph: Graph) -> Vocabulary:
    """Read the concepts of a SKOS graph in the scnode namespace; checks the id contract."""
    concepts: dict[str, Concept] = {}
    for subject in sorted(set(graph.subjects(SKOS.inScheme, SCN.inventory)), key=str):
        if not isinstance(subject, URIRef) or not str(subject).startswith(str(SCN)):
            raise VocabularyError(f"concept {subject} is outside the scnode namespace")
        concept_id = str(subject)[len(str(SCN)) :]
        concepts[concept_id] = _concept(graph, subject, concept_id)
    missing = [c for c in REQUIRED_CONCEPTS if c not in concepts]
    if missing:
        raise VocabularyError(f"vocabulary lacks required concepts: {', '.join(missing)}")
    version = graph.value(SCN.inventory, OWL.versionInfo)
    return Vocabulary(
        concepts=MappingProxyType(concepts), version=str(version) if version else "unversioned"
    )


def _concept(graph: Graph, subject: URIRef, concept_id: str) -> Concept:
    labels: list[Label] = []
    seen: set[tuple[str, str, str]] = set()
    for kind, predicate in _LABEL_PREDICATES:
        for obj in sorted(graph.objects(subject, predicate), key=str):
            if not isinstance(obj, Literal):
                raise VocabularyError(f"{concept_id}: label {obj} is not a literal")
            key = (str(obj), obj.language or "", kind)
            if key not in seen:
                seen.add(key)
                labels.append(Label(text=str(obj), lang=obj.language or "", kind=kind))
    definitions = {
        (d.language or ""): str(d)
        for d in graph.objects(subject, SKOS.definition)
        if isinstance(d, Literal)
    }
    value_type = graph.value(subject, SCN.valueType)
    broader = tuple(sorted(str(b)[len(str(SCN)) :] for b in graph.objects(subject, SKOS.broader)))
    narrower_nodes = set(graph.objects(subject, SKOS.narrower)) | set(
        graph.subjects(SKOS.broader, subject)
    )
    narrower = tuple(sorted(str(n)[len(str(SCN)) :] for n in narrower_nodes))
    dispositions = tuple(
        sorted(
            str(m)[len(CBV_DISPOSITION_BASE) :]
            for m in graph.objects(subject, SKOS.closeMatch)
            if str(m).startswith(CBV_DISPOSITION_BASE)
        )
    )
    return Concept(
        id=concept_id,
        labels=tuple(labels),
        value_type=str(value_type) if value_type is not None else "none",
        definition_en=definitions.get("en", ""),
        definition_zh=definitions.get("zh", ""),
        broader=broader,
        narrower=narrower,
        cbv_dispositions=dispositions,
    )
