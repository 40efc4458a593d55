"""Oncology entities: cancer DISEASE mentions (plurals, abbreviations, mutant/rearranged qualifiers), the normalized
cancer type, and the cross-corpus scoring code (on tiny hand-made files)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Span

from miner.nlp.cancers import CancerVocabulary, is_cancer_name, load_vocabulary, normalize_cancer, strip_qualifiers
from miner.nlp.pipeline import DEFAULT_MODELS_DIR, load, rules_only_pipeline


@pytest.fixture(scope="module")
def nlp() -> Language:
    return rules_only_pipeline()


def ents(doc) -> dict[str, str]:
    return {e.text: e.label_ for e in doc.ents}


def test_abbreviations_plurals_and_histology_words(nlp: Language) -> None:
    doc = nlp("Melanomas and GISTs were studied; imatinib in CML, enzalutamide in mCRPC, sorafenib in HCC and "
              "osimertinib in NSCLC. Glioblastomas and osteosarcomas were excluded.")
    found = ents(doc)
    for text in ("Melanomas", "GISTs", "CML", "mCRPC", "HCC", "NSCLC", "Glioblastomas", "osteosarcomas"):
        assert found.get(text) == "DISEASE", (text, found)
    by_text = {e.text: e for e in doc.ents}
    assert by_text["Melanomas"]._.cancer_name == "melanoma"
    assert by_text["CML"]._.cancer_name == "chronic myeloid leukemia"
    assert by_text["mCRPC"]._.cancer_name == "castration-resistant prostate cancer"
    assert by_text["NSCLC"]._.cancer_id == "MESH:D002289"
    assert found["imatinib"] == "CHEMICAL" and found["osimertinib"] == "CHEMICAL"


def test_a_gene_never_swallows_the_cancer(nlp: Language) -> None:
    """The gene model's span "ALK-rearranged lung" (simulated) is cut back to the gene; the cancer is a DISEASE."""
    doc = nlp.make_doc("Patients with ALK-rearranged lung cancer received crizotinib.")
    doc.ents = [Span(doc, 2, 6, label="GENE")]  # "ALK - rearranged lung"
    for name, proc in nlp.pipeline:
        doc = proc(doc)
    found = ents(doc)
    assert found.get("lung cancer") == "DISEASE"
    assert found.get("ALK") == "GENE"
    assert not any(e.label_ == "GENE" and "lung" in e.text for e in doc.ents)
    cancer = next(e for e in doc.ents if e.text == "lung cancer")
    assert (cancer._.cancer_name, cancer._.cancer_id) == ("lung cancer", "MESH:D008175")


def test_mutant_qualifier_leaves_gene_and_disease(nlp: Language) -> None:
    doc = nlp.make_doc("EGFR-mutant non-small cell lung cancer acquired resistance to gefitinib.")
    doc.ents = [Span(doc, 0, 3, label="GENE")]  # "EGFR - mutant"
    for name, proc in nlp.pipeline:
        doc = proc(doc)
    found = ents(doc)
    assert found.get("EGFR") == "GENE" and found.get("non-small cell lung cancer") == "DISEASE"
    assert next(e for e in doc.ents if e.text == "EGFR")._.gene_id == "EGFR"


def test_generic_words_and_non_cancer_long_forms_are_not_added(nlp: Language) -> None:
    doc = nlp("Tumor necrosis factor was measured by response evaluation criteria in solid tumors (RECIST); "
              "RECIST responses and overall survival (OS) were recorded, OS was long.")
    assert "Tumor" not in ents(doc)
    assert "RECIST" not in ents(doc) and "OS" not in ents(doc)


def test_document_defined_short_form(nlp: Language) -> None:
    doc = nlp("Osteosarcoma (OS) is rare. In OS, methotrexate is used.")
    os_spans = [e for e in doc.ents if e.text == "OS"]
    assert len(os_spans) == 2 and all(e.label_ == "DISEASE" for e in os_spans)
    assert os_spans[0]._.cancer_name == "osteosarcoma"


@pytest.mark.parametrize(
    ("text", "name", "cancer_id"),
    [
        ("ALK-rearranged lung cancer", "lung cancer", "MESH:D008175"),
        ("EGFR-mutant NSCLC", "non-small cell lung cancer", "MESH:D002289"),
        ("metastatic castration-resistant prostate cancer", "castration-resistant prostate cancer", None),
        ("Melanomas", "melanoma", "MESH:D008545"),
        ("HER2-positive breast cancer", "breast cancer", "MESH:D001943"),
        ("HER2-low MBC", "breast cancer", "MESH:D001943"),
        ("ER+ breast cancer", "breast cancer", "MESH:D001943"),
        ("carcinoma of the bladder", "bladder cancer", "MESH:D001749"),
        ("chronic myelogenous leukaemia", "chronic myeloid leukemia", None),
        ("stage IV non-small-cell lung carcinoma", "non-small cell lung cancer", "MESH:D002289"),
    ],
)
def test_normalize_cancer(text: str, name: str, cancer_id: str | None) -> None:
    got_name, got_id = normalize_cancer(text)
    assert got_name == name
    if cancer_id is not None:
        assert got_id == cancer_id
    else:
        assert got_id  # a cancer: entry of the vocabulary


def test_normalize_cancer_lists_and_non_cancers() -> None:
    name, ids = normalize_cancer("breast and ovarian cancer")
    assert name == "breast cancer; ovarian cancer" and ids == "MESH:D001943; MESH:D010051"
    assert normalize_cancer("overall survival") == ("", None)
    name, cancer_id = normalize_cancer("ALK-rearranged pulmonary blastomas")
    assert name == "pulmonary blastoma"


def test_vocabulary_file_and_helpers() -> None:
    vocab = load_vocabulary()
    assert vocab.free["NSCLC"] == "MESH:D002289"
    assert "OS" not in vocab.free and "PC" not in vocab.free  # overall survival; prostate or pancreatic
    assert is_cancer_name("gastrointestinal stromal tumours") and not is_cancer_name("tumor necrosis factor")
    assert strip_qualifiers("relapsed/refractory EGFR mutant lung cancer") == "lung cancer"
    small = CancerVocabulary.from_entries([{"id": "x:1", "name": "foo carcinoma", "synonyms": ["foo cancer"],
                                            "abbreviations": ["FC"], "defined_only": []}])
    assert small.resolve("advanced foo carcinomas") == ("foo carcinoma", "x:1")
    assert small.resolve("FCs") == ("foo carcinoma", "x:1")


def test_biored_cross_corpus_scoring(tmp_path: Path) -> None:
    from miner.nlp.training.crosseval import evaluate_biored

    text_t, text_a = "Cisplatin in lung cancer", "EGFR was high."
    lines = [f"1|t|{text_t}", f"1|a|{text_a}",
             "1\t0\t9\tCisplatin\tChemicalEntity\tD002945",
             "1\t13\t24\tlung cancer\tDiseaseOrPhenotypicFeature\tD008175",
             "1\t25\t29\tEGFR\tGeneOrGeneProduct\t1956",
             "1\t25\t29\tEGFR\tSequenceVariant\tx", ""]
    path = tmp_path / "t.PubTator.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": "CHEMICAL", "pattern": "Cisplatin"},
        {"label": "DISEASE", "pattern": "lung"},
        {"label": "CHEMICAL", "pattern": "EGFR"},
    ])
    s = evaluate_biored(nlp, path)
    assert s["CHEMICAL"]["exact"]["tp"] == 1 and s["CHEMICAL"]["exact"]["fp"] == 1
    assert s["DISEASE"]["exact"]["tp"] == 0 and s["DISEASE"]["overlap"]["r"] == 100.0
    assert s["GENE"]["exact"]["fn"] == 1
    assert s["same_extent_other_label"] == {"GENE->CHEMICAL": 1}


def test_dev_abstract_recall_uses_row_strings(tmp_path: Path, monkeypatch) -> None:
    from miner.nlp.training import crosseval

    text = "Osimertinib after gefitinib in NSCLC: MET amplification was found."
    rows = [{"doc_id": "pmid:1", "drug": "osimertinib", "prior_drug": "gefitinib", "cancer": "NSCLC",
             "mechanism_genes": ["MET"], "evidence_quote": text, "offsets": {"evidence_quote": [0, len(text)]}},
            {"doc_id": "pmid:1", "drug": "anti-EGFR plus chemotherapy", "prior_drug": "", "cancer": "",
             "mechanism_genes": [], "evidence_quote": text, "offsets": {"evidence_quote": [0, len(text)]}}]
    (tmp_path / "abstracts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "split.json").write_text(json.dumps({"dev": ["1"], "train": []}))
    monkeypatch.setattr(crosseval, "_abstract_texts", lambda path=None: {"pmid:1": text})
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": "CHEMICAL", "pattern": "Osimertinib"},
        {"label": "DISEASE", "pattern": "NSCLC"},
        {"label": "GENE", "pattern": "MET"},
    ])
    s = crosseval.evaluate_dev_abstracts(nlp, dev_dir=tmp_path)
    dev = s["dev"]
    assert dev["drug"]["gold"] == 2 and dev["drug"]["recall_overlap"] == 50.0  # gefitinib missed
    assert dev["drug"]["not_located"] == 2  # "anti-EGFR", "chemotherapy" paraphrase no text span
    assert dev["cancer"]["recall_exact"] == 100.0 and dev["gene"]["recall_exact"] == 100.0
    assert s["missed_dev"] == ["drug: 'gefitinib' (pmid:1)"]


def _has_models() -> bool:
    return (DEFAULT_MODELS_DIR / "core" / "meta.json").is_file()


@pytest.mark.skipif(not _has_models(), reason="no trained models under models/")
def test_full_pipeline_oncology_sentences() -> None:
    full = load()
    doc = full("Patients with ALK-rearranged lung cancer received crizotinib; Melanomas, CML and GIST were excluded.")
    found = ents(doc)
    assert found.get("lung cancer") == "DISEASE"
    assert not any(e.label_ == "GENE" and "lung" in e.text for e in doc.ents)
    for text in ("Melanomas", "CML", "GIST"):
        assert found.get(text) == "DISEASE", (text, found)


def test_annotate_record_carries_the_normalized_cancer(nlp: Language) -> None:
    from miner.nlp.records import doc_record

    record = doc_record(nlp("Dasatinib was given in CML."))
    cml = next(e for e in record["entities"] if e["text"] == "CML")
    assert cml["label"] == "DISEASE" and cml["cancer_name"] == "chronic myeloid leukemia"
    assert cml["cancer_id"].startswith(("MESH:", "cancer:"))
