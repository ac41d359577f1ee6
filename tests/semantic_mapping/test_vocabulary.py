"""The vocabulary graph: contract ids, labels in both languages, CBV alignment."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from semantic_mapping import (
    BUCKETS,
    REQUIRED_CONCEPTS,
    SCN,
    VocabularyError,
    add_label,
    extension_from_turtle,
    load_vocabulary,
    new_extension,
    vocabulary_graph,
)
from semantic_mapping._vocabulary import MOVEMENT_DISPOSITIONS, parse_vocabulary

VOCABULARY_MD = Path(__file__).resolve().parents[3] / "shared" / "vocabulary.md"

#: The alignment table of the vocabulary document, restated: disposition → bucket.
CBV_TABLE = {
    "on_hand": "in_progress unknown",
    "available": "active available conformant partially_dispensed sellable_accessible "
    "sellable_not_accessible",
    "in_transit": "in_transit",
    "in_inspection": "container_open mismatch_class mismatch_instance mismatch_quantity returned",
    "reserved": "container_closed",
    "blocked": "disposed expired inactive needs_replacement no_pedigree_match non_conformant "
    "non_sellable_other recalled unavailable",
    "damaged": "damaged",
    "on_order": "",
}


def test_every_contract_id_is_a_concept_with_zh_and_en_labels() -> None:
    vocabulary = load_vocabulary()
    for concept_id in REQUIRED_CONCEPTS:
        concept = vocabulary[concept_id]
        langs = {label.lang for label in concept.labels if label.kind == "pref"}
        assert langs == {"en", "zh"}, concept_id
        assert concept.definition_en, concept_id
        assert concept.definition_zh, concept_id


def test_ids_match_the_vocabulary_document() -> None:
    if not VOCABULARY_MD.exists():
        pytest.skip(f"{VOCABULARY_MD} not found")
    text = VOCABULARY_MD.read_text("utf-8")
    documented = {line.split("`")[1] for line in text.splitlines() if line.startswith("| `")}
    assert documented <= set(load_vocabulary().concepts)


def test_cbv_alignment_matches_the_table() -> None:
    vocabulary = load_vocabulary()
    for bucket, names in CBV_TABLE.items():
        assert set(vocabulary[bucket].cbv_dispositions) == set(names.split()), bucket
    aligned = [d for b in BUCKETS for d in vocabulary[b].cbv_dispositions]
    assert len(aligned) == len(set(aligned)), "a disposition lands in two buckets"
    assert not MOVEMENT_DISPOSITIONS & set(aligned)


def test_buckets_under_on_hand_are_narrower_and_broader() -> None:
    graph = vocabulary_graph()
    for bucket in ("available", "reserved", "in_inspection", "blocked", "damaged"):
        assert (SCN.on_hand, SKOS.narrower, SCN[bucket]) in graph
        assert (SCN[bucket], SKOS.broader, SCN.on_hand) in graph
    assert (SCN.in_transit, SKOS.broader, SCN.on_hand) not in graph


def test_shared_states_of_the_governance_rules() -> None:
    vocabulary = load_vocabulary()

    def labels(cid: str) -> set[str]:
        return {x.text for x in vocabulary[cid].labels}

    assert {"在库", "可售", "Available Stock".lower()} <= {t.lower() for t in labels("available")}
    assert "在途" in labels("in_transit")
    assert {"在检", "待检"} <= labels("in_inspection")


def test_missing_concept_is_rejected() -> None:
    graph = vocabulary_graph()
    graph.remove((SCN.lot, None, None))
    with pytest.raises(VocabularyError, match="lot"):
        parse_vocabulary(graph)


def test_label_that_is_not_a_literal_is_rejected() -> None:
    graph = vocabulary_graph()
    graph.add((SCN.lot, SKOS.altLabel, SCN.sku))
    with pytest.raises(VocabularyError, match="not a literal"):
        parse_vocabulary(graph)


def test_extension_adds_an_alt_label_with_provenance_and_round_trips() -> None:
    vocabulary = load_vocabulary()
    now = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    ext = add_label(
        new_extension(),
        vocabulary,
        concept="available",
        label="可动用量",
        added_by="alice",
        source="wms-a",
        now=now,
    )
    assert (SCN.available, SKOS.altLabel, Literal("可动用量", lang="zh")) in ext
    reread = extension_from_turtle(ext.serialize(format="turtle"))
    extended = load_vocabulary([reread])
    assert "可动用量" in {x.text for x in extended["available"].labels}
    assert "可动用量" not in {x.text for x in vocabulary["available"].labels}


@pytest.mark.parametrize(
    ("concept", "label", "message"),
    [("nonexistent", "x", "cannot add"), ("none", "x", "cannot add"), ("lot", "  ", "empty")],
)
def test_extension_rejects_bad_labels(concept: str, label: str, message: str) -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    with pytest.raises(VocabularyError, match=message):
        add_label(
            new_extension(),
            load_vocabulary(),
            concept=concept,
            label=label,
            added_by="a",
            source="s",
            now=now,
        )


def test_extension_rejects_bad_turtle_and_foreign_concepts() -> None:
    with pytest.raises(VocabularyError, match="not valid Turtle"):
        extension_from_turtle("this is not turtle <<<")
    foreign = Graph()
    foreign.add((SCN.lot.__class__("https://example.org/x"), SKOS.altLabel, Literal("y")))
    with pytest.raises(VocabularyError, match="foreign"):
        extension_from_turtle(foreign.serialize(format="turtle"))


#: Labels shared by two concepts on purpose, told apart by their exact spelling: Odoo's
#: field code `qty_available` is on-hand stock, the phrase "qty available" is available.
SHARED_ON_PURPOSE = {"qtyavailable": {"available", "on_hand"}}


def test_skos_label_integrity() -> None:
    """S13 (pref/alt/hidden disjoint within a concept), S14 (one prefLabel per language),
    and no unintended label shared between concepts."""
    from semantic_mapping._normalise import compact

    owners: dict[str, set[str]] = {}
    for concept in load_vocabulary().concepts.values():
        kinds: dict[tuple[str, str], set[str]] = {}
        prefs: dict[str, int] = {}
        for label in concept.labels:
            if label.kind == "status":
                continue
            kinds.setdefault((label.text, label.lang), set()).add(label.kind)
            owners.setdefault(compact(label.text), set()).add(concept.id)
            if label.kind == "pref":
                prefs[label.lang] = prefs.get(label.lang, 0) + 1
        assert all(len(k) == 1 for k in kinds.values()), concept.id
        assert all(n == 1 for n in prefs.values()), concept.id
    shared = {key: ids for key, ids in owners.items() if len(ids) > 1}
    assert shared == SHARED_ON_PURPOSE
