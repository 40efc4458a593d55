"""One test per construction of the rule-based reader, on sentences written for the tests.

The reader is tested on a rule-only pipeline (the project tokenizer, a sentencizer,
the project's lexicon drug linker and a small gene/disease EntityRuler) so that these
tests check the extraction rules, not the accuracy of a statistical model; the
end-to-end tests in test_extract_e2e.py run the trained pipeline.
"""

from __future__ import annotations

import pytest
import spacy

from miner.extract import extract_text, findings_to_dataframe, get_reader
from miner.schema import validation_errors

GENES = ["KEAP1", "EGFR", "AR-V7", "ABCB1", "HER2", "MET", "PTEN", "BRCA2"]


@pytest.fixture(scope="module")
def nlp():
    import miner.nlp.drug_linker  # noqa: F401  (registers the factory)
    from miner.nlp.tokenizer import miner_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = miner_tokenizer(nlp)
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [{"label": "GENE", "pattern": g} for g in GENES]
        + [{"label": "VARIANT", "pattern": v} for v in ("T790M", "C797S")]
        + [
            {"label": "DISEASE", "pattern": [{"LOWER": w} for w in d.split()]}
            for d in ("lung cancer", "prostate cancer", "breast cancer", "ovarian cancer")
        ]
    )
    nlp.add_pipe("miner_drug_linker")
    return nlp


def read(nlp, text: str):
    findings = extract_text(text, doc_id="text:test", nlp=nlp)
    for f in findings:
        assert validation_errors(f.to_dict()) == []
        for role, (s, e) in f.offsets.items():
            assert 0 <= s < e <= len(text), role
    return findings


def one(nlp, text: str):
    findings = read(nlp, text)
    assert len(findings) == 1, [(f.drug, f.prior_drug, f.effect, f.rule) for f in findings]
    return findings[0]


def pairs(findings):
    return {(f.drug.lower(), f.prior_drug.lower(), f.effect) for f in findings}


# -- explicit cross-resistance ------------------------------------------------------------------------------


def test_resistant_cells_cross_resistant_to_list(nlp):
    text = "Gefitinib-resistant cells were cross-resistant to osimertinib and erlotinib."
    found = read(nlp, text)
    assert pairs(found) == {
        ("osimertinib", "gefitinib", "cross_resistance"),
        ("erlotinib", "gefitinib", "cross_resistance"),
    }
    f = found[0]
    assert f.rule == "xres_resistant_to" and f.evidence_level == "in_vitro"
    assert text[slice(*f.offsets["prior_drug"])] == "Gefitinib"
    assert f.prior_drug_ids == ["DB00317"] and not f.negated and not f.hedged


def test_reversed_roles(nlp):
    f = one(nlp, "Osimertinib-resistant cells were cross-resistant to gefitinib.")
    assert (f.drug, f.prior_drug) == ("gefitinib", "Osimertinib")


def test_negated_cross_resistance(nlp):
    f = one(nlp, "Cells resistant to paclitaxel did not show cross-resistance to cisplatin.")
    assert (f.drug, f.prior_drug, f.effect, f.negated) == ("cisplatin", "paclitaxel", "no_cross_resistance", True)


def test_no_cross_resistance_between_with_en_dash(nlp):
    f = one(nlp, "There was no cross–resistance between docetaxel and cabazitaxel in prostate cancer cells.")
    assert (f.drug, f.prior_drug, f.effect) == ("cabazitaxel", "docetaxel", "no_cross_resistance")
    assert f.rule == "xres_between" and f.cancer == "prostate cancer"
    assert not f.direction_bidirectional  # "between" alone does not state both directions


def test_hedged_cross_resistance_with_splice_variant(nlp):
    f = one(nlp, "Cross-resistance between enzalutamide and abiraterone may be mediated by AR-V7.")
    assert f.hedged and f.effect == "cross_resistance"
    assert f.mechanism == "AR-V7" and f.mechanism_type == "splice_variant"
    assert f.confidence < 0.85  # hedging lowers the confidence


#: (sentence, (drug, prior drug, effect)) of one finding each: one construction per row
PAIR_EFFECT_SENTENCES = [
    pytest.param("Acquired resistance to vemurafenib conferred cross-resistance to dabrafenib.",
                 ("dabrafenib", "vemurafenib", "cross_resistance"), id="resistance_confers_resistance"),
    pytest.param("We observed cross-resistance to docetaxel in paclitaxel-resistant cells.",
                 ("docetaxel", "paclitaxel", "cross_resistance"), id="cross_resistance_in_resistant_cells"),
    pytest.param("In patients who progressed on trastuzumab, lapatinib retained activity.",
                 ("lapatinib", "trastuzumab", "no_cross_resistance"), id="after_progression_retained_activity"),
    pytest.param("Post-abiraterone, enzalutamide showed limited activity in a phase II trial.",
                 ("enzalutamide", "abiraterone", "reduced_efficacy"), id="post_prefix"),
    pytest.param("Response to abiraterone was lower in docetaxel-pretreated than in docetaxel-naive patients.",
                 ("abiraterone", "docetaxel", "reduced_efficacy"), id="naive_versus_pretreated"),
    pytest.param("Paclitaxel-resistant cells showed enhanced susceptibility to cisplatin.",
                 ("cisplatin", "Paclitaxel", "collateral_sensitivity"), id="enhanced_susceptibility_is_collateral_sensitivity"),
    pytest.param("Imatinib-resistant cells were less sensitive to nilotinib.",
                 ("nilotinib", "Imatinib", "cross_resistance"), id="less_sensitive_is_cross_resistance"),
    pytest.param("Response rates to cetuximab were lower in patients previously treated with panitumumab.",
                 ("cetuximab", "panitumumab", "reduced_efficacy"), id="outcome_noun_with_lower"),
    pytest.param("Patients pretreated with sunitinib still benefit from axitinib.",
                 ("axitinib", "sunitinib", "no_cross_resistance"), id="benefit_after_prior"),
    pytest.param("Acquired resistance to olaparib resulted in increased sensitivity to carboplatin.",
                 ("carboplatin", "olaparib", "collateral_sensitivity"), id="resistance_leads_to_sensitivity"),
    pytest.param("Patients relapsing on enzalutamide showed a lower response rate to abiraterone.",
                 ("abiraterone", "enzalutamide", "reduced_efficacy"), id="relapse_on_then_lower_response"),
    pytest.param("Reduced cabazitaxel activity was seen in men previously treated with docetaxel.",
                 ("cabazitaxel", "docetaxel", "reduced_efficacy"), id="reduced_drug_efficacy_after_prior"),
    pytest.param("Osimertinib demonstrated clinical activity in patients who had progressed on erlotinib.",
                 ("Osimertinib", "erlotinib", "no_cross_resistance"), id="drug_active_after_prior"),
    pytest.param("In this cohort, sequential gefitinib and osimertinib was beneficial.",
                 ("osimertinib", "gefitinib", "no_cross_resistance"), id="sequence_beneficial"),
    pytest.param("Everolimus resensitized the resistant cells to tamoxifen.",
                 ("Everolimus", "tamoxifen", "no_cross_resistance"), id="resensitizes"),
    pytest.param("Long-term cisplatin treatment generated resistant tumors that were cross-resistant to oxaliplatin.",
                 ("oxaliplatin", "cisplatin", "cross_resistance"), id="prior_treatment_then_resistant_tumors_cross_resistant"),
    pytest.param("Tumors showed increased sensitivity to olaparib following treatment with cisplatin.",
                 ("olaparib", "cisplatin", "collateral_sensitivity"), id="sensitivity_after_prior_exposure"),
    pytest.param(("A higher rate of relapse was seen in cells first treated with vemurafenib followed by docetaxel "
                  "compared to the reverse sequence."),
                 ("docetaxel", "vemurafenib", "reduced_efficacy"), id="order_worse_than_the_reverse"),
]


@pytest.mark.parametrize(("sentence", "expected"), PAIR_EFFECT_SENTENCES)
def test_pair_effect_sentence(nlp, sentence, expected):
    f = one(nlp, sentence)
    assert (f.drug, f.prior_drug, f.effect) == expected


# -- sequence and pretreatment ----------------------------------------------------------------------------


def test_reduced_efficacy_previously_treated(nlp):
    f = one(nlp, "Cabazitaxel showed reduced efficacy in patients previously treated with enzalutamide.")
    assert (f.drug, f.prior_drug, f.effect, f.kind) == ("Cabazitaxel", "enzalutamide", "reduced_efficacy", "sequential")
    assert f.evidence_level == "clinical"


def test_combination_is_one_prior_regimen(nlp):
    text = "Trastuzumab plus pertuzumab-pretreated patients had lower response rates to T-DM1."
    f = one(nlp, text)
    assert f.drug == "T-DM1" and f.prior_drug == "Trastuzumab plus pertuzumab"
    assert set(f.prior_drug_ids) == {"DB00072", "DB06366"}
    assert text[slice(*f.offsets["prior_drug"])] == "Trastuzumab plus pertuzumab"


def test_negated_sequence_outcome(nlp):
    f = one(nlp, "Osimertinib was not effective in patients previously treated with gefitinib.")
    assert (f.effect, f.negated) == ("reduced_efficacy", True)


def test_switching_after_failure(nlp):
    f = one(nlp, "Switching to cabazitaxel after docetaxel failure was effective in a retrospective cohort.")
    assert (f.drug, f.prior_drug, f.effect, f.kind) == ("cabazitaxel", "docetaxel", "no_cross_resistance", "sequential")


def test_reverse_sequence(nlp):
    # "Y after X beats the reverse" means X after Y works less well
    f = one(nlp, "Docetaxel after abiraterone is more effective than the reverse sequence.")
    assert (f.drug, f.prior_drug, f.effect) == ("abiraterone", "Docetaxel", "reduced_efficacy")


def test_drug_class_keeps_class_id(nlp):
    f = one(nlp, "ARSIs showed limited activity after progression on docetaxel.")
    assert f.drug == "ARSIs" and f.drug_ids == ["class:arsi"]


# -- collateral sensitivity ---------------------------------------------------------------------------------


def test_collateral_sensitivity_vice_versa(nlp):
    """Both directions stated: one finding per direction, both flagged (guidelines section 3)."""
    found = read(nlp, "Doxorubicin-resistant cells were hypersensitive to paclitaxel and vice versa.")
    assert {(f.drug, f.prior_drug, f.effect) for f in found} == {
        ("paclitaxel", "Doxorubicin", "collateral_sensitivity"), ("Doxorubicin", "paclitaxel", "collateral_sensitivity")}
    assert all(f.direction_bidirectional for f in found)
    text = "Doxorubicin-resistant cells were hypersensitive to paclitaxel and vice versa."
    for f in found:  # the swapped finding's offsets still point at its own names
        assert text[slice(*f.offsets["drug"])] == f.drug and text[slice(*f.offsets["prior_drug"])] == f.prior_drug


def test_comparison_of_two_orders_is_not_mirrored(nlp):
    found = read(nlp, "Docetaxel followed by cabazitaxel gave longer survival than the reverse sequence.")
    assert len({(f.drug, f.prior_drug) for f in found}) <= 1


def test_remained_sensitive_is_no_cross_resistance(nlp):
    f = one(nlp, "Cisplatin-resistant ovarian cancer cells remained sensitive to paclitaxel.")
    assert (f.effect, f.cancer) == ("no_cross_resistance", "ovarian cancer")


# -- single-drug resistance and mechanisms ----------------------------------------------------------------


def test_variant_confers_resistance(nlp):
    f = one(nlp, "EGFR T790M confers resistance to gefitinib.")
    assert (f.drug, f.prior_drug, f.effect) == ("gefitinib", "", "resistance")
    assert f.mechanism == "EGFR T790M" and f.mechanism_type == "secondary_mutation"
    assert "EGFR" in f.mechanism_genes


def test_resistance_mediated_by_amplification(nlp):
    f = one(nlp, "Osimertinib resistance was mediated by MET amplification.")
    assert (f.effect, f.mechanism, f.mechanism_type) == ("resistance", "MET amplification", "amplification")


def test_gene_loss_associated(nlp):
    f = one(nlp, "Loss of HER2 expression was associated with resistance to T-DM1.")
    assert f.mechanism_type == "target_loss" and f.mechanism_genes == ["ERBB2"]


def test_efflux_gene_cross_resistance(nlp):
    found = read(nlp, "ABCB1 overexpression confers cross-resistance to paclitaxel and docetaxel.")
    assert {f.drug for f in found} == {"paclitaxel", "docetaxel"}
    assert {f.mechanism_type for f in found} == {"efflux_transporter"}


def test_anaphora_and_next_sentence_mechanism(nlp):
    text = (
        "We generated docetaxel-resistant sublines. The resistant cells were cross-resistant to cabazitaxel. "
        "This was due to ABCB1 overexpression."
    )
    f = one(nlp, text)
    assert (f.drug, f.prior_drug, f.effect) == ("cabazitaxel", "docetaxel", "cross_resistance")
    assert text[slice(*f.offsets["prior_drug"])] == "docetaxel"  # points at the antecedent
    assert f.mechanism == "ABCB1 overexpression" and f.sentence.startswith("The resistant cells")


def test_gene_limits_drug_activity(nlp):
    f = one(nlp, "Loss of PTEN impairs the activity of lapatinib in breast cancer cells.")
    assert (f.drug, f.prior_drug, f.effect, f.rule) == ("lapatinib", "", "resistance", "res_gene_limits_drug")
    assert f.mechanism_genes == ["PTEN"] and f.mechanism_type == "target_loss"
    hedged = one(nlp, "ABCB1 overexpression may reduce the efficacy of paclitaxel.")
    assert hedged.hedged and hedged.mechanism_type == "efflux_transporter"
    # a negated resistance statement is not a finding
    assert read(nlp, "PTEN loss did not reduce the sensitivity of the cells to lapatinib.") == []
    # "decreased in response to X" describes an effect of X, not a limit on it
    assert read(nlp, "Phosphorylated MET was decreased in response to lapatinib.") == []


def test_carriers_are_resistant(nlp):
    f = one(nlp, "Tumors harboring MET amplification were resistant to gefitinib.")
    assert (f.drug, f.effect, f.rule) == ("gefitinib", "resistance", "res_carriers_resistant")
    assert f.mechanism_type == "amplification"
    assert read(nlp, "Tumors harboring MET amplification were not resistant to gefitinib.") == []
    assert one(nlp, "Cells carrying EGFR T790M might be resistant to gefitinib.").hedged


def test_resistant_tumors_harbor_gene(nlp):
    f = one(nlp, "Erlotinib-resistant tumors frequently acquire EGFR T790M.")
    assert (f.drug, f.effect, f.rule) == ("Erlotinib", "resistance", "res_resistant_harbor_gene")
    assert f.mechanism == "EGFR T790M"
    g = one(nlp, "Patients resistant to osimertinib often harbored KEAP1 mutations.")
    assert (g.drug, g.mechanism_genes) == ("osimertinib", ["KEAP1"])
    # a participle describes the model, not what resistance brings ("resistance ... in cells harboring EGFR")
    assert read(nlp, "We studied resistance to erlotinib in cell lines harboring EGFR T790M.") == []


def test_also_resistant_is_cross_resistance(nlp):
    f = one(nlp, "Gefitinib-resistant cells were also resistant to erlotinib.")
    assert (f.drug, f.prior_drug, f.effect) == ("erlotinib", "Gefitinib", "cross_resistance")
    n = one(nlp, "Cells resistant to cisplatin were not also resistant to paclitaxel.")
    assert (n.drug, n.prior_drug, n.effect, n.negated) == ("paclitaxel", "cisplatin", "no_cross_resistance", True)
    assert read(nlp, "Gefitinib-resistant cells were also resistant to radiation.") == []


def test_cross_resistance_of_resistant_cells_to(nlp):
    f = one(nlp, "Cross-resistance of docetaxel-resistant cells to cabazitaxel was modest.")
    assert (f.drug, f.prior_drug, f.effect) == ("cabazitaxel", "docetaxel", "cross_resistance")
    n = one(nlp, "No cross-resistance of docetaxel-resistant cells to cabazitaxel was seen.")
    assert (n.effect, n.negated) == ("no_cross_resistance", True)
    c = one(nlp, "The hypersensitivity of cisplatin-resistant cells to paclitaxel may be clinically useful.")
    assert (c.drug, c.prior_drug, c.effect, c.hedged) == ("paclitaxel", "cisplatin", "collateral_sensitivity", True)


def test_carriers_do_not_respond(nlp):
    f = one(nlp, "Tumors harboring MET amplification do not respond to gefitinib.")
    assert (f.drug, f.effect, f.negated, f.mechanism_type) == ("gefitinib", "resistance", False, "amplification")
    assert read(nlp, "Patients harboring EGFR mutations responded to gefitinib.") == []
    # a gene naming the indication is not a mechanism ("patients with HER2 ... do not respond")
    assert read(nlp, "Patients with HER2 who do not respond to trastuzumab were enrolled.") == []


def test_gene_implicated_in_resistance(nlp):
    f = one(nlp, "KEAP1 mutations have been implicated in resistance to osimertinib.")
    assert (f.drug, f.effect, f.mechanism_genes, f.hedged) == ("osimertinib", "resistance", ["KEAP1"], True)
    g = one(nlp, "PTEN plays a key role in resistance to trastuzumab.")
    assert (g.drug, g.mechanism, g.hedged) == ("trastuzumab", "PTEN", False)
    assert read(nlp, "EGFR is involved in the response to gefitinib.") == []


def test_prior_treatment_limits_activity(nlp):
    f = one(nlp, "Prior exposure to trastuzumab impaired the activity of lapatinib.")
    assert (f.drug, f.prior_drug, f.effect, f.kind) == ("lapatinib", "trastuzumab", "reduced_efficacy", "sequential")
    n = one(nlp, "Previous treatment with docetaxel did not reduce the efficacy of cabazitaxel.")
    assert (n.effect, n.negated) == ("no_cross_resistance", True)
    assert one(nlp, "Progression on abiraterone may limit the benefit of enzalutamide.").hedged
    assert read(nlp, "Cisplatin reduced the survival of paclitaxel-resistant cells.") == []


# -- no finding where none is stated (precision) -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Gefitinib inhibited the growth of cisplatin-resistant cells.",
        "Osimertinib reduced tumor growth in gefitinib-resistant xenografts.",
        "Patients received docetaxel and prednisone every three weeks.",
        "Cross-resistance is a major clinical problem.",
        "",
        "   \n\n  ",
        "No drug or gene is named in this sentence about resistance.",
    ],
)
def test_no_finding(nlp, text):
    assert read(nlp, text) == []


def test_structured_abstract_section_and_dataframe(nlp):
    text = (
        "Title of a study\nBACKGROUND: Little is known.\n"
        "RESULTS: Erlotinib-resistant cells were cross-resistant to afatinib."
    )
    found = read(nlp, text)
    assert [f.section for f in found] == ["results"]
    frame = findings_to_dataframe(found)
    assert list(frame[["drug", "prior_drug", "effect"]].iloc[0]) == ["afatinib", "Erlotinib", "cross_resistance"]
    assert frame["drug_start"].iloc[0] == text.index("afatinib")


def test_prefilter_skips_without_changing_findings(nlp):
    reader = get_reader(nlp)
    assert not reader.prefilter.keep("Patients were followed for five years.")
    assert reader.prefilter.keep("Gefitinib-resistant cells were cross-resistant to osimertinib.")
    text = ("Filler sentence without drugs. " * 300) + "\n\nGefitinib-resistant cells were cross-resistant to osimertinib."
    with_filter = extract_text(text, "t", nlp=nlp, prefilter=True)
    without = extract_text(text, "t", nlp=nlp, prefilter=False)
    assert [f.id for f in with_filter] == [f.id for f in without] and len(with_filter) == 1


def test_long_text_offsets_refer_to_whole_text(nlp):
    sentence = "Gefitinib-resistant cells were cross-resistant to osimertinib."
    text = "\n\n".join(["Paragraph without findings about cells and mice."] * 50 + [sentence])
    (f,) = read(nlp, text)
    assert text[slice(*f.offsets["sentence"])] == sentence


# -- coordination, regimens and filters -------------------------------------------------------------------


def test_combination_of_list_is_one_regimen(nlp):
    f = one(nlp, "The combination of paclitaxel and carboplatin was active in anthracycline-resistant patients.")
    assert (f.drug, f.prior_drug, f.effect) == ("paclitaxel plus carboplatin", "anthracycline", "no_cross_resistance")
    assert f.drug_ids == ["DB01229", "DB00958"]


def test_subject_list_gives_one_finding_per_drug(nlp):
    found = read(nlp, "Gemcitabine, vinorelbine and cisplatin were active in patients previously treated with docetaxel.")
    assert pairs(found) == {
        (d, "docetaxel", "no_cross_resistance") for d in ("gemcitabine", "vinorelbine", "cisplatin")
    }


def test_drug_coordinated_with_prior_is_not_the_drug(nlp):
    # both drugs are priors here; nothing is said about one after the other
    assert read(nlp, "Cell lines resistant to lapatinib and trastuzumab were killed; this could be effective.") == []
    assert read(nlp, "Cells resistant to lapatinib and trastuzumab could be effectively treated.") == []


def test_prevention_of_resistance_is_not_a_sequence(nlp):
    assert read(nlp, "Pemetrexed is effective in preventing gefitinib resistance in lung cancer cells.") == []


def test_drug_free_is_not_an_agent(nlp):
    assert read(nlp, "This is an active chemotherapy-free option for patients previously treated with letrozole.") == []


def test_attributive_active_is_not_an_outcome(nlp):
    assert read(nlp, "Combining oxaliplatin with active phytochemicals helps in cisplatin-resistant cells.") == []


def test_non_cancer_agents_are_left_out(nlp):
    assert read(nlp, "Rifampicin was still fully active against penicillin-resistant pneumococcal strains.") == []


def test_diminished_resistance_is_not_resistance(nlp):
    assert read(nlp, "The diminished resistance to doxorubicin was caused by ABCB1 loss.") == []
    f = one(nlp, "The resistance to doxorubicin was caused by ABCB1 overexpression.")
    assert (f.effect, f.mechanism_type) == ("resistance", "efflux_transporter")


def test_this_combination_resolves_to_the_regimen(nlp):
    text = (
        "Patients received trastuzumab plus pertuzumab. "
        "This combination remained active in patients previously treated with lapatinib."
    )
    f = one(nlp, text)
    assert (f.drug, f.prior_drug, f.effect) == ("trastuzumab plus pertuzumab", "lapatinib", "no_cross_resistance")
    assert text[slice(*f.offsets["drug"])] == "trastuzumab plus pertuzumab"


def test_list_with_singular_verb_is_a_regimen(nlp):
    f = one(nlp, "Cytarabine, ifosfamide and cisplatin is active in patients previously treated with etoposide.")
    assert f.drug == "Cytarabine plus ifosfamide plus cisplatin" and f.prior_drug == "etoposide"


def test_reversed_resistance_is_not_read(nlp):
    assert read(nlp, "Octreotide may reverse cisplatin resistance through inhibition of ABCB1.") == []


def test_no_mechanism_for_why_a_drug_works(nlp):
    f = one(nlp, "Everolimus was effective in doxorubicin-resistant cells through suppression of MET.")
    assert f.effect == "no_cross_resistance" and f.mechanism == ""


def test_resistance_of_cells_to_list_associated_with_gene(nlp):
    found = read(nlp, "ABCB1 was correlated with resistance of the cell lines to etoposide and doxorubicin.")
    assert pairs(found) == {("etoposide", "", "resistance"), ("doxorubicin", "", "resistance")}


def test_gene_detected_after_progression(nlp):
    f = one(nlp, "MET amplification was detected in patients after progression on osimertinib.")
    assert (f.drug, f.effect, f.mechanism) == ("osimertinib", "resistance", "MET amplification")


#: (sentence, (drug, effect, mechanism genes)) of one gene-mechanism finding each
GENE_MECHANISM_SENTENCES = [
    pytest.param("Cells expressing activated MET were more resistant to gefitinib.",
                 ("gefitinib", "resistance", ["MET"]), id="cells_expressing_gene_more_resistant"),
    pytest.param("Anti-BRAF monotherapy fails in colorectal cancer due to feedback activation of EGFR.",
                 ("Anti-BRAF monotherapy", "resistance", ["EGFR"]), id="drug_fails_due_to_gene"),
    pytest.param("KEAP1 mutations were associated with a lack of response to pembrolizumab.",
                 ("pembrolizumab", "resistance", ["KEAP1"]), id="gene_associated_with_lack_of_response"),
    pytest.param("KEAP1 mutations render osimertinib ineffective in these tumors.",
                 ("osimertinib", "resistance", ["KEAP1"]), id="gene_renders_drug_ineffective"),
    pytest.param("Secondary resistance with bevacizumab treatment was associated with increased expression of MET.",
                 ("bevacizumab", "resistance", ["MET"]), id="resistance_with_treatment_associated_with_gene"),
    pytest.param("Patients resistant to sunitinib were found to have increased MET expression.",
                 ("sunitinib", "resistance", ["MET"]), id="resistant_patients_found_to_have_gene"),
    pytest.param("High PTEN loss was a strong predictor of primary resistance to alpelisib.",
                 ("alpelisib", "resistance", ["PTEN"]), id="gene_as_predictor_of_resistance"),
]


@pytest.mark.parametrize(("sentence", "expected"), GENE_MECHANISM_SENTENCES)
def test_gene_mechanism_sentence(nlp, sentence, expected):
    f = one(nlp, sentence)
    assert (f.drug, f.effect, f.mechanism_genes) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Docetaxel and cabazitaxel are cross-resistant in prostate cancer models.",
         ("cabazitaxel", "docetaxel", "cross_resistance")),
        ("Enzalutamide showed cross-resistance with abiraterone.", ("enzalutamide", "abiraterone", "cross_resistance")),
        ("Prolonged paclitaxel exposure induced cross-resistance to docetaxel.",
         ("docetaxel", "paclitaxel", "cross_resistance")),
        ("Cross-resistance to cabazitaxel was observed in patients previously treated with docetaxel.",
         ("cabazitaxel", "docetaxel", "cross_resistance")),
        ("The efficacy of enzalutamide after abiraterone was limited.",
         ("enzalutamide", "abiraterone", "reduced_efficacy")),
        ("Abiraterone followed by enzalutamide yielded lower PSA response rates.",
         ("enzalutamide", "abiraterone", "reduced_efficacy")),
        ("PTEN loss was frequent in trastuzumab-resistant tumors.", ("trastuzumab", "", "resistance")),
    ],
)
def test_more_constructions(nlp, text, expected):
    f = one(nlp, text)
    assert (f.drug.lower(), f.prior_drug.lower(), f.effect) == expected


def test_abbreviation_defined_in_another_paragraph(nlp):
    text = (
        "Patients received enzalutamide (ENZA) in the first line. " + "Filler text about study design. " * 200
        + "\n\nCabazitaxel-resistant cells were cross-resistant to ENZA."
    )
    found = read(nlp, text)
    assert [(f.drug, f.drug_ids) for f in found] == [("ENZA", ["DB08899"])]


def test_reference_list_of_a_full_text_is_not_read(nlp):
    finding = "Gefitinib-resistant cells were cross-resistant to osimertinib."
    body = "\n\n".join(["Body paragraph about the review topic without drugs."] * 150)
    text = body + "\n\n" + finding + "\n\nREFERENCES\n\n1. Smith J. Erlotinib-resistant cells are cross-resistant to afatinib."
    assert [f.drug for f in read(nlp, text)] == ["osimertinib"]


def test_citations_and_determiners_do_not_break_patterns(nlp):
    found = read(nlp, "Docetaxel-resistant cells (12, 13) were cross-resistant [14-16] to both cabazitaxel and paclitaxel.")
    assert pairs(found) == {("cabazitaxel", "docetaxel", "cross_resistance"), ("paclitaxel", "docetaxel", "cross_resistance")}


# -- session 2 constructions --------------------------------------------------------------------------------


def test_within_class_cross_resistance(nlp):
    f = one(nlp, "Cross-resistance among PARP inhibitors was frequent in these ovarian cancer models.")
    assert (f.drug, f.prior_drug, f.effect, f.kind) == ("PARP inhibitors", "PARP inhibitors", "cross_resistance", "sequential")
    assert f.rule == "xres_within_class"


def test_within_class_not_read_for_a_coordination(nlp):
    found = read(nlp, "Cross-resistance between taxanes and anthracyclines was studied in breast cancer.")
    assert pairs(found) == {("anthracyclines", "taxanes", "cross_resistance")}


def test_within_class_needs_a_class(nlp):
    assert read(nlp, "Cross-resistance among patients receiving docetaxel was rare.") == []


def test_between_with_a_regimen_as_first_member(nlp):
    found = read(nlp, "These data point to cross-resistance between carboplatin plus paclitaxel and docetaxel.")
    assert pairs(found) == {("docetaxel", "carboplatin plus paclitaxel", "cross_resistance")}


def test_but_not_between_reads_no_cross_resistance(nlp):
    found = read(nlp, "Cross-resistance among CDK4/6 inhibitors was observed, but not between palbociclib and eribulin.")
    assert ("eribulin", "palbociclib", "no_cross_resistance") in pairs(found)


def test_class_named_with_members_stands_for_them(nlp):
    found = read(nlp, "Olaparib-resistant cells were hypersensitive to platinum drugs such as cisplatin and carboplatin.")
    assert pairs(found) == {("cisplatin", "olaparib", "collateral_sensitivity"),
                            ("carboplatin", "olaparib", "collateral_sensitivity")}


def test_class_in_apposition_yields_the_drug(nlp):
    f = one(nlp, "Gefitinib-resistant cells were cross-resistant to the EGFR inhibitor erlotinib.")
    assert (f.drug, f.prior_drug) == ("erlotinib", "Gefitinib")


def test_pretreatment_enhances_response(nlp):
    found = read(nlp, "Pretreatment with cisplatin and etoposide led to enhanced responses to pembrolizumab in mice.")
    assert pairs(found) == {("pembrolizumab", "cisplatin", "collateral_sensitivity"),
                            ("pembrolizumab", "etoposide", "collateral_sensitivity")}


def test_naive_patients_respond_better(nlp):
    found = read(nlp, "Treatment-naive patients responded better to lapatinib than patients previously treated with "
                      "trastuzumab or with pertuzumab.")
    assert pairs(found) == {("lapatinib", "trastuzumab", "reduced_efficacy"),
                            ("lapatinib", "pertuzumab", "reduced_efficacy")}


def test_negated_activity_after_prior(nlp):
    f = one(nlp, "Afatinib did not show clinical activity in patients who had progressed on erlotinib.")
    assert (f.drug, f.prior_drug, f.effect, f.negated) == ("Afatinib", "erlotinib", "reduced_efficacy", True)


def test_overcomes_resistance(nlp):
    found = read(nlp, "Lorlatinib overcomes resistance to crizotinib and alectinib in lung cancer.")
    assert pairs(found) == {("lorlatinib", "crizotinib", "no_cross_resistance"),
                            ("lorlatinib", "alectinib", "no_cross_resistance")}


def test_overcomes_resistance_hedged(nlp):
    f = one(nlp, "Cabozantinib might overcome crizotinib resistance.")
    assert (f.drug, f.prior_drug, f.effect, f.hedged) == ("Cabozantinib", "crizotinib", "no_cross_resistance", True)


def test_combination_overcoming_its_own_member_is_not_read(nlp):
    assert read(nlp, "Olaparib plus ceralasertib overcame olaparib resistance in these cells.") == []


def test_therapy_concepts_are_agents(nlp):
    f = one(nlp, "Melanoma cells resistant to vemurafenib were cross-resistant to radiotherapy.")
    assert (f.drug, f.prior_drug) == ("radiotherapy", "vemurafenib")


def test_target_named_class(nlp):
    f = one(nlp, "Cross-resistance among HDAC inhibitors has been described.")
    assert f.drug_ids == ["class:hdac_inhibitor"]


def test_elliptical_class_list(nlp):
    found = read(nlp, "Loss of PTEN has been linked to resistance to EGFR and MET inhibitors.")
    # the elliptical member keeps its words (the text at its offsets); its class is in the ids and the note
    assert {(f.drug, f.effect) for f in found} == {("EGFR", "resistance"), ("MET inhibitors", "resistance")}
    assert {tuple(f.drug_ids) for f in found} == {("class:egfr_tki",), ("class:met_inhibitor",)}
    assert [f.note for f in found if f.drug == "EGFR"] == ["'EGFR' stands for EGFR inhibitors"]


def test_aims_and_plans_state_no_result(nlp):
    assert read(nlp, "We designed this trial to determine whether osimertinib retains activity after progression on "
                     "gefitinib.") == []


def test_ruled_out_gene_is_not_a_mechanism(nlp):
    assert read(nlp, "No KEAP1 mutation was found in osimertinib-resistant cells.") == []
    f = one(nlp, "A KEAP1 mutation was found in osimertinib-resistant cells.")
    assert (f.drug, f.mechanism_genes) == ("osimertinib", ["KEAP1"])


def test_class_after_its_drug_is_a_descriptor(nlp):
    found = read(nlp, "Cabazitaxel (a new taxane) retained activity in patients previously treated with "
                      "docetaxel-based chemotherapy.")
    assert pairs(found) == {("cabazitaxel", "docetaxel", "no_cross_resistance")}


def test_other_class_members_are_not_a_within_class_statement(nlp):
    assert all(f.rule != "xres_within_class"
               for f in read(nlp, "Olaparib-resistant cells showed cross-resistance to other PARP inhibitors."))


def test_curated_gene_alias_without_ner_tag(nlp):
    f = one(nlp, "BCRP overexpression is associated with resistance to mitoxantrone.")
    assert (f.drug, f.mechanism_genes) == ("mitoxantrone", ["ABCG2"])
    assert read(nlp, "The patient met criteria for resistance to mitoxantrone.") == []


def test_gene_reduces_sensitivity_of_cells_to_drug(nlp):
    f = one(nlp, "PTEN loss reduces the sensitivity of breast cancer cells to alpelisib.")
    assert (f.drug, f.effect) == ("alpelisib", "resistance")


def test_class_with_modifier_after_its_drug(nlp):
    found = read(nlp, "Olaparib (a first PARP inhibitor) retained activity in patients previously treated with carboplatin.")
    assert pairs(found) == {("olaparib", "carboplatin", "no_cross_resistance")}


def test_needs_state_no_result(nlp):
    assert read(nlp, "Better biomarkers are needed to identify patients who may benefit from osimertinib after "
                     "progression on gefitinib.") == []


def test_link_style_citations_do_not_break_lists(nlp):
    text = ("Cabazitaxel showed reduced activity in patients previously treated with docetaxel [\\(12\\)](#page-3-0) "
            "or with paclitaxel ([13\\)](#page-3-0)).")
    assert pairs(read(nlp, text)) == {("cabazitaxel", "docetaxel", "reduced_efficacy"),
                                      ("cabazitaxel", "paclitaxel", "reduced_efficacy")}


def test_class_head_noun_and_drug(nlp):
    f = one(nlp, "Cells showed increased sensitivity to olaparib in response to the chemotherapy regimen FOLFOX.")
    assert (f.prior_drug, f.effect) == ("FOLFOX", "collateral_sensitivity")


def test_hyphen_ellipsis_distributes_over_classes(nlp):
    found = read(nlp, "Cross-resistance in EGFR- and HER2-targeted therapies were reviewed.")
    assert {(f.drug, f.prior_drug) for f in found} == {("EGFR-", "EGFR-"),
                                                       ("HER2-targeted therapies", "HER2-targeted therapies")}
    assert any("'EGFR-' stands for EGFR-targeted therapies" in f.note for f in found)


def test_resistance_after_treatment_via_gene(nlp):
    f = one(nlp, "In tumors treated with alpelisib, resistance may emerge via loss of PTEN.")
    assert (f.drug, f.effect, f.mechanism_genes, f.hedged) == ("alpelisib", "resistance", ["PTEN"], True)


def test_antecedent_carrier_in_the_own_sentence(nlp):
    # an ``antecedent`` rule takes the carrier named earlier in its own sentence (Reader._carrier), not only in the
    # sentences before, and stated there it costs no next-sentence penalty
    text = "An EGFR T790M mutation was detected; the patient was then treated with gefitinib, but the disease progressed."
    f = one(nlp, text)
    assert (f.drug, f.effect, f.rule) == ("gefitinib", "resistance", "res_progressed_on_treatment")
    assert f.mechanism_genes == ["EGFR"] and text[slice(*f.offsets["mechanism"])].startswith("EGFR")
    # the same narrative without an alteration named before the trigger gives no finding
    assert read(nlp, "The patient was then treated with gefitinib, but the disease progressed.") == []
    assert read(nlp, "The patient was then treated with gefitinib, but the disease progressed. EGFR T790M was found.") == []


def test_carrier_in_the_sentence_before_still_read(nlp):
    text = "Cells with EGFR T790M were established. These cells were not sensitive to gefitinib and erlotinib."
    found = read(nlp, text)
    assert pairs(found) == {("gefitinib", "", "resistance"), ("erlotinib", "", "resistance")}
    assert all(f.mechanism_genes == ["EGFR"] and f.rule == "res_population_resistant" for f in found)


def test_second_predicate_of_a_carrier_subject(nlp):
    found = read(nlp, "Cells harboring MET amplification were sensitive to crizotinib and insensitive to gefitinib "
                      "and erlotinib.")
    assert pairs(found) == {("gefitinib", "", "resistance"), ("erlotinib", "", "resistance")}
    assert all(f.mechanism_genes == ["MET"] for f in found)


def test_cancer_keeps_an_elliptical_list_that_shares_the_head_noun(nlp):
    f = one(nlp, "Paclitaxel-resistant breast and ovarian cancer cells were cross-resistant to docetaxel.")
    assert f.cancer == "breast and ovarian cancer"
    f = one(nlp, "Paclitaxel-resistant ovarian cancer cells were cross-resistant to docetaxel.")
    assert f.cancer == "ovarian cancer"


def test_cancer_list_items_are_sites_not_clause_words_or_other_mentions():
    from miner.extract.context.cancer import cancer_in
    from miner.extract.mentions import Mention

    def cancer(text: str, disease: str, drug: str = "") -> str:
        base = 40  # the sentence's offset in its document
        mentions = [Mention(disease, base + text.index(disease), base + text.index(disease) + len(disease), "DISEASE")]
        if drug:
            mentions.insert(0, Mention(drug, base + text.index(drug), base + text.index(drug) + len(drug), "DRUG"))
        return cancer_in(mentions, text, base)

    assert cancer("Approved for treating skin, colorectal and head and neck cancers.", "head and neck cancers") == (
        "skin, colorectal and head and neck cancers"
    )
    assert cancer("Active in gastric, head and neck, and ovarian cancer.", "ovarian cancer") == (
        "gastric, head and neck, and ovarian cancer"
    )
    assert cancer("Seen in patients with or without ovarian cancer.", "ovarian cancer") == "ovarian cancer"
    assert cancer("Cells exposed to cisplatin and lung cancer sera.", "lung cancer", drug="cisplatin") == "lung cancer"
    assert cancer("Resistant and sensitive lung cancer cells.", "lung cancer") == "lung cancer"
    assert cancer("No cancer here.", "cancer") == "cancer"
