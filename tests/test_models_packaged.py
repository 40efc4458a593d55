"""The packaged models in models/ load with plain spacy.load and behave sensibly.

These read the committed models (no training); they fail, rather than skip, when a
model is missing, since the rest of miner is built on them.
"""

from __future__ import annotations

import json

import pytest
import spacy

from miner.nlp.training.registry import MODELS
from miner.nlp.tokenizer import tokenize

TEXT = "Patients were treated with cisplatin and developed severe nephrotoxicity. Mutations in EGFR and KRAS were found."


@pytest.fixture(scope="module")
def loaded():
    return {name: spacy.load(spec.package_dir) for name, spec in MODELS.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_model_meta_components_and_card(loaded, name):
    nlp = loaded[name]
    spec = MODELS[name]
    assert tuple(nlp.pipe_names) == spec.components
    assert nlp.meta["name"] == f"miner_{name}"
    assert nlp.meta["sources"]
    assert (spec.package_dir / "README.md").is_file()


def test_models_total_size_under_100_mb():
    total = sum(f.stat().st_size for spec in MODELS.values() for f in spec.package_dir.rglob("*") if f.is_file())
    assert total < 100e6


@pytest.mark.parametrize("name", list(MODELS))
def test_tokenizer_is_the_scispacy_based_one(loaded, name):
    text = "T-DM1 after trastuzumab-resistant HER2-positive disease (BRAF/MEK, CDK4/6, IL-2) 5 mg/kg."
    assert [t.text for t in loaded[name](text)] == [t.text for t in tokenize(text)]


def test_ner_labels(loaded):
    assert set(loaded["ner_cdr"].get_pipe("ner_cdr").labels) == {"CHEMICAL", "DISEASE"}
    assert set(loaded["ner_gene"].get_pipe("ner_gene").labels) == {"GENE"}
    assert set(loaded["ner_variant"].get_pipe("ner_variant").labels) == {"VARIANT"}


def test_core_tags_parses_and_splits_sentences(loaded):
    doc = loaded["core"](TEXT)
    assert len(list(doc.sents)) == 2
    assert doc[0].tag_ in {"NNS", "NNP", "NNPS"}  # Patients
    assert doc[2].tag_ == "VBN"  # treated
    assert doc[3].tag_ == "IN"  # with
    for sent in doc.sents:
        assert sum(1 for t in sent if t.dep_ == "ROOT") == 1
    assert doc[2].dep_ == "ROOT" and doc[1].head.i == 2  # "were" attaches to "treated"
    assert doc[0].lemma_ == "patient" and doc[2].lemma_ == "treat"


def test_ner_finds_drug_disease_and_genes(loaded):
    cdr = {(e.text, e.label_) for e in loaded["ner_cdr"](TEXT).ents}
    assert ("cisplatin", "CHEMICAL") in cdr
    assert ("nephrotoxicity", "DISEASE") in cdr
    genes = {(e.text, e.label_) for e in loaded["ner_gene"](TEXT).ents}
    assert {("EGFR", "GENE"), ("KRAS", "GENE")} <= genes


@pytest.mark.filterwarnings("ignore:.*W113")  # ner_gene has no vectors; the core now has ner_cdr's
def test_ner_components_can_be_sourced_into_core(loaded):
    from miner.nlp.pipeline import share_vectors

    nlp = spacy.load(MODELS["core"].package_dir)
    for name in ("ner_cdr", "ner_gene"):
        share_vectors(nlp, loaded[name])  # ner_cdr uses static vectors, which the core's vocab lacks
        nlp.add_pipe(name, source=loaded[name])
    # ner_variant stores the same static vectors as ner_cdr: share_vectors keeps the copy already there
    share_vectors(nlp, loaded["ner_variant"])
    assert nlp.vocab.vectors.to_bytes(exclude=["strings"]) == loaded["ner_cdr"].vocab.vectors.to_bytes(exclude=["strings"])
    nlp.add_pipe("ner_variant", source=loaded["ner_variant"], first=True)  # before the parser, as miner.nlp.load()
    doc = nlp(TEXT)
    labels = {e.label_ for e in doc.ents}
    assert {"CHEMICAL", "GENE"} <= labels
    assert doc.has_annotation("DEP") and doc.has_annotation("TAG")
    assert ("T790M", "VARIANT") in [(e.text, e.label_) for e in nlp("The EGFR T790M mutation was detected.").ents]


def test_scores_file_records_measured_numbers():
    path = MODELS["core"].package_dir.parent / "scores.json"
    scores = json.loads(path.read_text())
    assert 0 < scores["genia"]["pos_acc"] <= 100
    assert 0 < scores["cdr"]["micro"]["f"] <= 100
    assert 0 < scores["bc2gm"]["official"]["f"] <= 100
