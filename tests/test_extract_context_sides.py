"""Statements that name one side of a relation only: the prior from the study population named before ("prior from
design"), the drug from the preceding sentence's resistance, and regimens written with a dose between members
(annotations/GUIDELINES.md section 4; issue 14)."""

from __future__ import annotations

import pytest

from miner.evaluate.names import name_variants


def read(nlp, text: str):
    from miner.extract import extract_text

    return extract_text(text, nlp=nlp)


def by_rule(found, rule: str):
    return {(f.drug, f.prior_drug, f.effect) for f in found if f.rule == rule}


DESIGN = "seq_outcome_in_design_population"
TAKEN_UP = "res_taken_up_resistance"


@pytest.mark.parametrize("text, expected", [
    ("We enrolled 40 patients with myeloma who had progressed on bortezomib. Carfilzomib produced durable responses.",
     ("Carfilzomib", "bortezomib", "no_cross_resistance")),
    ("Patients with CML refractory to imatinib were included. Dasatinib showed limited activity.",
     ("Dasatinib", "imatinib", "reduced_efficacy")),
    ("Docetaxel-pretreated patients were eligible. Cabazitaxel prolonged overall survival.",
     ("Cabazitaxel", "Docetaxel", "no_cross_resistance")),
])
def test_outcome_after_the_population_prior(nlp, text, expected):
    found = read(nlp, text)
    assert by_rule(found, DESIGN) == {expected}
    f = next(f for f in found if f.rule == DESIGN)
    assert f.kind == "sequential" and text[slice(*f.offsets["prior_drug"])] == f.prior_drug
    assert f.sentence.startswith(expected[0])  # quoted on the outcome sentence, the prior found before


@pytest.mark.parametrize("text", [
    # no population was defined before
    "Carfilzomib produced durable responses in patients with myeloma.",
    # the outcome sentence is about untreated patients
    "Patients who had progressed on bortezomib were enrolled. In untreated patients, carfilzomib produced durable "
    "responses.",
    # the outcome sentence names its own prior treatment
    "Patients who had progressed on sunitinib were enrolled. Axitinib after everolimus was effective.",
    # the population sentence names no patients: a drug given before cells, not a study population
    "Cells were harvested after cisplatin exposure. Paclitaxel produced durable responses.",
    # the comparator arm is not the drug of the outcome
    "Patients who had progressed on bortezomib were enrolled. Survival was prolonged versus high-dose dexamethasone.",
])
def test_no_population_prior(nlp, text):
    assert by_rule(read(nlp, text), DESIGN) == set()


def test_rechallenge_is_not_read_from_the_population(nlp):
    text = "Patients who had progressed on cetuximab were enrolled. Cetuximab produced durable responses."
    assert by_rule(read(nlp, text), DESIGN) == set()


def test_resistance_taken_up_from_the_preceding_sentence(nlp):
    text = ("Most melanomas eventually become resistant to vemurafenib. Resistance often develops through "
            "reactivation of MAPK signalling by NRAS mutations.")
    found = [f for f in read(nlp, text) if f.rule == TAKEN_UP]
    assert [(f.drug, f.effect, f.mechanism_genes) for f in found] == [("vemurafenib", "resistance", ["NRAS"])]
    assert found[0].sentence.startswith("Resistance often")


@pytest.mark.parametrize("text", [
    # the preceding sentence states no resistance and does not point back
    "Osimertinib is approved for NSCLC. Resistance develops through MET amplification.",
    # the resistance was stated two sentences before
    "Resistance to osimertinib is inevitable. Two patients were enrolled. Resistance develops through MET "
    "amplification.",
    # a sentence naming a drug is read by the ordinary rules only
    "Resistance to osimertinib is inevitable. Gefitinib resistance develops through MET amplification.",
])
def test_no_drug_from_the_preceding_sentence(nlp, text):
    assert by_rule(read(nlp, text), TAKEN_UP) == set()


def test_anaphor_points_back_to_the_preceding_agents(nlp):
    text = ("Chemotherapy resistance was common in CML. Imatinib has transformed its treatment. Despite this "
            "success, resistance mediated by ABL1 kinase domain mutations occurs.")
    assert {(f.drug, f.mechanism_genes[0]) for f in read(nlp, text) if f.rule == TAKEN_UP} == {("Imatinib", "ABL1")}


def test_regimen_with_a_dose_is_one_agent_written_as_in_the_text(nlp):
    text = ("Patients who had progressed on bortezomib were enrolled. Pomalidomide + low-dose dexamethasone "
            "prolonged survival versus high-dose dexamethasone.")
    found = [f for f in read(nlp, text) if f.rule == DESIGN]
    assert [f.drug for f in found] == ["Pomalidomide + low-dose dexamethasone"]
    assert text[slice(*found[0].offsets["drug"])] == found[0].drug
    assert len(found[0].drug_ids) == 2


def test_a_dose_names_no_other_agent():
    assert "dexamethasone" in name_variants("low-dose dexamethasone")
    assert "temozolomide" in name_variants("dose-intense temozolomide")
