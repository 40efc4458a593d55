"""The constructions added for real PubMed text (issue 14 section 3-5), on sentences written for the tests.

Each construction is tested in its plain, negated, hedged and reversed forms where they exist; the pure
pieces (cell-line codes, gene vocabulary, mechanism lists, context scope) are tested without the pipeline.
"""

from __future__ import annotations

import pytest

from miner.extract.celllines import DrugName, find_line_code, resolve_code
from miner.extract.units import PROCESS_CLASS, SELECTED_LINE_CLASS
from miner.lexicon.genes import fusion_kinase, is_symbol, split_fusion, variant_genes


@pytest.fixture(scope="module")
def nlp():
    from miner.nlp import load

    return load()


def read(nlp, text: str):
    from miner.extract import extract_text

    return extract_text(text, nlp=nlp)


def triples(found):
    return {(f.drug, f.prior_drug, f.effect) for f in found}


# -- drug-selected cell lines ----------------------------------------------------------------------------------

NAMED = [DrugName("gefitinib", "DRUG", ["DB00317"]), DrugName("crizotinib", "DRUG", ["DB08865"]),
         DrugName("doxorubicin", "DRUG", ["DB00997"])]


def _lexicon(text: str):
    return {"CDDP": ("DRUG", ["DB00515"])}.get(text)


@pytest.mark.parametrize(
    "tokens, spaces, code, drug",
    [
        (["MCF-7/Dox", "cells"], [True, False], "Dox", "DB00997"),
        (["H2228", "/", "CR", "cells"], [False, False, True, False], "CR", "DB08865"),
        (["HCC827", "GR", "cells"], [True, True, False], "GR", "DB00317"),
        (["PC9GR", "cells"], [True, False], "GR", "DB00317"),
        (["UKF-NB-3rCDDP1000", "cells"], [True, False], "CDDP", "DB00515"),
    ],
)
def test_cell_line_codes(tokens, spaces, code, drug):
    found = find_line_code(tokens, spaces, 0, _lexicon, NAMED)
    assert found is not None and found.code == code and found.drug.ids == [drug]
    joined = "".join(t + (" " if s else "") for t, s in zip(tokens, spaces))
    assert joined[found.code_start:found.code_end] == code


@pytest.mark.parametrize(
    "tokens, spaces",
    [
        (["MCF-7", "cells"], [True, False]),                 # no code
        (["HCC827", "GR", "signalling"], [True, True, False]),  # no population word, code not a lexicon drug
        (["A549/Xyz", "cells"], [True, False]),               # code resolves to nothing
        (["T790M", "cells"], [True, False]),                  # a variant, not a line
    ],
)
def test_not_cell_line_codes(tokens, spaces):
    assert find_line_code(tokens, spaces, 0, _lexicon, NAMED) is None


def test_ambiguous_initial_is_not_resolved():
    named = NAMED + [DrugName("gemcitabine", "DRUG", ["DB00441"])]
    assert resolve_code("GR", _lexicon, named) is None


def test_selected_line_classes_have_their_roles():
    from miner.extract.grammar import load_grammar

    grammar = load_grammar()
    assert SELECTED_LINE_CLASS in grammar.classes_with("resistant_after")
    assert PROCESS_CLASS not in grammar.classes  # a builtin class, assigned by the reader


def test_cell_line_sentences(nlp):
    text = "Crizotinib-resistant H2228 cells (H2228/CR) were established. H2228/CR cells showed cross-resistance to alectinib."
    (f,) = read(nlp, text)
    assert (f.drug, f.prior_drug, f.effect) == ("alectinib", "CR", "cross_resistance")
    assert text[slice(*f.offsets["prior_drug"])] == "CR" and f.prior_drug_ids == ["DB08865"]
    negated = read(nlp, "Gefitinib-resistant HCC827 GR cells were not cross-resistant to afatinib.")
    assert triples(negated) == {("afatinib", "GR", "no_cross_resistance")}


# -- not only ... but also ---------------------------------------------------------------------------------------

def test_not_only_but_also(nlp):
    found = read(nlp, "The cells were resistant not only to cisplatin but also to oxaliplatin and carboplatin.")
    assert triples(found) == {("oxaliplatin", "cisplatin", "cross_resistance"),
                              ("carboplatin", "cisplatin", "cross_resistance")}
    hedged = read(nlp, "The cells may be resistant not only to cisplatin but also to oxaliplatin.")
    assert [f.hedged for f in hedged] == [True]
    assert read(nlp, "The cells were sensitive not only to cisplatin but also to oxaliplatin.") == []


# -- carriers of an alteration ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, drug, gene",
    [
        ("Tumors with the KIT D816V mutation are resistant to imatinib.", "imatinib", "KIT"),
        ("Cells expressing BRAF V600E demonstrated resistance to erlotinib.", "erlotinib", "BRAF"),
        ("Patients with KRAS mutations do not benefit from panitumumab.", "panitumumab", "KRAS"),
    ],
)
def test_carrier_is_resistant(nlp, text, drug, gene):
    (f,) = read(nlp, text)
    assert (f.drug, f.prior_drug, f.effect) == (drug, "", "resistance") and gene in f.mechanism_genes


def test_carrier_negated_and_indication(nlp):
    assert read(nlp, "Tumors with KRAS mutations were not refractory to cetuximab.") == []
    assert read(nlp, "Patients with HER2 who do not respond to trastuzumab were enrolled.") == []


# -- mechanisms right ------------------------------------------------------------------------------------------

def test_mechanism_genes_are_symbols():
    assert is_symbol("TP53") and is_symbol("MGMT") and not is_symbol("PARP") and not is_symbol("n=10")
    assert not is_symbol("CDK4/6 protein")
    assert split_fusion("CD74-ROS1") == ("CD74", "ROS1") and fusion_kinase("CD74::ROS1") == "ROS1"
    assert fusion_kinase("BCR::ABL1") == "ABL1" and fusion_kinase("FGFR3::TACC3") == "FGFR3"
    assert variant_genes().get("T790M") == "EGFR"


@pytest.mark.parametrize(
    "text, genes",
    [
        ("The BCR-ABL1 T315I mutation confers resistance to imatinib.", [["ABL1"]]),
        ("The H1047R mutation confers resistance to alpelisib.", [["PIK3CA"]]),
        ("In ERBB2-mutant cancers, the L755S mutation confers resistance to lapatinib.", [["ERBB2"]]),
        ("PARP expression was associated with resistance to olaparib.", [[]]),
        ("KRAS, NRAS and BRAF mutations confer resistance to cetuximab.", [["KRAS"], ["NRAS"], ["BRAF"]]),
    ],
)
def test_mechanism_genes(nlp, text, genes):
    found = [f for f in read(nlp, text) if f.effect == "resistance"]
    assert sorted(f.mechanism_genes for f in found) == sorted(genes)


def test_named_process_is_a_mechanism(nlp):
    (f,) = read(nlp, "Epithelial-mesenchymal transition leads to crizotinib resistance in lung cancer cells.")
    assert (f.drug, f.mechanism_type, f.mechanism_genes) == ("crizotinib", "phenotypic_transformation", [])


def test_overcome_carries_the_mechanism(nlp):
    found = read(nlp, "Osimertinib overcomes T790M-mediated resistance to gefitinib.")
    seq = [f for f in found if f.prior_drug]
    assert [(f.drug, f.prior_drug, f.effect, f.mechanism_genes) for f in seq] == [
        ("Osimertinib", "gefitinib", "no_cross_resistance", ["EGFR"])]


# -- context scoped to the statement ---------------------------------------------------------------------------

def test_cancer_from_own_section_before_other_sections(nlp):
    text = ("Title about resistance\nBACKGROUND: Melanoma is common.\n"
            "RESULTS: In lung cancer cells, gefitinib-resistant cells were cross-resistant to erlotinib.")
    (f,) = read(nlp, text)
    assert f.cancer == "lung cancer"
    text2 = ("Title about resistance\nBACKGROUND: Breast cancer cells were studied in vitro.\n"
             "RESULTS: Tamoxifen-resistant cells were cross-resistant to fulvestrant.\n"
             "CONCLUSIONS: Colorectal cancer is different.")
    (g,) = read(nlp, text2)
    assert g.cancer == "Breast cancer"


# -- outcome figures and crossover ------------------------------------------------------------------------------

def test_outcome_figure_after_prior(nlp):
    found = read(nlp, "In patients who had progressed on sunitinib, axitinib achieved an objective response rate of 11%.")
    assert triples(found) == {("axitinib", "sunitinib", "no_cross_resistance")}
    assert read(nlp, "Patients who had progressed on sunitinib were randomised to receive axitinib or sorafenib.") == []


def test_crossover_after_placebo_arm(nlp):
    found = read(nlp, "Crossover olaparib showed limited activity in patients who progressed on placebo plus carboplatin.")
    assert triples(found) == {("olaparib", "carboplatin", "reduced_efficacy")}


def test_than_vice_versa_is_a_comparison(nlp):
    found = read(nlp, "Abiraterone after enzalutamide gave lower responses than vice versa.")
    assert triples(found) == {("Abiraterone", "enzalutamide", "reduced_efficacy")}
    assert not any(f.direction_bidirectional for f in found)


def test_caption_title_states_no_within_class_relation(nlp):
    assert read(nlp, "Cross-resistance in MAPK-targeted therapies.") == []
    assert triples(read(nlp, "Cross-resistance among taxanes is common.")) == {("taxanes", "taxanes", "cross_resistance")}


# -- drugs written by sponsor codes -----------------------------------------------------------------------------

from miner.extract.codenames import code_name_tokens, is_code_shape  # noqa: E402


@pytest.mark.parametrize("text", ["TAE684", "AZ628", "PD173074", "GDC-0941", "ARS-853", "PI-103", "VTX-11e", "AC220"])
def test_code_shapes(text):
    assert is_code_shape(text)


@pytest.mark.parametrize("text", ["HCC827", "BT474", "SNU-601", "CD133", "T790M", "L858R", "H2228", "A549",
                                  "NCT01968109", "KIAA1549", "HER2", "MCF-7"])
def test_not_code_shapes(text):
    assert not is_code_shape(text)


def test_code_names_stand_where_agents_stand():
    assert code_name_tokens("cells were resistant to TAE684 .".split()) == [(4, "TAE684")]
    # a list of codes after a class word, and a code glued to a drug affix
    assert [c for _, c in code_name_tokens("FGFR inhibitors AZ12908010 , PD173074 and AZD4547 were tested".split())] \
        == ["AZ12908010", "PD173074", "AZD4547"]
    assert code_name_tokens("AZ628-resistant cells".split()) == [(0, "AZ628")]
    # not in agent position, or naming a population
    assert code_name_tokens("TAE684 was tested".split()) == []
    assert code_name_tokens("treated with AZ628 cells".split()) == []


def test_code_name_findings(nlp):
    found = read(nlp, "Cells harboring the ALK R1275Q mutation were resistant to TAE684 and AZ628.")
    assert {(f.drug, f.effect) for f in found} == {("TAE684", "resistance"), ("AZ628", "resistance")}
    assert all(f.drug_ids == [] and "ALK" in f.mechanism_genes for f in found)
    negated = read(nlp, "Cells harboring the ALK R1275Q mutation were not resistant to TAE684.")
    assert all(f.effect != "resistance" for f in negated)
    # a cell line of the same shape is never an agent
    lines = read(nlp, "ALK R1275Q confers resistance to crizotinib in BT474 cells and in KU812 cells.")
    assert {f.drug for f in lines} == {"crizotinib"}


# -- a population's alteration named in the sentence before ----------------------------------------------------

def test_carrier_of_an_earlier_sentence(nlp):
    from miner.extract import get_reader
    from miner.extract.mechanism import find_carrier

    reader = get_reader(nlp)
    (sent,) = reader._sentences(nlp("Cells harboring the KRAS G12D mutation were implanted in mice."), 0)
    mech = find_carrier(sent.units, reader.cues)
    assert mech is not None and mech.genes == ["KRAS"] and mech.from_next_sentence
    (plain,) = reader._sentences(nlp("Cells were implanted in mice."), 0)
    assert find_carrier(plain.units, reader.cues) is None
    found = read(nlp, "Tumors with KRAS G12D were implanted. The tumors were resistant to cetuximab.")
    assert [(f.drug, f.effect, f.mechanism_genes) for f in found] == [("cetuximab", "resistance", ["KRAS"])]
    # the finding's quote is its own sentence; the mechanism's offsets point into the sentence before
    (f,) = found
    assert f.sentence == "The tumors were resistant to cetuximab." and f.offsets["mechanism"][1] < 35
    # two sentences back at most, and never from another paragraph
    far = "Tumors with KRAS G12D were implanted. They grew. Mice were treated. The tumors were resistant to cetuximab."
    assert read(nlp, far) == []
    assert read(nlp, "Tumors with KRAS G12D were implanted.\nThe tumors were resistant to cetuximab.") == []
