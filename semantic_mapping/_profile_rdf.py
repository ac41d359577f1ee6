"""Mapping profiles as RDF (Turtle): SKOS mapping properties with DCTERMS/PROV provenance.

<https://scnode.dev/profile/sap-plant-1000> a scn:MappingProfile ;
    dcterms:identifier "sap-plant-1000" ; owl:versionInfo 3 ; ...
    scn:fieldMapping [ a scn:FieldMapping ; scn:sourceField "LABST" ;
        skos:exactMatch scn:available ; prov:wasAttributedTo "alice" ;
        prov:generatedAtTime "2026-11-22T04:00:00+00:00"^^xsd:dateTime ;
        scn:approvedInVersion 1 ] .
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Final
from urllib.parse import quote

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS, XSD
from rdflib.term import Node

from semantic_mapping._errors import ProfileError
from semantic_mapping._profile import (
    RELATIONS,
    FieldMapping,
    MappingProfile,
    UnitConversion,
    ValueMapping,
)
from semantic_mapping._vocabulary import SCN

__all__ = ["PROFILE_BASE", "profile_from_turtle", "profile_to_graph", "profile_to_turtle"]

PROFILE_BASE: Final = Namespace("https://scnode.dev/profile/")
MAX_PROFILE_BYTES: Final = 16 * 1024 * 1024


def _time(when: datetime) -> Literal:
    return Literal(when.isoformat(), datatype=XSD.dateTime)


def profile_to_graph(profile: MappingProfile) -> Graph:
    graph = Graph()
    for prefix, ns in (("scn", SCN), ("skos", SKOS), ("dcterms", DCTERMS), ("prov", PROV)):
        graph.bind(prefix, ns)
    graph.bind("owl", OWL)
    node = PROFILE_BASE[quote(profile.source)]
    graph.add((node, RDF.type, SCN.MappingProfile))
    graph.add((node, DCTERMS.identifier, Literal(profile.source)))
    graph.add((node, OWL.versionInfo, Literal(profile.version)))
    graph.add((node, SCN.timezone, Literal(profile.timezone)))
    if profile.base_unit is not None:
        graph.add((node, SCN.baseUnit, Literal(profile.base_unit)))
    if profile.modified_at is not None:
        graph.add((node, DCTERMS.modified, _time(profile.modified_at)))
    for m in profile.fields:
        item = BNode()
        graph.add((node, SCN.fieldMapping, item))
        graph.add((item, RDF.type, SCN.FieldMapping))
        graph.add((item, SCN.sourceField, Literal(m.source_field)))
        graph.add((item, SKOS[m.relation], SCN[m.concept]))
        graph.add((item, PROV.wasAttributedTo, Literal(m.approved_by)))
        graph.add((item, PROV.generatedAtTime, _time(m.approved_at)))
        graph.add((item, SCN.approvedInVersion, Literal(m.version)))
        if m.unit is not None:
            graph.add((item, SCN.unit, Literal(m.unit)))
    for v in profile.values:
        item = BNode()
        graph.add((node, SCN.valueMapping, item))
        graph.add((item, RDF.type, SCN.ValueMapping))
        graph.add((item, SCN.sourceField, Literal(v.source_field)))
        graph.add((item, SCN.sourceValue, Literal(v.source_value)))
        graph.add((item, SKOS.exactMatch, SCN[v.concept]))
        graph.add((item, PROV.wasAttributedTo, Literal(v.approved_by)))
        graph.add((item, PROV.generatedAtTime, _time(v.approved_at)))
        graph.add((item, SCN.approvedInVersion, Literal(v.version)))
    for u in profile.units:
        item = BNode()
        graph.add((node, SCN.unitConversion, item))
        graph.add((item, RDF.type, SCN.UnitConversion))
        graph.add((item, SCN.unit, Literal(u.unit)))
        graph.add((item, SCN.factor, Literal(str(u.factor), datatype=XSD.decimal)))
    return graph


def profile_to_turtle(profile: MappingProfile) -> str:
    text: str = profile_to_graph(profile).serialize(format="turtle")
    return text


def profile_from_turtle(text: str | bytes) -> MappingProfile:
    """Parse a profile; any defect raises :class:`ProfileError` with what is wrong."""
    if len(text) > MAX_PROFILE_BYTES:
        raise ProfileError("profile is larger than 16 MiB")
    try:
        data = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError as exc:
        raise ProfileError(f"profile is not UTF-8: {exc.reason}") from None
    graph = Graph()
    try:
        graph.parse(data=data, format="turtle")
    except Exception as exc:  # noqa: BLE001  rdflib raises many types for bad Turtle
        raise ProfileError(f"profile is not valid Turtle: {str(exc)[:200]}") from None
    nodes = list(graph.subjects(RDF.type, SCN.MappingProfile))
    if len(nodes) != 1:
        raise ProfileError(f"expected one scn:MappingProfile, found {len(nodes)}")
    node = nodes[0]
    try:
        modified = graph.value(node, DCTERMS.modified)
        base_unit = graph.value(node, SCN.baseUnit)
        return MappingProfile(
            source=_text(graph, node, DCTERMS.identifier),
            version=_int(graph, node, OWL.versionInfo),
            base_unit=str(base_unit) if base_unit is not None else None,
            timezone=_text(graph, node, SCN.timezone),
            fields=tuple(
                sorted(
                    (_field(graph, n) for n in graph.objects(node, SCN.fieldMapping)),
                    key=lambda m: (m.version, m.source_field),
                )
            ),
            values=tuple(
                sorted(
                    (_value(graph, n) for n in graph.objects(node, SCN.valueMapping)),
                    key=lambda m: (m.version, m.source_field, m.source_value),
                )
            ),
            units=tuple(
                sorted(
                    (_unit(graph, n) for n in graph.objects(node, SCN.unitConversion)),
                    key=lambda u: u.unit,
                )
            ),
            modified_at=_parse_time(modified) if modified is not None else None,
        )
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise ProfileError(f"profile is malformed: {exc}") from None


def _text(graph: Graph, node: Node, predicate: URIRef) -> str:
    values = list(graph.objects(node, predicate))
    if len(values) != 1 or not isinstance(values[0], Literal):
        raise ProfileError(f"{predicate} must have exactly one literal value")
    return str(values[0])


def _int(graph: Graph, node: Node, predicate: URIRef) -> int:
    text = _text(graph, node, predicate)
    if not text.isdigit():
        raise ProfileError(f"{predicate} must be a non-negative integer, got {text!r}")
    return int(text)


def _parse_time(value: Node) -> datetime:
    when = datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ProfileError(f"time {value} has no time zone")
    return when


def _concept(graph: Graph, node: Node, predicate: URIRef) -> str:
    target = graph.value(node, predicate)
    if not isinstance(target, URIRef) or not str(target).startswith(str(SCN)):
        raise ProfileError(f"mapping target {target} is not a scnode concept")
    return str(target)[len(str(SCN)) :]


def _field(graph: Graph, node: Node) -> FieldMapping:
    relations = [r for r in RELATIONS if graph.value(node, SKOS[r]) is not None]
    if len(relations) != 1:
        raise ProfileError("a field mapping needs exactly one SKOS mapping relation")
    unit = graph.value(node, SCN.unit)
    return FieldMapping(
        source_field=_text(graph, node, SCN.sourceField),
        concept=_concept(graph, node, SKOS[relations[0]]),
        relation=relations[0],
        approved_by=_text(graph, node, PROV.wasAttributedTo),
        approved_at=_parse_time(graph.value(node, PROV.generatedAtTime) or Literal("")),
        version=_int(graph, node, SCN.approvedInVersion),
        unit=str(unit) if unit is not None else None,
    )


def _value(graph: Graph, node: Node) -> ValueMapping:
    return ValueMapping(
        source_field=_text(graph, node, SCN.sourceField),
        source_value=_text(graph, node, SCN.sourceValue),
        concept=_concept(graph, node, SKOS.exactMatch),
        approved_by=_text(graph, node, PROV.wasAttributedTo),
        approved_at=_parse_time(graph.value(node, PROV.generatedAtTime) or Literal("")),
        version=_int(graph, node, SCN.approvedInVersion),
    )


def _unit(graph: Graph, node: Node) -> UnitConversion:
    return UnitConversion(
        unit=_text(graph, node, SCN.unit), factor=Decimal(_text(graph, node, SCN.factor))
    )
