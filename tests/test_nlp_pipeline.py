"""The pipeline: entities, ids, classes and abbreviations on written sentences; load() caching; bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from miner.errors import MinerError
from miner.nlp.pipeline import DEFAULT_MODELS_DIR, _pipelines, check_length, load, rules_only_pipeline
from miner.nlp.records import doc_record

LABELS = {"CHEMICAL", "DISEASE", "GENE", "VARIANT"}


@pytest.fixture(scope="module")
def nlp() -> Language:
    return rules_only_pipeline()


def chemicals(doc) -> dict[str, tuple[str, str | None]]:
    return {e.text: (e.kb_id_, e._.drug_label) for e in doc.ents if e.label_ == "CHEMICAL"}


def test_drugs_regimens_classes_are_linked(nlp: Language) -> None:
    doc = nlp(
        "After progression on gefitinib, osimertinib was given; FOLFOX and first-generation EGFR-TKIs "
        "were compared with taxanes and anti-PD-1 antibodies."
    )
    chem = chemicals(doc)
    assert chem["gefitinib"] == ("DB00317", "DRUG")
    assert chem["osimertinib"] == ("DB09330", "DRUG")
    assert chem["FOLFOX"] == ("regimen:folfox", "REGIMEN")
    assert chem["first-generation EGFR-TKIs"] == ("class:egfr_tki_1g", "DRUG_CLASS")
    assert chem["taxanes"] == ("class:taxane", "DRUG_CLASS")
    assert chem["anti-PD-1 antibodies"] == ("class:anti_pd1", "DRUG_CLASS")
    ents = {e.text: e for e in doc.ents}
    assert ents["gefitinib"]._.drug_ids == ("DB00317",)
    assert ents["taxanes"]._.class_id == "class:taxane"
    assert "DB01248" in ents["taxanes"]._.member_ids  # docetaxel
    assert set(ents["FOLFOX"]._.member_ids) == {"DB00544", "DB00526", "DB00650"}
    assert {e.label_ for e in doc.ents} <= LABELS


def test_brand_and_slash_compound(nlp: Language) -> None:
    chem = chemicals(nlp("Herceptin plus carboplatin/cisplatin."))
    assert chem["Herceptin"] == ("DB00072", "DRUG")
    assert chem["carboplatin"][0] == "DB00958" and chem["cisplatin"][0] == "DB00515"


def test_common_words_and_gene_names_are_not_drugs(nlp: Language) -> None:
    doc = nlp("The same patients met the criteria; HER2 and EGFR were measured as part of the date.")
    assert [e.text for e in doc.ents if e.label_ == "CHEMICAL"] == []


def test_abbreviation_from_long_form(nlp: Language) -> None:
    """A short form the lexicon does not match (ambiguous "SG") is linked through its definition."""
    doc = nlp("Sacituzumab govitecan (SG) was given. Later, SG was stopped.")
    sg = [e for e in doc.ents if e.text == "SG"]
    assert len(sg) == 2
    assert all(e.kb_id_ == "DB12893" and e._.link_source == "abbreviation" for e in sg)
    assert all(str(e._.long_form) == "Sacituzumab govitecan" for e in sg)


def test_abbreviation_tdm1_gets_long_form(nlp: Language) -> None:
    doc = nlp("Trastuzumab emtansine (T-DM1) was used; T-DM1 failed after a year.")
    tdm1 = [e for e in doc.ents if e.text == "T-DM1"]
    assert len(tdm1) == 2 and all(e.kb_id_ == "DB05773" for e in tdm1)
    assert all(str(e._.long_form) == "Trastuzumab emtansine" for e in tdm1)
    record = doc_record(doc)
    assert {"short": "T-DM1", "long": "Trastuzumab emtansine"} in record["abbreviations"]


def test_abbreviation_defined_as_something_else_is_not_a_drug(nlp: Language) -> None:
    doc = nlp("The apparent diffusion coefficient (ADC) rose. ADC values were higher.")
    assert not any(e.label_ == "CHEMICAL" for e in doc.ents)
    doc = nlp("ADCs such as T-DXd were active.")
    assert chemicals(doc)["ADCs"] == ("class:adc", "DRUG_CLASS")


def test_records_carry_classes(nlp: Language) -> None:
    record = doc_record(nlp("Osimertinib was given."))
    (ent,) = record["entities"]
    assert ent["id"] == "DB09330" and "class:egfr_tki_3g" in ent["classes"]


def test_empty_and_whitespace_text(nlp: Language) -> None:
    assert list(nlp("").ents) == []
    assert list(nlp("   \n ").ents) == []


def test_text_too_long_is_a_clear_error(nlp: Language) -> None:
    text = "gefitinib " * 500_000  # 5 MB
    with pytest.raises(MinerError, match="characters"):
        check_length(text, nlp)
    with pytest.raises(MinerError, match="at most 1,000,000"):
        check_length(text)
    check_length("gefitinib", nlp)


def test_missing_models_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MinerError, match="does not exist"):
        load(tmp_path / "nowhere")
    with pytest.raises(MinerError, match="miner models train"):
        load(tmp_path)  # exists, but holds no trained pipeline


def _has_models() -> bool:
    pipelines = _pipelines(DEFAULT_MODELS_DIR) if DEFAULT_MODELS_DIR.is_dir() else []
    return any("parser" in meta.get("pipeline", []) for _, meta in pipelines)


@pytest.mark.skipif(not _has_models(), reason="no trained models under models/ yet (miner models train)")
def test_load_full_pipeline_once() -> None:
    first = load()
    assert load() is first
    assert load(DEFAULT_MODELS_DIR) is first
    names = first.pipe_names
    assert "parser" in names and "miner_drug_linker" in names and "miner_variants" in names
    doc = first("Osimertinib was given after gefitinib to patients with EGFR T790M lung cancer.")
    assert {e.label_ for e in doc.ents} <= LABELS
    chem = chemicals(doc)
    assert chem["Osimertinib"][0] == "DB09330" and chem["gefitinib"][0] == "DB00317"
    assert any(e.label_ == "VARIANT" and e.text == "T790M" for e in doc.ents)
    assert all(t.tag_ for t in doc)  # tagger ran


def test_ner_outputs_are_merged_without_loss() -> None:
    """Two NER components (rule stand-ins here) each stash their entities; the merge keeps the union, prefers the
    longer span, and settles same-extent label clashes with the lexicon (HER2 is a gene, not a chemical)."""
    import spacy

    import miner.nlp.pipeline  # noqa: F401  (registers miner_stash_ents / miner_merge_ner)

    nlp = spacy.blank("en")
    first = nlp.add_pipe("entity_ruler", name="ner_first")
    first.add_patterns([
        {"label": "CHEMICAL", "pattern": "HER2"},
        {"label": "DISEASE", "pattern": "breast cancer"},
        {"label": "CHEMICAL", "pattern": "cisplatin"},
    ])
    nlp.add_pipe("miner_stash_ents", name="stash_first", config={"group": "ner:first"})
    second = nlp.add_pipe("entity_ruler", name="ner_second")
    second.add_patterns([
        {"label": "GENE", "pattern": "HER2"},
        {"label": "DISEASE", "pattern": [{"LOWER": "metastatic"}, {"LOWER": "breast"}, {"LOWER": "cancer"}]},
        {"label": "GENE", "pattern": "KEAP1"},
    ])
    nlp.add_pipe("miner_stash_ents", name="stash_second", config={"group": "ner:second"})
    nlp.add_pipe("miner_merge_ner")
    doc = nlp("HER2 metastatic breast cancer treated with cisplatin despite KEAP1")
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("HER2", "GENE"),
        ("metastatic breast cancer", "DISEASE"),
        ("cisplatin", "CHEMICAL"),
        ("KEAP1", "GENE"),
    ]


def test_gene_normalizer_on_gene_entities() -> None:
    import spacy

    import miner.nlp.genes  # noqa: F401  (registers miner_gene_normalizer)

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "GENE", "pattern": [{"LOWER": "her2"}, {"LOWER": "gene"}]},
        {"label": "GENE", "pattern": "NRF2"},
        {"label": "GENE", "pattern": "P-gp"},
        {"label": "GENE", "pattern": "ZNF999"},
    ])
    nlp.add_pipe("miner_gene_normalizer")
    doc = nlp("The HER2 gene, NRF2 and P-gp but not ZNF999 .")
    assert [(e.text, e._.gene_id) for e in doc.ents] == [
        ("HER2 gene", "ERBB2"), ("NRF2", "NFE2L2"), ("P-gp", "ABCB1"), ("ZNF999", None),
    ]
