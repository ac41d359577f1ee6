"""Vocabulary extensions: labels added for everyone when a person confirms a mapping.

The shipped vocabulary is never rewritten. Each confirmed label goes into a separate
graph as a plain `skos:altLabel` triple (so any SKOS tool sees it) plus a record of who
added it, when and from which source; :func:`load_vocabulary` merges such graphs in.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS, XSD

from semantic_mapping._errors import VocabularyError
from semantic_mapping._normalise import is_cjk, nfkc
from semantic_mapping._vocabulary import NONE, SCN, Vocabulary

__all__ = ["add_label", "extension_from_turtle", "new_extension"]


def new_extension() -> Graph:
    graph = Graph()
    graph.bind("scn", SCN)
    graph.bind("skos", SKOS)
    graph.bind("prov", PROV)
    return graph


def add_label(
    graph: Graph,
    vocabulary: Vocabulary,
    *,
    concept: str,
    label: str,
    added_by: str,
    source: str,
    now: datetime,
) -> Graph:
    """Return a copy of `graph` with `label` as an altLabel of `concept`, with provenance."""
    if concept not in vocabulary or concept == NONE:
        raise VocabularyError(f"cannot add a label to {concept!r}")
    text = nfkc(label)
    if not text or len(text) > 256:
        raise VocabularyError("label is empty or longer than 256 characters")
    if now.tzinfo is None:
        raise VocabularyError("time must carry a time zone")
    out = new_extension()
    for triple in graph:
        out.add(triple)
    lang = "zh" if is_cjk(text) else "en"
    literal = Literal(text, lang=lang)
    out.add((SCN[concept], SKOS.altLabel, literal))
    digest = hashlib.sha256(f"{concept}\x00{text}".encode()).hexdigest()[:16]
    record = URIRef(f"{SCN}label-{digest}")
    out.add((record, RDF.type, SCN.LabelAddition))
    out.add((record, SCN.concept, SCN[concept]))
    out.add((record, SKOS.altLabel, literal))
    out.add((record, PROV.wasAttributedTo, Literal(added_by)))
    out.add((record, PROV.generatedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    out.add((record, DCTERMS.source, Literal(source)))
    return out


def extension_from_turtle(text: str) -> Graph:
    graph = new_extension()
    try:
        graph.parse(data=text, format="turtle")
    except Exception as exc:  # noqa: BLE001  rdflib raises many types for bad Turtle
        raise VocabularyError(
            f"vocabulary extension is not valid Turtle: {str(exc)[:200]}"
        ) from None
    for subject, predicate, _ in graph:
        if predicate == SKOS.altLabel and not str(subject).startswith(str(SCN)):
            raise VocabularyError(f"extension labels a foreign concept {subject}")
    return graph
