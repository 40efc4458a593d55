"""VARIANT patterns: a table of positive and negative examples, gene attachment, overlap policy."""

from __future__ import annotations

import pytest
from spacy.language import Language

from miner.nlp.pipeline import rules_only_pipeline


@pytest.fixture(scope="module")
def nlp() -> Language:
    return rules_only_pipeline()


def variants(nlp: Language, text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.text, e._.variant_type, e._.gene_ids) for e in nlp(text).ents if e.label_ == "VARIANT"]


POSITIVES = [
    # text, expected VARIANT span, type, genes
    ("Resistance emerged through EGFR T790M.", "T790M", "protein_change", ("EGFR",)),
    ("The ERBB2 L755S mutation confers resistance.", "L755S", "protein_change", ("ERBB2",)),
    ("KRAS G12C was detected.", "G12C", "protein_change", ("KRAS",)),
    ("Tertiary C797S mutations arise.", "C797S", "protein_change", ()),
    ("BRAF V600E melanoma", "V600E", "protein_change", ("BRAF",)),
    ("EGFR-T790M positive tumours", "EGFR-T790M", "protein_change", ("EGFR",)),
    ("A p.Thr790Met substitution was found.", "p.Thr790Met", "protein_change", ()),
    ("We found p.(Gly12Cys) in codon 12.", "p.(Gly12Cys)", "protein_change", ()),
    ("The EGFR E746_A750del deletion.", "E746_A750del", "protein_change", ("EGFR",)),
    ("Sequencing showed c.2369C>T in exon 20.", "c.2369C>T", "dna_change", ()),
    ("The variant rs121434568 was genotyped.", "rs121434568", "dna_change", ()),
    ("Patients with EGFR exon 19 deletions responded.", "exon 19 deletions", "exon_alteration", ("EGFR",)),
    ("An exon 20 insertion was present.", "exon 20 insertion", "exon_alteration", ()),
    ("MET exon 14 skipping mutations", "exon 14 skipping", "exon_alteration", ("MET",)),
    ("Tumours with ex19del were sensitive.", "ex19del", "exon_alteration", ()),
    ("del19 and L858R were common.", "del19", "exon_alteration", ()),
    ("AR-V7 expression predicts resistance.", "AR-V7", "splice_variant", ("AR",)),
    ("ARv7 positive CTCs", "ARv7", "splice_variant", ("AR",)),
    ("the AR-V567es isoform", "AR-V567es", "splice_variant", ("AR",)),
    ("EML4-ALK positive NSCLC", "EML4-ALK", "fusion", ("EML4", "ALK")),
    ("the BCR-ABL kinase", "BCR-ABL", "fusion", ("BCR", "ABL1")),
    ("CCDC6-RET rearranged tumours", "CCDC6-RET", "fusion", ("CCDC6", "RET")),
    ("TMPRSS2:ERG fusion positive", "TMPRSS2:ERG fusion", "fusion", ("TMPRSS2", "ERG")),
    ("patients with ROS1 rearrangements", "ROS1 rearrangements", "fusion", ("ROS1",)),
    ("HER2 amplification was lost.", "HER2 amplification", "amplification", ("ERBB2",)),
    ("MET amplification drives bypass.", "MET amplification", "amplification", ("MET",)),
    ("Loss of PTEN reduced sensitivity.", "Loss of PTEN", "loss", ("PTEN",)),
    ("PTEN loss reduced sensitivity.", "PTEN loss", "loss", ("PTEN",)),
    ("RB1 loss causes CDK4/6i resistance.", "RB1 loss", "loss", ("RB1",)),
    ("HER2 loss after T-DM1.", "HER2 loss", "loss", ("ERBB2",)),
]


@pytest.mark.parametrize("text, span, vtype, genes", POSITIVES)
def test_variant_positive(nlp: Language, text: str, span: str, vtype: str, genes: tuple[str, ...]) -> None:
    assert (span, vtype, genes) in variants(nlp, text)


NEGATIVES = [
    "T47D cells were treated with tamoxifen.",  # a cell line, not a substitution
    "NCI-H295R adrenocortical cells",  # a cell line containing a substitution-like string
    "E2F and S1P levels rose.",  # gene / lipid names with one-digit positions
    "Patients received 250 mg daily for 12 weeks.",
    "EGFR/ALK wild-type tumours",  # "or", not a fusion
    "first-generation EGFR-TKI treatment",  # a drug class
    "PD-L1 expression was high in the A549 line.",
    "Weight loss and hair loss were reported.",  # loss of a non-gene
    "The HER2-positive subtype was studied.",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_variant_negative(nlp: Language, text: str) -> None:
    assert variants(nlp, text) == []


def test_gene_stays_separate_from_protein_change(nlp: Language) -> None:
    """Documented choice: "EGFR T790M" -> the VARIANT is "T790M"; EGFR is only attached as a gene id."""
    doc = nlp("EGFR T790M was found.")
    (variant,) = [e for e in doc.ents if e.label_ == "VARIANT"]
    assert variant.text == "T790M" and variant._.gene_ids == ("EGFR",)


def test_drug_class_wins_over_variant(nlp: Language) -> None:
    doc = nlp("KRAS G12C inhibitors such as sotorasib.")
    labels = [(e.text, e.label_) for e in doc.ents]
    assert ("KRAS G12C inhibitors", "CHEMICAL") in labels
    assert all(label != "VARIANT" for _, label in labels)


def test_variants_in_parentheses_and_lists(nlp: Language) -> None:
    found = {v[0] for v in variants(nlp, "double mutants (L858R/T790M) and (C797S).")}
    assert {"L858R", "T790M", "C797S"} <= found


def test_variant_scoring_against_biored_style_pubtator(tmp_path) -> None:
    """evaluate_variants: exact spans, and overlap (precision over predictions, recall over gold mentions)."""
    import gzip

    import spacy

    from miner.nlp.training.evaluate import evaluate_variants

    text = "Title. EGFR T790M and a G-->A substitution at codon 12 were found with rs123."
    start = text.index("G-->A")
    gold = [("T790M", "SequenceVariant"), ("G-->A substitution at codon 12", "SequenceVariant"), ("EGFR", "GeneOrGeneProduct")]
    rows = [f"1\t{text.index(m)}\t{text.index(m) + len(m)}\t{m}\t{t}\tx" for m, t in gold]
    path = tmp_path / "Test.PubTator.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("1|t|Title.\n1|a|" + text[len("Title. "):] + "\n" + "\n".join(rows) + "\n\n")
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": "VARIANT", "pattern": "T790M"},
        {"label": "VARIANT", "pattern": [{"TEXT": "G-->A"}]},
        {"label": "VARIANT", "pattern": "rs123"},
        {"label": "GENE", "pattern": "EGFR"},
    ])
    assert text[start:start + 5] == "G-->A"
    s = evaluate_variants(nlp, path)
    assert s["gold"] == 2 and s["predicted"] == 3
    assert (s["exact"]["tp"], s["exact"]["fp"], s["exact"]["fn"]) == (1, 2, 1)
    assert s["overlap"]["gold_hit"] == 2 and s["overlap"]["pred_hit"] == 2
    assert s["overlap"]["r"] == 100.0 and s["overlap"]["p"] == round(200 / 3, 2)
