"""Document-level NER rules (miner.nlp.doc_rules) and the NER merge's same-extent tie-break, on written sentences."""

from __future__ import annotations

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

import miner.nlp.abbreviations  # noqa: F401  (registers miner_abbreviations)
import miner.nlp.doc_rules  # noqa: F401  (registers miner_abbreviation_ents / miner_label_consistency)
import miner.nlp.pipeline  # noqa: F401  (registers miner_stash_ents / miner_merge_ner)
from miner.nlp.doc_rules import LabelConsistency


def _abbrev_nlp(patterns: list[dict]) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(patterns)
    nlp.add_pipe("miner_abbreviations")
    nlp.add_pipe("miner_abbreviation_ents")
    return nlp


def _ents(doc: Doc) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in doc.ents]


TEXT = (
    "Patients developed acute kidney injury (AKI) after contrast . "
    "AKI resolved within a week , and no AKI recurred ."
)


def test_long_form_label_goes_to_every_short_form() -> None:
    nlp = _abbrev_nlp([{"label": "DISEASE", "pattern": "acute kidney injury"}])
    doc = nlp(TEXT)
    assert _ents(doc) == [("acute kidney injury", "DISEASE"), ("AKI", "DISEASE"), ("AKI", "DISEASE"), ("AKI", "DISEASE")]


def test_short_form_label_goes_to_the_long_form_and_untagged_short_forms() -> None:
    # only the first two short forms are tagged; the long form is not
    nlp = spacy.blank("en")
    nlp.add_pipe("miner_abbreviations")
    nlp.add_pipe("miner_abbreviation_ents")
    doc = nlp.make_doc(TEXT)
    aki = [t.i for t in doc if t.text == "AKI"]
    doc.ents = [Span(doc, aki[0], aki[0] + 1, label="DISEASE"), Span(doc, aki[1], aki[1] + 1, label="DISEASE")]
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    assert _ents(doc) == [("acute kidney injury", "DISEASE"), ("AKI", "DISEASE"), ("AKI", "DISEASE"), ("AKI", "DISEASE")]


def test_short_form_with_another_label_is_relabelled() -> None:
    nlp = _abbrev_nlp([
        {"label": "CHEMICAL", "pattern": "methotrexate"},
        {"label": "GENE", "pattern": "MTX"},
    ])
    doc = nlp("High-dose methotrexate (MTX) was given . MTX caused mucositis .")
    assert _ents(doc) == [("methotrexate", "CHEMICAL"), ("MTX", "CHEMICAL"), ("MTX", "CHEMICAL")]


def test_abbreviations_without_any_entity_are_left_alone() -> None:
    nlp = _abbrev_nlp([{"label": "CHEMICAL", "pattern": "cisplatin"}])
    doc = nlp("The area under the curve (AUC) of cisplatin rose ; AUC was measured twice .")
    assert _ents(doc) == [("cisplatin", "CHEMICAL")]


def test_short_form_inside_a_longer_entity_is_not_split_off() -> None:
    nlp = _abbrev_nlp([
        {"label": "CHEMICAL", "pattern": "doxorubicin"},
        {"label": "DISEASE", "pattern": [{"LOWER": "dox"}, {"LOWER": "cardiomyopathy"}]},
    ])
    doc = nlp("We gave doxorubicin (DOX) . DOX cardiomyopathy was seen .")
    assert _ents(doc) == [("doxorubicin", "CHEMICAL"), ("DOX", "CHEMICAL"), ("DOX cardiomyopathy", "DISEASE")]


def _doc_with(words: list[str], ents: list[tuple[int, int, str]]) -> Doc:
    doc = Doc(spacy.blank("en").vocab, words=words)
    doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in ents]
    return doc


def test_label_consistency_tags_untagged_occurrences() -> None:
    words = "Tamoxifen was stopped ; later tamoxifen and Tamoxifen again , with warfarin".split()
    doc = _doc_with(words, [(0, 1, "CHEMICAL"), (11, 12, "CHEMICAL")])
    doc = LabelConsistency()(doc)
    # case-sensitive: "tamoxifen" (lower-case) is another string and stays untagged
    assert [(e.start, e.text, e.label_) for e in doc.ents] == [(0, "Tamoxifen", "CHEMICAL"), (7, "Tamoxifen", "CHEMICAL"), (11, "warfarin", "CHEMICAL")]


def test_label_consistency_skips_conflicting_short_and_overlapping_strings() -> None:
    words = "ACE inhibitors ; ACE ; ACE ; Ca ; Ca ; heart failure ; chronic heart failure".split()
    doc = _doc_with(words, [
        (0, 2, "CHEMICAL"),  # "ACE inhibitors"
        (3, 4, "GENE"), (5, 6, "CHEMICAL"),  # "ACE" tagged with two labels: no propagation
        (7, 8, "CHEMICAL"),  # "Ca": two characters, too short to propagate
        (11, 13, "DISEASE"),  # "heart failure"; its occurrence inside the untagged "chronic heart failure" is free
    ])
    doc = LabelConsistency()(doc)
    assert [(e.start, e.text, e.label_) for e in doc.ents] == [
        (0, "ACE inhibitors", "CHEMICAL"), (3, "ACE", "GENE"), (5, "ACE", "CHEMICAL"), (7, "Ca", "CHEMICAL"),
        (11, "heart failure", "DISEASE"), (15, "heart failure", "DISEASE"),
    ]
    # an occurrence that overlaps an entity is not tagged
    doc = _doc_with("heart failure ; chronic heart failure".split(), [(0, 2, "DISEASE"), (3, 6, "DISEASE")])
    assert [e.text for e in LabelConsistency()(doc).ents] == ["heart failure", "chronic heart failure"]


def _two_models(prefer_gene: bool) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler", name="ner_cdr").add_patterns([{"label": "CHEMICAL", "pattern": "Rep78"},
                                                               {"label": "DISEASE", "pattern": "retinoblastoma"}])
    nlp.add_pipe("miner_stash_ents", name="stash_cdr", config={"group": "ner:ner_cdr"})
    nlp.add_pipe("entity_ruler", name="ner_gene").add_patterns([{"label": "GENE", "pattern": "Rep78"},
                                                                {"label": "GENE", "pattern": "retinoblastoma"}])
    nlp.add_pipe("miner_stash_ents", name="stash_gene", config={"group": "ner:ner_gene"})
    nlp.add_pipe("miner_merge_ner", config={"prefer_gene": prefer_gene})
    return nlp


def test_merge_prefers_gene_over_an_unconfirmed_chemical_of_the_same_extent() -> None:
    text = "Rep78 binds the retinoblastoma promoter"
    assert _ents(_two_models(True)(text)) == [("Rep78", "GENE"), ("retinoblastoma", "DISEASE")]
    assert _ents(_two_models(False)(text)) == [("Rep78", "CHEMICAL"), ("retinoblastoma", "DISEASE")]
