"""The statistical VARIANT recognizer (models/ner_variant) and how miner_variants combines it with the patterns.

The sentences are written for these tests (not taken from BioRED or the reviews).
"""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from miner.nlp.pipeline import DEFAULT_MODELS_DIR, load
from miner.nlp.training.registry import MODELS

LABELS = {"CHEMICAL", "DISEASE", "GENE", "VARIANT"}
MODEL_DIR = MODELS["ner_variant"].package_dir

#: (sentence, the VARIANT span the full pipeline must find, genes attached to it)
SENTENCES = [
    ("Resistance to osimertinib was traced to the EGFR T790M mutation in both biopsies.", "T790M", ("EGFR",)),
    ("Sequencing of the melanoma showed p.Val600Glu in BRAF.", "p.Val600Glu", ()),
    ("The c.2369C>T change was confirmed by droplet digital PCR.", "c.2369C>T", ()),
    ("Carriers of rs1042522 had a shorter time to progression on cisplatin.", "rs1042522", ()),
    ("Tumours with an exon 19 deletion responded to erlotinib for a median of ten months.", "exon 19 deletion", ()),
    ("KRAS G12C was present in a third of the colorectal samples we sequenced.", "G12C", ("KRAS",)),
]


def _sane(span) -> bool:
    """A VARIANT span that starts on a word character (or the sign of a position: -308G/A) and ends on one, within
    one clause."""
    text = span.text
    return bool(text) and (text[0].isalnum() or text[0] in "-+*") and (text[-1].isalnum() or text[-1] in ")*") and len(span) <= 8 and (
        ";" not in text and ". " not in text)


@pytest.fixture(scope="module")
def full() -> Language:
    return load()


@pytest.fixture(scope="module")
def bare() -> Language:
    return spacy.load(MODEL_DIR)


def test_packaged_model_is_part_of_the_full_pipeline(full: Language, bare: Language) -> None:
    assert bare.pipe_names == ["ner_variant"]
    assert set(bare.get_pipe("ner_variant").labels) == {"VARIANT"}
    assert "ner_variant" in full.pipe_names and "stash_ner_variant" in full.pipe_names
    assert full.pipe_names.index("ner_variant") < full.pipe_names.index("miner_merge_ner") < full.pipe_names.index(
        "miner_variants")
    assert load(DEFAULT_MODELS_DIR) is full


#: run in a fresh interpreter: each package must work with plain spacy.load, with no more of miner than the
#: ``spacy_factories`` entry point of ner_cdr's voting component imports
PLAIN_LOAD = """
import json, sys, spacy
from pathlib import Path
found = {}
for meta in sorted(Path(sys.argv[1]).glob("*/meta.json")):
    nlp = spacy.load(meta.parent)
    doc = nlp("The EGFR T790M mutation was detected in the tumour of a patient treated with cisplatin.")
    found[meta.parent.name] = {"tokens": len(doc), "ents": [[e.text, e.label_] for e in doc.ents],
                               "vectors": list(nlp.vocab.vectors.shape)}
print(json.dumps({"found": found, "miner": sorted(m for m in sys.modules if m.split(".")[0] == "miner")}))
"""


def test_every_package_runs_with_plain_spacy_load() -> None:
    """Every package in models/ loads with spacy.load alone and runs on text (ner_cdr's factory comes from miner's
    entry point, not from miner's pipeline assembly); ner_variant stores the static vectors it was trained with (the
    same table as ner_cdr) and finds the VARIANT."""
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", PLAIN_LOAD, str(DEFAULT_MODELS_DIR)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "miner.nlp.ensemble" in result["miner"]  # found through the spacy_factories entry point
    assert not [m for m in result["miner"] if m.startswith(("miner.nlp.pipeline", "miner.nlp.training", "miner.cli"))]
    found = result["found"]
    assert set(MODELS) <= set(found)
    assert all(r["tokens"] > 10 for r in found.values())
    assert ["T790M", "VARIANT"] in found["ner_variant"]["ents"]
    assert found["ner_variant"]["vectors"] == found["ner_cdr"]["vectors"] and found["ner_variant"]["vectors"][0] > 0


@pytest.mark.parametrize("text,span,genes", SENTENCES)
def test_full_pipeline_finds_variants_with_sane_boundaries(full: Language, text: str, span: str, genes: tuple) -> None:
    doc = full(text)
    assert {e.label_ for e in doc.ents} <= LABELS
    variants = [e for e in doc.ents if e.label_ == "VARIANT"]
    assert span in [e.text for e in variants]
    (found,) = [e for e in variants if e.text == span]
    assert found._.variant_type and found._.link_source in ("pattern", "ner")
    assert set(genes) <= set(found._.gene_ids)
    assert all(_sane(e) for e in variants)
    # every span lies on token boundaries of the shared tokenizer
    assert all(doc.char_span(e.start_char, e.end_char) is not None for e in doc.ents)


def test_bare_model_finds_most_variants_alone(bare: Language) -> None:
    """Without the patterns the model still tags most of the written variants, with sane boundaries."""
    hits = 0
    for text, span, _ in SENTENCES:
        ents = [e for e in bare(text).ents]
        assert all(e.label_ == "VARIANT" and _sane(e) for e in ents)
        hits += any(span in e.text or e.text in span for e in ents)
    assert hits >= 4


def test_model_span_beyond_the_patterns(full: Language) -> None:
    """A variant the patterns cannot read (a promoter SNP written as position + alleles) comes from the model."""
    doc = full("The TNF -308G/A polymorphism was not associated with response to infliximab.")
    variants = [e for e in doc.ents if e.label_ == "VARIANT"]
    assert variants and all(_sane(e) for e in variants)
    assert any("308G/A" in e.text and e._.link_source == "ner" for e in variants)


def test_no_variant_in_plain_clinical_text(full: Language) -> None:
    doc = full("Patients received carboplatin and paclitaxel every three weeks for six cycles.")
    assert [e.text for e in doc.ents if e.label_ == "VARIANT"] == []


# --- combination logic, with a rule stand-in for the model (no trained model needed) --------------------------


def _stand_in(combine: str) -> Language:
    import miner.nlp.pipeline  # noqa: F401  (registers miner_stash_ents / miner_merge_ner)
    from miner.nlp.pipeline import add_rule_components
    from miner.nlp.tokenizer import miner_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = miner_tokenizer(nlp)
    ruler = nlp.add_pipe("entity_ruler", name="ner_variant")
    ruler.add_patterns([  # phrase patterns: tokenized like the text ("T790M" is two tokens, "T790" "M")
        {"label": "VARIANT", "pattern": "T790M substitution"},
        {"label": "VARIANT", "pattern": "G-to-A transition"},
    ])
    nlp.add_pipe("miner_stash_ents", name="stash_ner_variant", config={"group": "ner:ner_variant"})
    nlp.add_pipe("miner_merge_ner")
    add_rule_components(nlp)
    nlp.get_pipe("miner_variants").combine = combine
    return nlp


TEXT = "An EGFR T790M substitution and a G-to-A transition were found, with HER2 amplification."


def _variants(nlp: Language) -> list[tuple[str, str, tuple[str, ...], str]]:
    doc = nlp(TEXT)
    return [(e.text, e._.variant_type, e._.gene_ids, e._.link_source) for e in doc.ents if e.label_ == "VARIANT"]


def test_model_first_keeps_model_spans_and_patterns_fill_the_rest() -> None:
    found = _variants(_stand_in("model_first"))
    assert ("T790M substitution", "protein_change", ("EGFR",), "ner") in found
    assert ("G-to-A transition", "sequence_variant", (), "ner") in found
    assert ("HER2 amplification", "amplification", ("ERBB2",), "pattern") in found
    assert len(found) == 3


def test_patterns_first_keeps_pattern_spans() -> None:
    found = _variants(_stand_in("patterns_first"))
    assert ("T790M", "protein_change", ("EGFR",), "pattern") in found
    assert ("G-to-A transition", "sequence_variant", (), "ner") in found
    assert len(found) == 3


def test_model_span_takes_a_gene_only_when_it_strictly_covers_it() -> None:
    import miner.nlp.pipeline  # noqa: F401
    from miner.nlp.pipeline import add_rule_components
    from miner.nlp.tokenizer import miner_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = miner_tokenizer(nlp)
    genes = nlp.add_pipe("entity_ruler", name="ner_gene")
    genes.add_patterns([{"label": "GENE", "pattern": "calbindin-D28K"}, {"label": "GENE", "pattern": "TP53"}])
    nlp.add_pipe("miner_stash_ents", name="stash_ner_gene", config={"group": "ner:ner_gene"})
    variants = nlp.add_pipe("entity_ruler", name="ner_variant")
    variants.add_patterns([{"label": "VARIANT", "pattern": "calbindin-D28K"},
                           {"label": "VARIANT", "pattern": "TP53 codon 72 polymorphism"}])
    nlp.add_pipe("miner_stash_ents", name="stash_ner_variant", config={"group": "ner:ner_variant"})
    nlp.add_pipe("miner_merge_ner")
    add_rule_components(nlp)
    doc = nlp("The calbindin-D28K promoter and the TP53 codon 72 polymorphism.")
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("calbindin-D28K", "GENE"), ("TP53 codon 72 polymorphism", "VARIANT")]


def test_drug_class_still_wins_over_the_model(full: Language) -> None:
    doc = full("KRAS G12C inhibitors such as sotorasib were given after chemotherapy.")
    assert ("KRAS G12C inhibitors", "CHEMICAL") in [(e.text, e.label_) for e in doc.ents]
    assert all(e.label_ != "VARIANT" for e in doc.ents)


def test_unknown_combine_mode_is_refused() -> None:
    from miner.nlp.variants import VariantTagger

    with pytest.raises(ValueError):
        VariantTagger(combine="both")
